import type { Attributes, AttributeValue, Exception, Link, Span, SpanContext, SpanStatus, TimeInput } from '@opentelemetry/api';
import type { RandomPool } from './RandomPool.js';
import { TRACE_FLAG_RANDOM } from './traceFlagRandom.js';

/**
 * An unsampled, non-recording span whose ids do not exist until someone asks for its context
 * (to propagate it or to parent a child on it): an unsampled span that nobody propagates costs
 * one small object and no id generation. Its context, once made, is a valid W3C context, not
 * sampled, so `traceparent` injection works and downstream services see "not sampled"; the
 * random flag (02) is set on a new trace and kept from the parent otherwise.
 */
export class LazySpan implements Span {
  private context: SpanContext | undefined;

  /**
   * The trace id comes from, in order: `parent` (another lazy span), `parentContext` (a valid
   * unsampled parent), or a fresh id whose low 56 bits are `hi`/`lo` when those were drawn
   * (hi >= 0) for the sampling decision, so the id and the decision agree.
   */
  constructor(
    private readonly pool: RandomPool,
    private readonly parent: LazySpan | undefined,
    private readonly parentContext: SpanContext | undefined,
    private readonly hi: number,
    private readonly lo: number,
  ) {}

  spanContext(): SpanContext {
    if (this.context === undefined) {
      const from = this.parent !== undefined ? this.parent.spanContext() : this.parentContext;
      this.context = {
        traceId: from !== undefined ? from.traceId : this.hi >= 0 ? this.pool.traceId(this.hi, this.lo) : this.pool.traceId(this.pool.bits28(), this.pool.bits28()),
        spanId: this.pool.spanId(),
        traceFlags: from !== undefined ? from.traceFlags & TRACE_FLAG_RANDOM : TRACE_FLAG_RANDOM,
        traceState: from?.traceState,
      };
    }
    return this.context;
  }

  setAttribute(_key: string, _value: AttributeValue): this {
    return this;
  }

  setAttributes(_attributes: Attributes): this {
    return this;
  }

  addEvent(_name: string, _attributesOrStartTime?: Attributes | TimeInput, _startTime?: TimeInput): this {
    return this;
  }

  addLink(_link: Link): this {
    return this;
  }

  addLinks(_links: Link[]): this {
    return this;
  }

  setStatus(_status: SpanStatus): this {
    return this;
  }

  updateName(_name: string): this {
    return this;
  }

  end(_endTime?: TimeInput): void {}

  isRecording(): boolean {
    return false;
  }

  recordException(_exception: Exception, _time?: TimeInput): void {}
}
