/**
 * An OTLP `doubleValue` whose value is integral (1.0, -0, 1e300). A JS number cannot
 * tell 1.0 from 1, and the encoders send integral numbers as `intValue`; the decoders
 * wrap such doubles in this marker so forwarding keeps them doubles. Non-integral
 * doubles (1.5, NaN, Infinity) stay plain numbers.
 */
export class OtlpDouble {
  constructor(readonly value: number) {}

  valueOf(): number {
    return this.value;
  }

  toJSON(): number {
    return this.value;
  }
}
