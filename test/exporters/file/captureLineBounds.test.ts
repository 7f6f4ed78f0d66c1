import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTracing } from '../../../src/createTracing.js';
import { createLogger } from '../../../src/logger.js';
import { captureLineLengths } from '../../support/captureLineLengths.js';
import { readCapturedSpans } from '../../support/readCapturedSpans.js';
import { tempDirs } from '../../support/tempDirs.js';

const tempDir = tempDirs('tracepipe-line-bounds-');

function tracingInto(dir: string, query = '', lines: string[] = []) {
  return createTracing(
    {
      service_name: 'line-bounds',
      tracing_service: { enabled: true, exporter_url: `file://${dir}${query}`, sampling_rate_per_million: 1_000_000, schedule_delay_ms: 10 },
    },
    { logger: createLogger('warn', (line) => void lines.push(line)) },
  );
}

test('1,024 spans with 2 KB attributes are captured in lines of at most 1 MiB (the Collector file reader\'s limit), every span present', async () => {
  const dir = await tempDir();
  const tracing = tracingInto(dir);
  const tracer = tracing.tracer('bounds');
  const query = 'SELECT * FROM orders WHERE '.padEnd(2048, 'x');
  for (let i = 0; i < 1024; i++) tracer.startSpan(`query-${i}`, { attributes: { 'db.query.text': query, i } }).end();
  await tracing.shutdown();
  const lengths = await captureLineLengths(dir);
  assert.ok(lengths.length >= 3, `${lengths.length} lines: 512 such spans make more than 1 MiB of JSON`);
  for (const length of lengths) assert.ok(length <= 1_048_576, `a line of ${length} bytes`);
  const spans = await readCapturedSpans(dir);
  assert.equal(spans.length, 1024);
  assert.equal(new Set(spans.map((s) => s.name)).size, 1024);
  assert.equal(tracing.stats.exported, 1024);
  assert.equal(tracing.stats.fileOversizeSpans, 0);
});

test('a span longer than max_line_bytes on its own gets a line of its own, counted and warned about once; the others stay within the limit', async () => {
  const dir = await tempDir();
  const warnings: string[] = [];
  const tracing = tracingInto(dir, '?max_line_bytes=16384', warnings);
  const tracer = tracing.tracer('bounds');
  for (let i = 0; i < 100; i++) tracer.startSpan(`small-${i}`, { attributes: { filler: 'f'.repeat(500) } }).end();
  tracer.startSpan('huge-1', { attributes: { blob: 'b'.repeat(40_000) } }).end();
  tracer.startSpan('huge-2', { attributes: { blob: 'b'.repeat(40_000) } }).end();
  await tracing.shutdown();
  const lengths = await captureLineLengths(dir);
  assert.equal(lengths.filter((n) => n > 16_384).length, 2, 'one line each for the two huge spans');
  assert.equal(tracing.stats.fileOversizeSpans, 2);
  const spans = await readCapturedSpans(dir);
  assert.equal(spans.length, 102);
  const oversize = warnings.filter((line) => line.includes('max_line_bytes'));
  assert.equal(oversize.length, 1, 'warned once');
  assert.equal(tracing.stats.exported, 102);
});
