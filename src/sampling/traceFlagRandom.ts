import type { Span } from '@opentelemetry/api';

/**
 * W3C Trace Context Level 2 "random" trace flag: the trace id's rightmost 7 bytes are random.
 * tracepipe's trace ids are (RandomPool), so new roots set it, as the OpenTelemetry sampling spec
 * says SDKs SHOULD, and spans in the same trace keep what their parent says.
 */
export const TRACE_FLAG_RANDOM = 0x02;

/**
 * Adds `flags` to a span the SDK made: its tracer sets only the sampled flag. The SDK span hands
 * out its own context object, so the exported span and any propagated traceparent carry it.
 */
export function withTraceFlags(span: Span, flags: number): Span {
  if (flags !== 0) (span.spanContext() as { traceFlags: number }).traceFlags |= flags;
  return span;
}
