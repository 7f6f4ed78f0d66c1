import type { Link } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { OtlpSpan, type OtlpLink } from './OtlpSpan.js';

/** OTLP SpanFlags bits (trace.proto): the W3C flags byte, then whether the context is known/remote. */
const TRACE_FLAGS_MASK = 0xff;
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/**
 * Span.flags: W3C trace flags plus the parent's remoteness. An SDK span always knows
 * whether its parent was remote (no parent: not remote), so HAS_IS_REMOTE is always set.
 * Decoded spans send their flags as received.
 */
export function spanFlags(span: ReadableSpan): number {
  if (span instanceof OtlpSpan) return span.flags;
  const flags = (span.spanContext().traceFlags & TRACE_FLAGS_MASK) | HAS_IS_REMOTE;
  return span.parentSpanContext?.isRemote === true ? flags | IS_REMOTE : flags;
}

/** Link.flags, built the same way from the linked context. */
export function linkFlags(link: Link): number {
  const raw = (link as Partial<OtlpLink>).flags;
  if (raw !== undefined) return raw;
  const flags = (link.context.traceFlags & TRACE_FLAGS_MASK) | HAS_IS_REMOTE;
  return link.context.isRemote === true ? flags | IS_REMOTE : flags;
}
