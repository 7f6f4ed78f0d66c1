/** A duration for people: `850ns`, `12.3µs`, `123.4ms`, `1.23s`, `2m03s`. */
export function formatDuration(ns: bigint): string {
  if (ns < 0n) return `-${formatDuration(-ns)}`;
  if (ns < 1_000n) return `${ns}ns`;
  const n = Number(ns);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}ms`;
  if (n < 60e9) return `${(n / 1e9).toFixed(2)}s`;
  const totalSec = Math.floor(n / 1e9);
  const min = Math.floor(totalSec / 60);
  if (min < 60) return `${min}m${String(totalSec % 60).padStart(2, '0')}s`;
  return `${Math.floor(min / 60)}h${String(min % 60).padStart(2, '0')}m`;
}
