import type { HrTime } from '@opentelemetry/api';

/** HrTime as exact nanoseconds since the epoch (a Number would lose the last digits). */
export function hrTimeToNs(time: HrTime): bigint {
  return BigInt(Math.trunc(time[0])) * 1_000_000_000n + BigInt(Math.trunc(time[1]));
}
