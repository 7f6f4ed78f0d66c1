import assert from 'node:assert/strict';
import { Session } from 'node:inspector/promises';
import { test } from 'node:test';
import type { Span, Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { startWorkloadSpan } from '../../src/bench/workloadLoop.js';
import { createTracing } from '../../src/createTracing.js';
import { silentLogger } from '../../src/logger.js';
import { estimateSpanBytes } from '../../src/pipeline/estimateSpanBytes.js';
import { CompactSpan } from '../../src/span/CompactSpan.js';
import { discardingExporter } from '../support/discardingExporter.js';

/** The factor the estimate may be off by, either way, from the heap a held span really retains. */
const FACTOR = 1.5;
const SPANS = 20_000;

/** The workload's span plus `extra` string attributes of fresh strings (the shape the estimate is least sure of). */
function makeSpan(tracer: Tracer, i: number, extra: number): Span {
  const span = startWorkloadSpan(tracer, i);
  for (let a = 0; a < extra; a++) span.setAttribute(`app.extra.${a}`, `value ${a} of span ${i}`);
  span.end();
  return span;
}

/** Heap retained per held, ended span (after full GCs), and the estimate's mean for the same spans. */
async function measure(tracer: Tracer, extra: number): Promise<{ retained: number; estimated: number; compact: boolean }> {
  const session = new Session();
  session.connect();
  try {
    for (let i = 0; i < 2_000; i++) makeSpan(tracer, i, extra);
    await session.post('HeapProfiler.collectGarbage');
    const before = process.memoryUsage().heapUsed;
    const held: Span[] = new Array<Span>(SPANS);
    for (let i = 0; i < SPANS; i++) held[i] = makeSpan(tracer, i, extra);
    await new Promise((resolve) => setImmediate(resolve));
    await session.post('HeapProfiler.collectGarbage');
    const retained = (process.memoryUsage().heapUsed - before) / SPANS;
    const estimated = held.reduce((sum, span) => sum + estimateSpanBytes(span as unknown as ReadableSpan), 0) / SPANS;
    return { retained, estimated, compact: held[0] instanceof CompactSpan };
  } finally {
    session.disconnect();
  }
}

for (const kind of ['CompactSpan', "the SDK's span"] as const) {
  test(`the estimate for ${kind} is within ${FACTOR}x of the heap it retains, with 5 and 20 attributes`, async () => {
    const tracing = createTracing(
      { tracing_service: { enabled: true, exporter_url: 'grpc://127.0.0.1:4317', sampling_rate_per_million: 1_000_000 } },
      {
        exporter: discardingExporter,
        logger: silentLogger,
        // A span processor of the user's makes the pipeline keep the SDK's span.
        ...(kind === 'CompactSpan' ? {} : { spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() }] }),
      },
    );
    const tracer = tracing.tracer('t');
    for (const extra of [0, 15]) {
      const { retained, estimated, compact } = await measure(tracer, extra);
      assert.equal(compact, kind === 'CompactSpan');
      const ratio = estimated / retained;
      assert.ok(ratio >= 1 / FACTOR && ratio <= FACTOR, `${kind}, ${5 + extra} attributes: estimated ${estimated.toFixed(0)}, retained ${retained.toFixed(0)} bytes`);
    }
    await tracing.shutdown();
  });
}
