/** 2^28: the 56-bit values are handled as two 28-bit halves, each exact in a double and a small integer. */
const HALF = 0x1000_0000;
const MILLION = 1_000_000n;

/**
 * The rejection threshold T of OpenTelemetry's consistent probability sampling (TraceIdRatioBased,
 * tracestate `th`): a 56-bit integer; a span is sampled iff its 56-bit randomness is >= T.
 * 56 bits do not fit a double's 53-bit mantissa, so T is kept as `hi`/`lo` 28-bit halves and
 * compared in two parts; BigInt is used only here, once, at construction.
 */
export class Threshold {
  /** Upper 28 bits; 2^28 when nothing can be sampled (T = 2^56). */
  readonly hi: number;
  readonly lo: number;
  /** The `th` tracestate value: T in hex, 14 digits with trailing zeros trimmed (`0` samples everything). */
  readonly th: string;

  private constructor(t: bigint) {
    this.hi = Number(t >> 28n);
    this.lo = Number(t & BigInt(HALF - 1));
    const hex = t.toString(16).padStart(14, '0').replace(/0+$/, '');
    this.th = hex === '' ? '0' : hex;
  }

  /** T = round((1 - rate/1e6) * 2^56), computed exactly (no tie can occur: 1e6 = 2^6 * 15625, and 15625 is odd). */
  static forRatePerMillion(ratePerMillion: number): Threshold {
    if (!Number.isInteger(ratePerMillion) || ratePerMillion < 0 || ratePerMillion > 1_000_000) {
      throw new RangeError(`sampling rate per million must be an integer from 0 to 1000000, got ${ratePerMillion}`);
    }
    const scaled = (MILLION - BigInt(ratePerMillion)) << 56n;
    return new Threshold((2n * scaled + MILLION) / (2n * MILLION));
  }

  /** True when the randomness `hi * 2^28 + lo` is at or above T. */
  accepts(hi: number, lo: number): boolean {
    return hi > this.hi || (hi === this.hi && lo >= this.lo);
  }

  /** The same test on a trace id's least-significant 56 bits (hex characters 18 to 31). */
  acceptsTraceId(traceId: string): boolean {
    return this.accepts(hex28(traceId, 18), hex28(traceId, 25));
  }

  /** True when no randomness can reach T (rate 0). */
  get never(): boolean {
    return this.hi >= HALF;
  }

  /** The value as 14 hex digits, for messages and `toString()`. */
  toString(): string {
    return this.never ? 'never' : `${this.hi.toString(16).padStart(7, '0')}${this.lo.toString(16).padStart(7, '0')}`;
  }
}

/**
 * Reads 7 lowercase hex characters at `offset` as a 28-bit integer, without allocating.
 * Callers pass validated ids (the SDK and the W3C propagator only produce lowercase hex).
 */
export function hex28(s: string, offset: number): number {
  let v = 0;
  for (let i = offset; i < offset + 7; i++) {
    const c = s.charCodeAt(i);
    v = (v << 4) | (c < 58 ? c - 48 : c - 87);
  }
  return v;
}
