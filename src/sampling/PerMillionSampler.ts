import { type Context, trace, type TraceState } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace';
import { explicitRandomness, withThreshold } from './otTraceState.js';
import { Threshold } from './Threshold.js';

const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * Samples root spans with probability rate/1e6, deterministically from the trace id, using the
 * OpenTelemetry consistent probability algorithm: randomness is the trace id's least-significant
 * 56 bits (or the `ot` tracestate entry's explicit `rv`), and a span is sampled iff randomness >= T
 * where T = round((1 - rate/1e6) * 2^56). A sampled span carries `ot=th:<T>` in its tracestate.
 * Monotone: a trace kept at rate r is kept at every rate above r.
 */
export class PerMillionSampler implements Sampler {
  readonly ratePerMillion: number;
  readonly threshold: Threshold;
  /** A sampled new root's tracestate (`ot=th:<T>`): the tracer gives it to the spans it builds itself. */
  readonly sampledTraceState: TraceState | undefined;
  /** The result for the common case (no incoming tracestate), built once and shared. */
  private readonly sampled: SamplingResult;

  constructor(ratePerMillion: number) {
    this.ratePerMillion = ratePerMillion;
    this.threshold = Threshold.forRatePerMillion(ratePerMillion);
    this.sampledTraceState = withThreshold(undefined, this.threshold.th);
    this.sampled = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: this.sampledTraceState });
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    const traceState = trace.getSpanContext(context)?.traceState;
    if (traceState === undefined) {
      return this.threshold.acceptsTraceId(traceId) ? this.sampled : NOT_SAMPLED;
    }
    const rv = explicitRandomness(traceState);
    const keep = rv === undefined ? this.threshold.acceptsTraceId(traceId) : this.threshold.accepts(rv[0], rv[1]);
    return keep
      ? { decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: withThreshold(traceState, this.threshold.th) }
      : { decision: SamplingDecision.NOT_RECORD, traceState: withThreshold(traceState, undefined) };
  }

  /** The decision for randomness given as 28-bit halves; what the tracer's fast path calls. */
  acceptsRandomness(hi: number, lo: number): boolean {
    return this.threshold.accepts(hi, lo);
  }

  toString(): string {
    return `PerMillionSampler{rate=${this.ratePerMillion}/1000000, threshold=${this.threshold}}`;
  }
}
