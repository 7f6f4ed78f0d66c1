import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { OtlpResource } from './OtlpResource.js';

/** An instrumentation scope as OTLP carries it: the SDK's fields plus attributes. */
export interface OtlpScope extends InstrumentationScope {
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

/** A link as OTLP carries it: `flags` is the raw Link.flags value, sent back unchanged. */
export interface OtlpLink extends Link {
  readonly flags: number;
}

/** Everything a decoded span holds; ids are lowercase hex. */
export interface OtlpSpanInit {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: SpanContext['traceState'];
  /** Span.flags as received: W3C trace flags in bits 0-7, remote-parent bits 8-9. */
  flags: number;
  name: string;
  /** The SDK's kind: OTLP kind - 1 (so SPAN_KIND_UNSPECIFIED is -1). */
  kind: SpanKind;
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: TimedEvent[];
  droppedEventsCount: number;
  links: OtlpLink[];
  droppedLinksCount: number;
  status: SpanStatus;
  resource: OtlpResource;
  instrumentationScope: OtlpScope;
}

const TRACE_FLAGS_MASK = 0xff;
const IS_REMOTE_MASK = 0x200;

/**
 * A span decoded from OTLP (protobuf, JSON or a capture file) that implements the SDK's
 * ReadableSpan, so every exporter sends forwarded and replayed spans like local ones.
 * Spans from one ResourceSpans / ScopeSpans share the same resource and scope objects,
 * so the encoders' grouping by identity rebuilds the same structure. The encoders send
 * `flags` (and each link's `flags`) as received instead of recomputing them.
 */
export class OtlpSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: OtlpLink[];
  readonly events: TimedEvent[];
  readonly ended = true;
  readonly resource: OtlpResource;
  readonly instrumentationScope: OtlpScope;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  readonly flags: number;
  private readonly context: SpanContext;

  constructor(init: OtlpSpanInit) {
    const traceFlags = init.flags & TRACE_FLAGS_MASK;
    this.context = { traceId: init.traceId, spanId: init.spanId, traceFlags, traceState: init.traceState };
    this.parentSpanContext =
      init.parentSpanId === ''
        ? undefined
        : {
            traceId: init.traceId,
            spanId: init.parentSpanId,
            traceFlags,
            isRemote: (init.flags & IS_REMOTE_MASK) !== 0,
          };
    this.flags = init.flags;
    this.name = init.name;
    this.kind = init.kind;
    this.startTime = init.startTime;
    this.endTime = init.endTime;
    this.attributes = init.attributes;
    this.droppedAttributesCount = init.droppedAttributesCount;
    this.events = init.events;
    this.droppedEventsCount = init.droppedEventsCount;
    this.links = init.links;
    this.droppedLinksCount = init.droppedLinksCount;
    this.status = init.status;
    this.resource = init.resource;
    this.instrumentationScope = init.instrumentationScope;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  get duration(): HrTime {
    let sec = this.endTime[0] - this.startTime[0];
    let nanos = this.endTime[1] - this.startTime[1];
    if (nanos < 0) {
      sec -= 1;
      nanos += 1_000_000_000;
    }
    return [sec, nanos];
  }
}
