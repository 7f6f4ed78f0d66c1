import {
  type Attributes,
  type AttributeValue,
  diag,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import {
  hrTime,
  hrTimeDuration,
  type InstrumentationScope,
  isTimeInput,
  isTimeInputHrTime,
  millisToHrTime,
  otperformance,
  sanitizeAttributes,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanLimits, TimedEvent } from '@opentelemetry/sdk-trace';
import { SpanAttributes, truncateAttributeValue } from './SpanAttributes.js';

/** What a CompactSpan is started with: what the SDK tracer hands its `SpanImpl`. */
export interface CompactSpanInit {
  spanContext: SpanContext;
  parentSpanContext?: SpanContext | undefined;
  name: string;
  kind?: SpanKind | undefined;
  startTime?: TimeInput | undefined;
  links?: Link[] | undefined;
  attributes?: Attributes | undefined;
  /** Resolved limits (the SDK's defaults and OTEL_SPAN_* variables already applied). */
  limits: SpanLimits;
  resource: Resource;
  scope: InstrumentationScope;
  /** Called once, when the span ends: where the span goes next (the export queue). */
  onEnd: (span: CompactSpan) => void;
}

/**
 * The exception event's attributes (OpenTelemetry semantic conventions, exceptions; stable). Not
 * imported from @opentelemetry/semantic-conventions: from an ES module that loads its ESM build
 * beside the CommonJS one the SDK has already loaded, ≈ 0.7 MB more heap in every process.
 */
const ATTR_EXCEPTION_TYPE = 'exception.type';
const ATTR_EXCEPTION_MESSAGE = 'exception.message';
const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace';

/**
 * Shared by every span until it has its own value (frozen, so nobody changes them in place): no
 * events or links, the UNSET status, the end time and duration of a span not ended yet.
 */
const NONE: never[] = Object.freeze([]) as unknown as never[];
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;

/** The performance clock's origin, fixed for the process: its getter boxes a new number on every read. */
const TIME_ORIGIN = otperformance.timeOrigin;

/**
 * A sampled span that records its attributes into parallel arrays (`SpanAttributes`) and allocates
 * events and links only when it gets some, with the SDK span's behaviour (`SpanImpl`, sdk-trace 2.x)
 * case by case: the span limits, event and link eviction, status rules, `recordException`'s
 * attributes, the clock (a performance-clock offset fixed at start), and on an ended span every
 * call a no-op with the SDK's diag message. It is a `ReadableSpan`, so exporters take it as it is;
 * its `attributes` object is built only when read.
 */
export class CompactSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  status: SpanStatus = UNSET;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly recorded: SpanAttributes;
  events: TimedEvent[] = NONE;
  links: Link[] = NONE;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  ended = false;
  private readonly context: SpanContext;
  private readonly limits: SpanLimits;
  private readonly performanceStart: number;
  private readonly performanceOffset: number;
  private readonly startTimeProvided: boolean;
  private readonly onEnd: (span: CompactSpan) => void;
  private attributesObject: Attributes | undefined;

  constructor(init: CompactSpanInit) {
    const now = Date.now();
    this.context = init.spanContext;
    this.performanceStart = otperformance.now();
    this.performanceOffset = now - (this.performanceStart + TIME_ORIGIN);
    this.startTimeProvided = init.startTime != null;
    this.limits = init.limits;
    this.recorded = new SpanAttributes(init.limits);
    this.onEnd = init.onEnd;
    this.name = init.name;
    this.parentSpanContext = init.parentSpanContext;
    this.kind = init.kind ?? SpanKind.INTERNAL;
    if (init.links) for (const link of init.links) this.addLink(link);
    // `time(now)` would read the performance clock only to find an epoch time above it.
    this.startTime = init.startTime == null ? millisToHrTime(now) : this.time(init.startTime);
    this.resource = init.resource;
    this.instrumentationScope = init.scope;
    if (init.attributes != null) this.recorded.setAll(init.attributes);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  get attributes(): Attributes {
    if (!this.ended) return this.recorded.toAttributes();
    return (this.attributesObject ??= this.recorded.toAttributes());
  }

  /** Computed when asked (exporters do not read it): one array less per span. */
  get duration(): HrTime {
    return this.ended ? hrTimeDuration(this.startTime, this.endTime) : NO_DURATION;
  }

  get droppedAttributesCount(): number {
    return this.recorded.dropped;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (value == null || this.endedWarning()) return this;
    this.recorded.set(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]!);
    }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, timeStamp?: TimeInput): this {
    if (this.endedWarning()) return this;
    const { eventCountLimit } = this.limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this.droppedEventsCount++;
      return this;
    }
    if (this.events === NONE) this.events = [];
    if (eventCountLimit !== undefined && this.events.length >= eventCountLimit) {
      if (this.droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.droppedEventsCount++;
    }
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime;
    } else attributes = attributesOrStartTime;
    const limited = this.limitedAttributes(attributes, this.limits.attributePerEventCountLimit);
    this.events.push({ name, attributes: limited.attributes, time: this.time(timeStamp), droppedAttributesCount: limited.dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.endedWarning()) return this;
    const { linkCountLimit } = this.limits;
    if (linkCountLimit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links === NONE) this.links = [];
    if (linkCountLimit !== undefined && this.links.length >= linkCountLimit) {
      if (this.droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this.droppedLinksCount++;
    }
    const limited = this.limitedAttributes(link.attributes, this.limits.attributePerLinkCountLimit);
    const processed: { context: SpanContext; attributes?: Attributes; droppedAttributesCount?: number } = { context: link.context };
    if (limited.count > 0) processed.attributes = limited.attributes;
    if (limited.dropped > 0) processed.droppedAttributesCount = limited.dropped;
    this.links.push(processed);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endedWarning()) return this;
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (this.endedWarning()) return this;
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.endedWarning()) {
      diag.error(`${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.time(endTime);
    const start = this.startTime;
    const end = this.endTime;
    if (end[0] < start[0] || (end[0] === start[0] && end[1] < start[1])) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', start, end);
      this.endTime = start.slice() as HrTime;
    }
    if (this.droppedEventsCount > 0) diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    if (this.droppedLinksCount > 0) diag.warn(`Dropped ${this.droppedLinksCount} links because linkCountLimit reached`);
    this.ended = true;
    this.recorded.dropIndex();
    this.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    else if (exception) {
      if (exception.code) attributes[ATTR_EXCEPTION_TYPE] = exception.code.toString();
      else if (exception.name) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE]) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  /** True (after the SDK's warning) once the span has ended. */
  private endedWarning(): boolean {
    if (this.ended) {
      const where = `{traceId: ${this.context.traceId}, spanId: ${this.context.spanId}}`;
      diag.warn(`Cannot execute the operation on ended Span ${where}`, new Error(`Operation attempted on ended Span ${where}`));
    }
    return this.ended;
  }

  /** The SDK's `_getTime`: performance timestamps corrected by the offset fixed at start. */
  private time(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number' && input <= otperformance.now()) return hrTime(input + this.performanceOffset);
    if (typeof input === 'number') return millisToHrTime(input);
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input;
    if (this.startTimeProvided) return millisToHrTime(Date.now());
    // addHrTimes(startTime, millisToHrTime(elapsed)), the same arithmetic without the array between.
    const elapsed = otperformance.now() - this.performanceStart;
    let seconds = this.startTime[0] + Math.trunc(elapsed / 1000);
    let nanos = this.startTime[1] + Math.round((elapsed % 1000) * 1_000_000);
    if (nanos >= 1_000_000_000) {
      nanos -= 1_000_000_000;
      seconds += 1;
    }
    return [seconds, nanos];
  }

  /** An event's or a link's attributes under its count limit, values cut as the span's are. */
  private limitedAttributes(input: Attributes | undefined, countLimit: number | undefined): { attributes: Attributes; count: number; dropped: number } {
    const sanitized = sanitizeAttributes(input);
    const attributes: Attributes = {};
    let count = 0;
    let dropped = 0;
    for (const key in sanitized) {
      if (!Object.prototype.hasOwnProperty.call(sanitized, key)) continue;
      if (countLimit !== undefined && count >= countLimit) {
        dropped++;
        continue;
      }
      attributes[key] = truncateAttributeValue(sanitized[key]!, this.limits.attributeValueLengthLimit ?? 0);
      count++;
    }
    return { attributes, count, dropped };
  }
}
