import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { spanScenarioLoop } from '../src/bench/spanScenarioLoop.js';
import { createThroughputPipeline, type Destination, type ThroughputContender } from './createThroughputPipeline.js';

/**
 * One export-throughput run in a fresh process, after a warm-up whose spans are flushed
 * and not counted. `sustained`: spans as fast as possible for
 * the window, yielding to the event loop every `--chunk` spans (as a busy server does), then a
 * flush. `burst`: spans without yielding for the window (a synchronous burst), then a flush.
 */
export interface ThroughputSample {
  created: number;
  /** Delivered while spans were being produced. */
  exportedInWindow: number;
  /** Delivered in all, after the final flush. */
  exportedTotal: number;
  dropped: number;
  windowMs: number;
  flushMs: number;
  createdPerSec: number;
  exportedPerSec: number;
  /** Process CPU (all threads) over window + flush, per span delivered. */
  cpuUsPerSpan: number;
  peakRssMB: number;
}

const WARMUP_MS = 300;
const BURST_CHECK = 256;

const { values } = parseArgs({
  options: {
    contender: { type: 'string' },
    destination: { type: 'string' },
    mode: { type: 'string' },
    'duration-ms': { type: 'string' },
    chunk: { type: 'string', default: '500' },
    dir: { type: 'string' },
    'grpc-port': { type: 'string' },
    'http-port': { type: 'string' },
  },
});
const durationMs = Number(values['duration-ms']);
const pipeline = await createThroughputPipeline(values.contender as ThroughputContender, values.destination as Destination, {
  dir: values.dir ?? '',
  grpcPort: Number(values['grpc-port']),
  httpPort: Number(values['http-port']),
});
const loop = spanScenarioLoop(pipeline.tracer, 'span');
const chunk = Number(values.chunk);

async function produce(ms: number, yielding: boolean): Promise<number> {
  const deadline = performance.now() + ms;
  let n = 0;
  if (!yielding) {
    while (performance.now() < deadline) {
      loop(BURST_CHECK);
      n += BURST_CHECK;
    }
    return n;
  }
  while (performance.now() < deadline) {
    loop(chunk);
    n += chunk;
    await yieldToEventLoop();
  }
  return n;
}

await produce(WARMUP_MS, true);
await pipeline.forceFlush();
const exportedBefore = pipeline.exported();

const cpuStart = process.cpuUsage();
const start = performance.now();
const created = await produce(durationMs, values.mode !== 'burst');
const windowEnd = performance.now();
const exportedInWindow = pipeline.exported() - exportedBefore;
await pipeline.shutdown(30_000);
const flushEnd = performance.now();
const cpu = process.cpuUsage(cpuStart);
const exportedTotal = pipeline.exported() - exportedBefore;
const windowMs = windowEnd - start;
const sample: ThroughputSample = {
  created,
  exportedInWindow,
  exportedTotal,
  dropped: created - exportedTotal,
  windowMs,
  flushMs: flushEnd - windowEnd,
  createdPerSec: (created / windowMs) * 1000,
  exportedPerSec: (exportedInWindow / windowMs) * 1000,
  cpuUsPerSpan: (cpu.user + cpu.system) / Math.max(1, exportedTotal),
  peakRssMB: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
