import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { spansPerIteration, type SpanScenario } from './spanScenarioLoop.js';

export interface SpanOverheadSample {
  /** Wall-clock nanoseconds per span, export work done on this thread included. */
  nsPerSpan: number;
  /** Process CPU nanoseconds per span (user + system, all threads). */
  cpuNsPerSpan: number;
  spans: number;
}

export interface MeasureOptions {
  warmupMs: number;
  durationMs: number;
}

/** Iterations between yields: the event loop runs (timers, export I/O) as it would in a server. */
const CHUNK = 1000;

/**
 * Times `loop` in chunks, yielding to the event loop between chunks so the exporter's
 * own work is paid for inside the measured window rather than hidden after it.
 */
export async function measureSpanOverhead(
  loop: (iterations: number) => void,
  scenario: SpanScenario,
  options: MeasureOptions,
): Promise<SpanOverheadSample> {
  const warmupEnd = performance.now() + options.warmupMs;
  while (performance.now() < warmupEnd) {
    loop(CHUNK);
    await yieldToEventLoop();
  }
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(options.durationMs * 1e6));
  let iterations = 0;
  let now = start;
  while (now < deadline) {
    loop(CHUNK);
    iterations += CHUNK;
    await yieldToEventLoop();
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  const spans = iterations * spansPerIteration(scenario);
  return {
    nsPerSpan: Number(now - start) / spans,
    cpuNsPerSpan: ((cpu.user + cpu.system) * 1000) / spans,
    spans,
  };
}
