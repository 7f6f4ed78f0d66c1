import type { HrTime } from '@opentelemetry/api';

/**
 * Exact conversions between HrTime `[seconds, nanoseconds]` and OTLP's uint64 nanoseconds.
 * Nanoseconds since the epoch pass 2^53 (about 1.8e18 today), so a plain
 * `sec * 1e9 + nanos` would lose the last digits; these split the arithmetic instead.
 */

const NANOS_PER_SEC = 1_000_000_000;
const TWO_POW_32 = 4294967296;

/** Seconds and nanoseconds as integers with 0 <= nanos < 1e9 (SDK times usually are already). */
function normalise(time: HrTime): HrTime {
  const sec = time[0];
  const nanos = time[1];
  if (Number.isInteger(sec) && Number.isInteger(nanos) && nanos >= 0 && nanos < NANOS_PER_SEC) return time;
  const n = Math.trunc(nanos);
  const carry = Math.floor(n / NANOS_PER_SEC);
  return [Math.trunc(sec) + carry, n - carry * NANOS_PER_SEC];
}

/** Decimal string of the nanoseconds, as OTLP/JSON writes a fixed64. */
export function hrTimeToNanosString(time: HrTime): string {
  const t = normalise(time);
  const sec = t[0];
  const nanos = t[1];
  if (sec === 0) return String(nanos);
  if (sec < 0) return (BigInt(sec) * 1_000_000_000n + BigInt(nanos)).toString();
  const n = String(nanos);
  return sec + '000000000'.slice(n.length) + n;
}

/**
 * The low and high 32-bit halves of the nanoseconds. The low half is exact via 32-bit
 * multiplication; the float estimate of the total is off by far less than 2^31, so
 * rounding `(total - low) / 2^32` gives the exact high half. An Int32Array `out` holds the same
 * bits as signed numbers.
 */
export function hrTimeToFixed64(time: HrTime, out: Uint32Array | Int32Array): void {
  const t = normalise(time);
  const sec = t[0];
  const nanos = t[1];
  const low = (Math.imul(sec >>> 0, NANOS_PER_SEC) + nanos) >>> 0;
  out[0] = low;
  out[1] = Math.round((sec * NANOS_PER_SEC + nanos - low) / TWO_POW_32) >>> 0;
}

/**
 * HrTime from the two halves of a fixed64. With hi = a*2^16 + b:
 * hi*2^32 = hi*4e9 + a*19330e9 + a*976710656 + b*294967296, every partial sum exact.
 */
export function fixed64ToHrTime(low: number, high: number): HrTime {
  const a = high >>> 16;
  const b = high & 0xffff;
  const rest = a * 976710656 + b * 294967296 + low;
  const restSec = Math.floor(rest / NANOS_PER_SEC);
  return [high * 4 + a * 19330 + restSec, rest - restSec * NANOS_PER_SEC];
}

const DIGITS = /^[0-9]+$/;

/** HrTime from a decimal uint64 string; undefined when it is not one. */
export function nanosStringToHrTime(text: string): HrTime | undefined {
  if (!DIGITS.test(text) || text.length > 20) return undefined;
  if (text.length <= 9) return [0, Number(text)];
  const sec = Number(text.slice(0, text.length - 9));
  const nanos = Number(text.slice(text.length - 9));
  if (text.length === 20 && BigInt(text) > 0xffffffffffffffffn) return undefined;
  return [sec, nanos];
}

/** HrTime from a JSON number of nanoseconds (exact only up to 2^53, as JSON numbers are). */
export function nanosNumberToHrTime(value: number): HrTime | undefined {
  if (!Number.isInteger(value) || value < 0) return undefined;
  const sec = Math.floor(value / NANOS_PER_SEC);
  return [sec, value - sec * NANOS_PER_SEC];
}
