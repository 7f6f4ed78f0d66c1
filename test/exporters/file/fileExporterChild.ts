// Child process for the crash test: exports sample batches as fast as it can, with several
// exports in flight, until the parent kills it with SIGKILL.
import { PipelineStats } from '../../../src/stats/PipelineStats.js';
import { FileTraceExporter } from '../../../src/exporters/file/FileTraceExporter.js';
import { parseExporterUrl } from '../../../src/config/parseExporterUrl.js';
import type { FileTarget } from '../../../src/config/ExporterTarget.js';
import { silentLogger } from '../../../src/logger.js';
import { sampleSpans } from './sampleSpans.js';

const target = parseExporterUrl(`file://${process.argv[2]}?limit=${process.argv[3]}`) as FileTarget;
const exporter = new FileTraceExporter(target, { stats: new PipelineStats(), logger: silentLogger });
const spans = await sampleSpans();
let started = false;
for (;;) {
  await Promise.all([exporter.export(spans), exporter.export(spans), exporter.export(spans)]);
  if (!started) {
    started = true;
    process.stdout.write('writing\n');
  }
}
