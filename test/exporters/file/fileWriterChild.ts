// Child process for RotatingFileWriter tests that need a real disk error: the parent runs it
// under `ulimit -f` so writes past the file size limit fail (short write, then EFBIG), as on a full disk.
import { RotatingFileWriter } from '../../../src/exporters/file/RotatingFileWriter.js';
import { PipelineStats } from '../../../src/diagnostics/PipelineStats.js';
import { silentLogger } from '../../../src/logger.js';
import { lineOfSize } from './lineOfSize.js';

const [dir, count, size] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const stats = new PipelineStats();
const writer = new RotatingFileWriter({ dir, limitBytes: 1 << 30, maxFiles: undefined, stats, logger: silentLogger });
const results: Array<{ ok: boolean; code?: string; retryable?: boolean; cause?: string }> = [];
for (let i = 0; i < count; i++) {
  try {
    await writer.write(lineOfSize(i, size));
    results.push({ ok: true });
  } catch (err) {
    const e = err as { code: string; retryable: boolean; cause?: { code?: string } };
    results.push({ ok: false, code: e.code, retryable: e.retryable, cause: e.cause?.code });
  }
}
await writer.close();
process.stdout.write(JSON.stringify({ results, stats }));
