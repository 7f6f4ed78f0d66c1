import type { Tracer } from '@opentelemetry/api';
import type { SpanOverheadSample } from './measureSpanOverhead.js';
import { workloadLoop } from './workloadLoop.js';

/**
 * The tight-loop variant: in a process that has just set up its tracer, `spans` spans of the
 * issue's workload in one synchronous loop, no warm-up and no yield, timed from the first span.
 * What a script or a burst at start-up pays: the time before V8 has optimized the path and any
 * garbage collection the loop's allocations trigger are inside the figure, as they are for the
 * no-op API it is compared with.
 */
export function measureTightLoop(tracer: Tracer, spans: number): SpanOverheadSample {
  const loop = workloadLoop(tracer);
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  loop(spans, 0);
  const elapsed = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuStart);
  return { nsPerSpan: elapsed / spans, cpuNsPerSpan: ((cpu.user + cpu.system) * 1000) / spans, spans };
}
