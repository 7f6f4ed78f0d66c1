import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTracing } from '../../../src/createTracing.js';
import { type CaptureProblem, readCapture } from '../../../src/capture/readCapture.js';
import { summarizeTraces } from '../../../src/capture/summarizeTraces.js';
import { silentLogger } from '../../../src/logger.js';
import { tempDirs } from '../../support/tempDirs.js';

const tempDir = tempDirs('tracepipe-pipeline-');

test('createTracing with a file:// exporter_url captures every span, readable with readCapture', async () => {
  const base = await tempDir();
  const dir = join(base, 'captures');
  const tracing = createTracing(
    {
      service_name: 'capture-e2e',
      tracing_service: {
        enabled: true,
        exporter_url: `file://${dir}?limit=20000&max_files=1000`,
        sampling_rate_per_million: 1_000_000,
        max_export_batch_size: 50,
      },
    },
    { logger: silentLogger },
  );
  const tracer = tracing.tracer('e2e');
  for (let t = 0; t < 100; t++) {
    tracer.startActiveSpan(`request ${t}`, (root) => {
      for (let c = 0; c < 9; c++) tracer.startSpan(`child ${c}`).end();
      root.end();
    });
  }
  await tracing.shutdown();
  assert.equal(tracing.stats.exported, 1000);
  assert.equal(tracing.stats.fileWriteErrors, 0);
  assert.ok(tracing.stats.fileRotations > 0, 'the 20000-byte limit rotated');
  assert.equal((await readdir(dir)).length, tracing.stats.fileRotations + 1);

  const problems: CaptureProblem[] = [];
  const spans = [];
  let lines = 0;
  for await (const batch of readCapture(dir, { onProblem: (p) => problems.push(p) })) {
    lines++;
    spans.push(...batch.spans);
  }
  assert.deepEqual(problems, []);
  assert.equal(lines, tracing.stats.fileLinesWritten);
  assert.equal(spans.length, 1000);
  const traces = summarizeTraces(spans);
  assert.equal(traces.length, 100);
  for (const t of traces) {
    assert.equal(t.spanCount, 10);
    assert.equal(t.hasRoot, true);
    assert.equal(t.service, 'capture-e2e');
    assert.match(t.rootName, /^request \d+$/);
  }
});
