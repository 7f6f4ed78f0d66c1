import { type Context, isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace';
import { PerMillionSampler } from './PerMillionSampler.js';

/** Leaving traceState undefined makes the SDK keep the parent's, so existing entries travel on. */
const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * tracepipe's sampler: a span follows its parent's sampled flag (local or remote, e.g. from a W3C
 * `traceparent`), so a sampled parent keeps its children even at rate 0 and an unsampled parent
 * never gains one; a root span is decided by `PerMillionSampler`.
 */
export class ParentBasedPerMillionSampler implements Sampler {
  readonly root: PerMillionSampler;

  constructor(ratePerMillion: number) {
    this.root = new PerMillionSampler(ratePerMillion);
  }

  get ratePerMillion(): number {
    return this.root.ratePerMillion;
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined || !isSpanContextValid(parent)) {
      return this.root.shouldSample(context, traceId);
    }
    return (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? SAMPLED : NOT_SAMPLED;
  }

  toString(): string {
    return `ParentBased{root=${this.root}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}`;
  }
}
