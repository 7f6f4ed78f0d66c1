import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { workloadLoop } from '../src/bench/workloadLoop.js';
import { createThroughputPipeline, type ThroughputContender } from './createThroughputPipeline.js';
import { mainThreadCpuNs } from './mainThreadCpuNs.js';
import type { ThroughputSample } from './throughputWorker.js';

/** A workload run's sample: the throughput figures plus the main thread's own CPU. */
export interface WorkloadSample extends ThroughputSample {
  /** CPU of the main (request) thread over window + flush, per span delivered; undefined off Linux. */
  mainThreadCpuUsPerSpan: number | undefined;
}

/**
 * Issue 19's realistic workload in a fresh process, as a service meets it: the pipeline registered
 * globally with an AsyncLocalStorage context manager, sampling everything, exporting to `file://`;
 * then, with no warm-up, chunks of `--chunk` workload spans (start + 5 attributes, one a varying
 * integer, + end) with a setImmediate yield between chunks, for the window; then a flush.
 */
const { values } = parseArgs({
  options: {
    contender: { type: 'string' },
    'duration-ms': { type: 'string' },
    chunk: { type: 'string', default: '512' },
    dir: { type: 'string' },
  },
});
const durationMs = Number(values['duration-ms']);
const chunk = Number(values.chunk);
const pipeline = await createThroughputPipeline(values.contender as ThroughputContender, 'file', {
  dir: values.dir ?? '',
  grpcPort: 0,
  httpPort: 0,
  register: true,
});
const loop = workloadLoop(pipeline.tracer);

const mainStart = mainThreadCpuNs();
const cpuStart = process.cpuUsage();
const start = performance.now();
const deadline = start + durationMs;
let created = 0;
while (performance.now() < deadline) {
  loop(chunk, created);
  created += chunk;
  await yieldToEventLoop();
}
const windowEnd = performance.now();
const exportedInWindow = pipeline.exported();
await pipeline.shutdown(30_000);
const flushEnd = performance.now();
const cpu = process.cpuUsage(cpuStart);
const mainEnd = mainThreadCpuNs();
const exportedTotal = pipeline.exported();
const windowMs = windowEnd - start;
const delivered = Math.max(1, exportedTotal);
const sample: WorkloadSample = {
  created,
  exportedInWindow,
  exportedTotal,
  dropped: created - exportedTotal,
  windowMs,
  flushMs: flushEnd - windowEnd,
  createdPerSec: (created / windowMs) * 1000,
  exportedPerSec: (exportedInWindow / windowMs) * 1000,
  cpuUsPerSpan: (cpu.user + cpu.system) / delivered,
  mainThreadCpuUsPerSpan: mainStart === undefined || mainEnd === undefined ? undefined : (mainEnd - mainStart) / 1000 / delivered,
  peakRssMB: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
