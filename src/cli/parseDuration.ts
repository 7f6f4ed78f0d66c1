import { InvalidArgumentError } from 'commander';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/;

/** Parses `250ms`, `1.5s`, `100us`, `2m` into nanoseconds (for `--min-duration`). */
export function parseDuration(text: string): bigint {
  const m = DURATION.exec(text.trim());
  if (m === null) throw new InvalidArgumentError(`expected a duration such as 250ms, 1.5s or 100us (units: ns, us, ms, s, m, h), got ${JSON.stringify(text)}`);
  return BigInt(Math.round(Number(m[1]) * UNIT_NS[m[2]!]!));
}
