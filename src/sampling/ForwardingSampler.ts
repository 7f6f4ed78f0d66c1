import type { OtlpSpan } from '../otlp/OtlpSpan.js';
import { OtlpTraceState } from '../otlp/OtlpTraceState.js';
import { explicitRandomness, explicitThreshold, withThreshold } from './otTraceState.js';
import { Threshold } from './Threshold.js';

/**
 * Samples forwarded spans again, at a rate per million, consistently with the senders' own
 * probability sampling (the OpenTelemetry tracestate `ot` entry): a span is kept iff its trace's
 * randomness (`rv`, else the trace id's low 56 bits) reaches this threshold, so every span of a
 * trace gets the same answer on every forwarder, and a trace the sender kept at a lower rate is
 * kept here too. A kept span whose `th` is lower (or absent) gets this threshold as its `th`, as
 * its probability is now this rate; other tracestate entries pass unchanged.
 */
export class ForwardingSampler {
  readonly ratePerMillion: number;
  private readonly threshold: Threshold;
  /** At the full rate nothing is dropped and no probability changes, so spans pass untouched. */
  private readonly keepsAll: boolean;
  /** `th` padded to 14 digits: compared as text, as 56-bit values do not fit a double. */
  private readonly paddedTh: string;

  constructor(ratePerMillion: number) {
    this.ratePerMillion = ratePerMillion;
    this.threshold = Threshold.forRatePerMillion(ratePerMillion);
    this.paddedTh = this.threshold.th.padEnd(14, '0');
    this.keepsAll = ratePerMillion === 1_000_000;
  }

  /** Whether `span` is forwarded; raises its `th` when it is. */
  keep(span: OtlpSpan): boolean {
    if (this.keepsAll) return true;
    const context = span.spanContext();
    const rv = explicitRandomness(context.traceState);
    const accepted = rv === undefined ? this.threshold.acceptsTraceId(context.traceId) : this.threshold.accepts(rv[0], rv[1]);
    if (!accepted) return false;
    // An absent or malformed th counts as below every threshold.
    if (this.paddedTh > (explicitThreshold(context.traceState) ?? '')) {
      context.traceState = withThreshold(context.traceState ?? new OtlpTraceState(''), this.threshold.th);
    }
    return true;
  }

  toString(): string {
    return `ForwardingSampler{rate=${this.ratePerMillion}/1000000, threshold=${this.threshold}}`;
  }
}
