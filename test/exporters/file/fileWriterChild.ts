// Child process for RotatingFileWriter tests that need a real disk error, which the parent sets
// up: run under `ulimit -f`, writes past the file size limit fail (short write, then EFBIG), as
// on a full disk; given chmod steps, the capture directory's mode changes before those writes
// (with the parent taking away root's permission override, so a 0500 directory refuses new files).
import { chmodSync } from 'node:fs';
import { RotatingFileWriter } from '../../../src/exporters/file/RotatingFileWriter.js';
import { PipelineStats } from '../../../src/stats/PipelineStats.js';
import { silentLogger } from '../../../src/logger.js';
import { lineOfSize } from './lineOfSize.js';

const [dir, count, size] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const limitBytes = process.argv[5] === undefined ? 1 << 30 : Number(process.argv[5]);
/** `index:mode` pairs, comma-separated: chmod the directory to `mode` (octal) before write `index`. */
const chmods = new Map((process.argv[6] ?? '').split(',').filter((s) => s !== '').map((s) => {
  const [index, mode] = s.split(':');
  return [Number(index), parseInt(mode!, 8)] as const;
}));
/** What the child prints: each write's outcome, then the writer's counters (plain numbers: it goes through JSON). */
export interface WriterChildReport {
  results: Array<{ ok: boolean; code?: string; retryable?: boolean; cause?: string }>;
  stats: Pick<PipelineStats, 'fileWriteErrors' | 'fileLinesWritten' | 'fileBytesWritten' | 'fileRotations'>;
}

const stats = new PipelineStats();
const writer = new RotatingFileWriter({ dir, limitBytes, maxFiles: undefined, stats, logger: silentLogger });
const results: WriterChildReport['results'] = [];
for (let i = 0; i < count; i++) {
  const mode = chmods.get(i);
  if (mode !== undefined) chmodSync(dir, mode);
  try {
    await writer.write(lineOfSize(i, size));
    results.push({ ok: true });
  } catch (err) {
    const e = err as { code: string; retryable: boolean; cause?: { code?: string } };
    results.push({ ok: false, code: e.code, retryable: e.retryable, cause: e.cause?.code });
  }
}
await writer.close();
const { fileWriteErrors, fileLinesWritten, fileBytesWritten, fileRotations } = stats;
const report: WriterChildReport = { results, stats: { fileWriteErrors, fileLinesWritten, fileBytesWritten, fileRotations } };
process.stdout.write(JSON.stringify(report));
