import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workloadLoop } from '../../src/bench/workloadLoop.js';
import { createTracing } from '../../src/createTracing.js';
import { silentLogger } from '../../src/logger.js';
import { heapAllocations } from '../support/heapAllocations.js';
import { discardingExporter } from '../support/discardingExporter.js';

// A file of its own, as the unsampled one: V8's type feedback for startSpan is per process.
test('heap allocated per sampled span of the workload (start + 5 attributes + end, into the export queue) stays within its budget', async () => {
  const tracing = createTracing(
    { tracing_service: { enabled: true, exporter_url: 'grpc://127.0.0.1:4317', sampling_rate_per_million: 1_000_000 } },
    { exporter: discardingExporter, logger: silentLogger },
  );
  const tracer = tracing.tracer('t');
  const spans = 10_000;
  const loop = workloadLoop(tracer);
  const bytes = await heapAllocations(() => loop(spans, 0), 1_000 * spans);
  // Measured ≈ 840 bytes: the CompactSpan, its context and attribute store (≈ 400 with the two
  // performance-clock numbers it keeps), the attribute array's growth (≈ 170), the start and end
  // times (≈ 150), the ids (≈ 85: two slices and a share of their pool window's hex text). It was
  // ≈ 900 while spans boxed their unlimited (Infinity) limits and read the clock's origin through
  // its getter. Through the SDK's span, the same loop allocates ≈ 1,410.
  const perSpan = bytes / spans;
  assert.ok(perSpan < 1_000, `${perSpan.toFixed(0)} bytes allocated per sampled span`);
  await tracing.shutdown();
});
