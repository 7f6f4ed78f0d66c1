import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createTracing, type Tracing } from '../../src/createTracing.js';
import { silentLogger } from '../../src/logger.js';
import { LazySpan } from '../../src/sampling/LazySpan.js';
import { Threshold } from '../../src/sampling/Threshold.js';
import { RecordingExporter } from '../support/RecordingExporter.js';

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

function setup(rate: number): { tracing: Tracing; exporter: RecordingExporter } {
  const exporter = new RecordingExporter();
  const tracing = createTracing(
    { tracing_service: { enabled: true, exporter_url: 'grpc://127.0.0.1:4317', sampling_rate_per_million: rate, schedule_delay_ms: 10 } },
    { exporter, logger: silentLogger },
  );
  return { tracing, exporter };
}

function remoteParent(tracing: Tracing, flags: '00' | '01' | '03', tracestate?: string): Context {
  const carrier: Record<string, string> = { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-${flags}` };
  if (tracestate !== undefined) carrier.tracestate = tracestate;
  return tracing.propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

function inject(tracing: Tracing, ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  tracing.propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

test('at rate 0 a root is a lazy, non-recording span; its ids exist only once asked for and propagate with flags 02 (not sampled, random trace id)', async () => {
  const { tracing, exporter } = setup(0);
  const tracer = tracing.tracer('t');
  const root = tracer.startSpan('root');
  assert.ok(root instanceof LazySpan);
  assert.equal(root.isRecording(), false);
  root.setAttribute('a', 1).setAttributes({ b: 2 }).addEvent('e').setStatus({ code: 2 }).updateName('x');
  const child = tracer.startSpan('child', undefined, trace.setSpan(ROOT_CONTEXT, root));
  assert.ok(child instanceof LazySpan);
  const rootCtx = root.spanContext();
  assert.equal(root.spanContext(), rootCtx, 'made once');
  assert.match(rootCtx.traceId, /^[0-9a-f]{32}$/);
  assert.match(rootCtx.spanId, /^[0-9a-f]{16}$/);
  assert.equal(rootCtx.traceFlags, 2);
  assert.equal(child.spanContext().traceId, rootCtx.traceId, 'a lazy child shares the lazy parent trace');
  assert.notEqual(child.spanContext().spanId, rootCtx.spanId);
  assert.deepEqual(inject(tracing, trace.setSpan(ROOT_CONTEXT, child)), {
    traceparent: `00-${rootCtx.traceId}-${child.spanContext().spanId}-02`,
  });
  child.end();
  root.end();
  await tracing.forceFlush();
  assert.equal(exporter.spans.length, 0);
  assert.equal(tracing.stats.notSampled, 2);
  assert.equal(tracing.stats.sampled, 0);
  await tracing.shutdown();
});

test('a sampled remote parent is followed at rate 0, through nested active spans, keeping its tracestate', async () => {
  const { tracing, exporter } = setup(0);
  const tracer = tracing.tracer('t');
  const parent = remoteParent(tracing, '01', 'ot=th:8,vendor=kept');
  tracer.startActiveSpan('server', {}, parent, (server) => {
    tracer.startActiveSpan('db', (db) => {
      assert.equal(db.isRecording(), true);
      assert.deepEqual(inject(tracing, tracing.contextManager!.active()), {
        traceparent: `00-${PARENT_TRACE}-${db.spanContext().spanId}-01`,
        tracestate: 'ot=th:8,vendor=kept',
      });
      db.end();
    });
    server.end();
  });
  await tracing.forceFlush();
  const byName = new Map(exporter.spans.map((s) => [s.name, s] as [string, ReadableSpan]));
  const server = byName.get('server')!;
  const db = byName.get('db')!;
  assert.equal(server.spanContext().traceId, PARENT_TRACE);
  assert.equal(server.parentSpanContext?.spanId, PARENT_SPAN);
  assert.equal(db.parentSpanContext?.spanId, server.spanContext().spanId);
  assert.equal(db.spanContext().traceState?.serialize(), 'ot=th:8,vendor=kept');
  assert.equal(tracing.stats.sampled, 2);
  assert.equal(tracing.stats.notSampled, 0);
  await tracing.shutdown();
});

test('an unsampled remote parent is followed at rate 1e6: nothing is recorded, the trace and tracestate propagate', async () => {
  const { tracing, exporter } = setup(1_000_000);
  const tracer = tracing.tracer('t');
  const span = tracer.startSpan('server', undefined, remoteParent(tracing, '00', 'vendor=kept'));
  assert.equal(span.isRecording(), false);
  assert.deepEqual(inject(tracing, trace.setSpan(ROOT_CONTEXT, span)), {
    traceparent: `00-${PARENT_TRACE}-${span.spanContext().spanId}-00`,
    tracestate: 'vendor=kept',
  });
  span.end();
  await tracing.forceFlush();
  assert.equal(exporter.spans.length, 0);
  assert.equal(tracing.stats.notSampled, 1);
  await tracing.shutdown();
});

test('at rate 1e6 every root is sampled with ot=th:0; options.root ignores the parent', async () => {
  const { tracing, exporter } = setup(1_000_000);
  const tracer = tracing.tracer('t');
  const unsampledParent = remoteParent(tracing, '00');
  const span = tracer.startSpan('fresh', { root: true }, unsampledParent);
  assert.equal(span.isRecording(), true);
  assert.notEqual(span.spanContext().traceId, PARENT_TRACE);
  span.end();
  await tracing.forceFlush();
  assert.equal(exporter.spans.length, 1);
  assert.equal(exporter.spans[0]!.spanContext().traceState?.serialize(), 'ot=th:0');
  assert.equal(exporter.spans[0]!.parentSpanContext, undefined);
  await tracing.shutdown();
});

test('between 0 and 1e6 the fast path and the trace ids agree with the threshold, sampled or not', async () => {
  const { tracing, exporter } = setup(500_000);
  const tracer = tracing.tracer('t');
  const threshold = Threshold.forRatePerMillion(500_000);
  const n = 4000;
  let lazy = 0;
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('op');
    if (span instanceof LazySpan) {
      lazy++;
      assert.equal(threshold.acceptsTraceId(span.spanContext().traceId), false, span.spanContext().traceId);
    }
    span.end();
  }
  await tracing.forceFlush();
  assert.equal(exporter.spans.length + lazy, n);
  assert.equal(tracing.stats.sampled, exporter.spans.length);
  assert.equal(tracing.stats.notSampled, lazy);
  for (const s of exporter.spans) {
    assert.equal(threshold.acceptsTraceId(s.spanContext().traceId), true, s.spanContext().traceId);
    assert.equal(s.spanContext().traceState?.serialize(), 'ot=th:8');
  }
  // 4000 fair coin flips: within 5 standard deviations (sd = sqrt(1000)).
  assert.ok(Math.abs(exporter.spans.length - 2000) <= 5 * Math.sqrt(1000), `${exporter.spans.length} sampled`);
  await tracing.shutdown();
});

test('suppressed tracing makes an invalid span and counts nothing', async () => {
  const { tracing } = setup(1_000_000);
  const span = tracing.tracer('t').startSpan('quiet', undefined, suppressTracing(ROOT_CONTEXT));
  assert.equal(span.isRecording(), false);
  assert.equal(span.spanContext().traceId, '0'.repeat(32));
  assert.equal(tracing.stats.sampled + tracing.stats.notSampled, 0);
  await tracing.shutdown();
});

for (const rate of [1_000_000, 999_999]) {
  test(`sampled new roots set the W3C random flag (flags 03) and their children keep it (rate ${rate})`, async () => {
    const { tracing, exporter } = setup(rate);
    const tracer = tracing.tracer('t');
    const roots: number[] = [];
    for (let i = 0; i < 20; i++) {
      const span = tracer.startSpan('root');
      if (!span.isRecording()) continue;
      roots.push(span.spanContext().traceFlags);
      const child = tracer.startSpan('child', undefined, trace.setSpan(ROOT_CONTEXT, span));
      assert.equal(child.spanContext().traceFlags, 3);
      assert.match(inject(tracing, trace.setSpan(ROOT_CONTEXT, child)).traceparent!, /-03$/);
      child.end();
      span.end();
    }
    assert.equal(roots.length > 0, true);
    assert.deepEqual([...new Set(roots)], [3]);
    await tracing.forceFlush();
    assert.deepEqual([...new Set(exporter.spans.map((s) => s.spanContext().traceFlags))], [3]);
    await tracing.shutdown();
  });
}

test('a continued trace keeps its parent\'s random flag, set or not', async () => {
  const { tracing } = setup(0);
  const tracer = tracing.tracer('t');
  for (const flags of ['01', '03', '00'] as const) {
    const span = tracer.startSpan('server', undefined, remoteParent(tracing, flags));
    assert.equal(span.spanContext().traceFlags, Number(flags), flags);
    span.end();
  }
  await tracing.shutdown();
});
