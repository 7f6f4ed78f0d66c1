import { randomBytes } from 'node:crypto';

/** Capture files: `<UTC unix nanoseconds>-<random hex>.trace`. */
export const CAPTURE_FILE_SUFFIX = '.trace';
export const CAPTURE_FILE_PATTERN = /^(\d+)-([0-9a-z]+)\.trace$/;

// Wall clock read once, then advanced by the monotonic clock: names never go backwards when the
// wall clock is stepped, and the counter below keeps them strictly increasing within a process.
const anchorNs = BigInt(Date.now()) * 1_000_000n;
const anchorHr = process.hrtime.bigint();
let lastNs = 0n;

/** The next file name: strictly increasing in this process; the random part keeps processes apart. */
export function nextCaptureFileName(): string {
  let ns = anchorNs + (process.hrtime.bigint() - anchorHr);
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  return `${ns}-${randomBytes(4).toString('hex')}${CAPTURE_FILE_SUFFIX}`;
}

/**
 * Orders capture file names by time: by the numeric prefix (so names with a different digit
 * count still sort right), then by name. Names without the prefix sort after, by name.
 */
export function compareCaptureFileNames(a: string, b: string): number {
  const ma = CAPTURE_FILE_PATTERN.exec(a);
  const mb = CAPTURE_FILE_PATTERN.exec(b);
  if (ma !== null && mb !== null) {
    const na = BigInt(ma[1]!);
    const nb = BigInt(mb[1]!);
    if (na !== nb) return na < nb ? -1 : 1;
  } else if (ma !== null) {
    return -1;
  } else if (mb !== null) {
    return 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
