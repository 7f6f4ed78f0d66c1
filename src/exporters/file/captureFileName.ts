import { randomBytes } from 'node:crypto';

/** Capture files: `<UTC unix nanoseconds>-<random hex>.trace`. */
export const CAPTURE_FILE_SUFFIX = '.trace';
export const CAPTURE_FILE_PATTERN = /^(\d+)-([0-9a-z]+)\.trace$/;

/**
 * Names for one writer's capture files. The wall clock is read once, then advanced by the
 * monotonic clock: names never go backwards when the wall clock is stepped, and `lastNs` keeps
 * them strictly increasing; the random part keeps writers and processes apart.
 */
export class CaptureFileNames {
  private readonly anchorNs = BigInt(Date.now()) * 1_000_000n;
  private readonly anchorHr = process.hrtime.bigint();
  private lastNs = 0n;

  next(): string {
    let ns = this.anchorNs + (process.hrtime.bigint() - this.anchorHr);
    if (ns <= this.lastNs) ns = this.lastNs + 1n;
    this.lastNs = ns;
    return `${ns}-${randomBytes(4).toString('hex')}${CAPTURE_FILE_SUFFIX}`;
  }
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
