import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Context, context, defaultTextMapSetter, propagation, ProxyTracerProvider, type Span, trace } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ConfigError } from '../src/errors.js';
import { createTracing } from '../src/createTracing.js';
import { validateConfig } from '../src/config/validateConfig.js';
import { PipelineStats } from '../src/stats/PipelineStats.js';
import { createLogger, silentLogger } from '../src/logger.js';
import { CompactSpan } from '../src/span/CompactSpan.js';
import { RecordingExporter } from './support/RecordingExporter.js';

function enabled(rate: number, extra: Record<string, unknown> = {}) {
  return {
    service_name: 'checkout',
    resource_attributes: { 'deployment.environment': 'test' },
    tracing_service: { enabled: true, exporter_url: 'grpc://127.0.0.1:4317', sampling_rate_per_million: rate, ...extra },
  };
}

test('enabled: false is a no-op setup: no exporter, nothing recorded, every call harmless', async () => {
  const tracing = createTracing({ tracing_service: { enabled: false } });
  const span = tracing.tracer('t').startSpan('op');
  assert.equal(span.isRecording(), false);
  span.setAttribute('a', 1).end();
  assert.equal(tracing.sampler, undefined);
  assert.equal(tracing.contextManager, undefined);
  assert.ok(tracing.provider instanceof ProxyTracerProvider);
  await tracing.forceFlush();
  await tracing.shutdown();
  await tracing.shutdown();
  assert.equal(tracing.stats.sampled + tracing.stats.notSampled, 0);
});

test('a raw config is validated up front; a resolved one is used as it is', () => {
  assert.throws(() => createTracing({ tracing_service: { enabled: true, exporter_url: 'grpc://x:1', sampling_rate_per_million: 1.5 } }), ConfigError);
  assert.throws(() => createTracing({ tracing_service: { enabled: true } }), /tracing_service is enabled but no exporter_url is specified/);
  const resolved = validateConfig(enabled(7));
  const tracing = createTracing(resolved, { exporter: new RecordingExporter(), logger: silentLogger });
  assert.equal(tracing.config, resolved);
  assert.equal(tracing.sampler?.toString().startsWith('ParentBased{root=PerMillionSampler{rate=7/1000000'), true);
  return tracing.shutdown();
});

test('spans carry the resource: service.name, configured attributes and the process', async () => {
  const exporter = new RecordingExporter();
  const tracing = createTracing(enabled(1_000_000), { exporter, logger: silentLogger });
  tracing.tracer('lib', '1.2.3').startSpan('op', { attributes: { k: 'v' } }).end();
  await tracing.forceFlush();
  const [span] = exporter.spans;
  assert.equal(span!.name, 'op');
  assert.deepEqual(span!.attributes, { k: 'v' });
  assert.equal(span!.instrumentationScope.name, 'lib');
  assert.equal(span!.instrumentationScope.version, '1.2.3');
  const attrs = span!.resource.attributes;
  assert.equal(attrs['service.name'], 'checkout');
  assert.equal(attrs['deployment.environment'], 'test');
  assert.equal(attrs['process.pid'], process.pid);
  assert.equal(attrs['process.runtime.name'], 'nodejs');
  assert.equal(attrs['telemetry.sdk.language'], 'nodejs');
  await tracing.shutdown();
});

test('a synchronous burst of 30,000 spans is kept whole within the default memory budget', async () => {
  const exporter = new RecordingExporter();
  const tracing = createTracing(enabled(1_000_000), { exporter, logger: silentLogger });
  const tracer = tracing.tracer('burst');
  for (let i = 0; i < 30_000; i++) {
    const span = tracer.startSpan('op');
    span.setAttributes({ 'http.method': 'GET', 'http.route': '/items/:id', 'http.status_code': 200, 'net.peer.port': 443, i });
    span.end();
  }
  assert.equal(tracing.stats.dropped.queue_full, 0);
  await tracing.forceFlush();
  assert.equal(exporter.spans.length, 30_000);
  assert.equal(new Set(exporter.spans.map((s) => s.spanContext().spanId)).size, 30_000);
  assert.equal(tracing.stats.exported, 30_000);
  assert.ok(exporter.batches.every((b) => b.length <= 512));
  await tracing.shutdown();
});

test('spans beyond the memory budget are counted as dropped queue_full', async () => {
  const exporter = new RecordingExporter();
  exporter.hold();
  const tracing = createTracing(enabled(1_000_000, { queue_max_bytes: 10_000 }), { exporter, logger: silentLogger });
  for (let i = 0; i < 100; i++) tracing.tracer('t').startSpan('op').end();
  const dropped = tracing.stats.dropped.queue_full;
  // A sampled span here is a CompactSpan, charged 650 bytes plus its name (estimateSpanBytes).
  assert.equal(dropped, 100 - Math.floor(10_000 / 652));
  exporter.release();
  await tracing.shutdown();
  assert.equal(exporter.spans.length + dropped, 100);
});

test('shutdown delivers every queued span, then closes; later calls do nothing and do not throw', async () => {
  const exporter = new RecordingExporter();
  const stats = new PipelineStats();
  const tracing = createTracing(enabled(1_000_000, { schedule_delay_ms: 3_600_000 }), { exporter, stats, logger: silentLogger });
  const tracer = tracing.tracer('t');
  const late = tracer.startSpan('late');
  for (let i = 0; i < 1000; i++) tracer.startSpan(`op-${i}`).end();
  assert.equal(exporter.spans.length, 0);
  const first = tracing.shutdown();
  assert.equal(tracing.shutdown(), first);
  await first;
  assert.equal(exporter.spans.length, 1000);
  assert.equal(exporter.shutdownCalls, 1);
  assert.equal(tracing.stats, stats);
  late.end();
  assert.equal(stats.dropped.shutdown, 1);
  const after = tracer.startSpan('after');
  assert.equal(after.isRecording(), false);
  after.end();
  tracing.tracer('other').startSpan('x').end();
  assert.equal(
    tracer.startActiveSpan('active', (span) => {
      const recording = span.isRecording();
      span.end();
      return recording;
    }),
    false,
  );
  await tracing.forceFlush();
  await tracing.shutdown();
  assert.equal(exporter.spans.length, 1000);
  assert.equal(exporter.shutdownCalls, 1);
});

test('register: true installs the provider, context manager and propagator, and shutdown removes them', async () => {
  const exporter = new RecordingExporter();
  const tracing = createTracing(enabled(0), { exporter, logger: silentLogger, register: true });
  const carrier: Record<string, string> = {};
  trace.getTracer('global').startActiveSpan('root', (span) => {
    assert.equal(span.isRecording(), false);
    propagation.inject(context.active(), carrier, defaultTextMapSetter);
    span.end();
  });
  assert.match(carrier.traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/); // not sampled; random trace id
  assert.equal(tracing.stats.notSampled, 1);
  await tracing.shutdown();
  const after: Record<string, string> = {};
  trace.getTracer('global').startActiveSpan('root', (span) => {
    propagation.inject(context.active(), after, defaultTextMapSetter);
    span.end();
  });
  assert.deepEqual(after, {}, 'the API is back to no-op');
  assert.equal(tracing.stats.notSampled, 1);
});

test('without register the globals are untouched', async () => {
  const tracing = createTracing(enabled(1_000_000), { exporter: new RecordingExporter(), logger: silentLogger });
  const span = trace.getTracer('global').startSpan('x');
  assert.equal(span.isRecording(), false);
  span.end();
  assert.equal(tracing.stats.sampled, 0);
  await tracing.shutdown();
});

/** A logger that keeps its JSON lines. */
function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  return { logger: createLogger('debug', (l) => lines.push(JSON.parse(l) as { level: string; msg: string })), lines };
}

test('at rate 0, the first new root warns once that nothing is sampled', async () => {
  const { logger, lines } = recordingLogger();
  const tracing = createTracing(enabled(0), { exporter: new RecordingExporter(), logger });
  for (let i = 0; i < 3; i++) tracing.tracer('t').startSpan('root').end();
  const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^nothing is sampled: sampling_rate_per_million is 0/);
  await tracing.shutdown();
});

test('at rate 0 no warning once a span with a sampled parent was kept, nor at a rate above 0', async () => {
  for (const [rate, sampledParentFirst] of [[0, true], [1, false]] as const) {
    const { logger, lines } = recordingLogger();
    const tracing = createTracing(enabled(rate), { exporter: new RecordingExporter(), logger });
    const tracer = tracing.tracer('t');
    if (sampledParentFirst) {
      const parent = trace.setSpanContext(context.active(), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
      tracer.startSpan('server', undefined, parent).end();
    }
    tracer.startSpan('root').end();
    assert.deepEqual(lines.filter((l) => l.level === 'warn'), [], `rate ${rate}`);
    await tracing.shutdown();
  }
});

test("spanProcessors: the user's processors get the SDK's span (onStart with its context, onEnd as a ReadableSpan) and the queue still exports it", async () => {
  const exporter = new RecordingExporter();
  const started: Array<[Span, Context]> = [];
  const ended: ReadableSpan[] = [];
  const calls: string[] = [];
  const mine: SpanProcessor = {
    onStart: (span, ctx) => started.push([span, ctx]),
    onEnd: (span) => ended.push(span),
    forceFlush: async () => void calls.push('forceFlush'),
    shutdown: async () => void calls.push('shutdown'),
  };
  const tracing = createTracing(enabled(1_000_000), { exporter, logger: silentLogger, spanProcessors: [mine] });
  const tracer = tracing.tracer('lib');
  const parent = tracer.startSpan('parent');
  const ctx = trace.setSpan(context.active(), parent);
  const child = tracer.startSpan('child', { attributes: { k: 'v' } }, ctx);
  child.end();
  parent.end();
  await tracing.forceFlush();
  assert.deepEqual(started.map(([s]) => s), [parent, child]);
  assert.equal(trace.getSpan(started[1]![1]), parent, 'onStart gets the parent context');
  assert.deepEqual(ended, [child, parent]);
  assert.ok(ended.every((s) => !(s instanceof CompactSpan)));
  assert.deepEqual(ended[0]!.attributes, { k: 'v' });
  assert.equal(ended[0]!.parentSpanContext?.spanId, parent.spanContext().spanId);
  assert.equal(ended[0]!.spanContext().traceFlags, 3);
  assert.deepEqual(exporter.spans, [child, parent]);
  assert.deepEqual(calls, ['forceFlush']);
  await tracing.shutdown();
  assert.deepEqual(calls, ['forceFlush', 'shutdown']);
  assert.equal(tracing.stats.sampled, 2);
});

test('without spanProcessors a sampled span is a CompactSpan, exported as it is', async () => {
  const exporter = new RecordingExporter();
  const tracing = createTracing(enabled(1_000_000), { exporter, logger: silentLogger, spanProcessors: [] });
  const span = tracing.tracer('lib').startSpan('op');
  assert.ok(span instanceof CompactSpan);
  span.end();
  await tracing.forceFlush();
  assert.deepEqual(exporter.spans, [span]);
  await tracing.shutdown();
});

test('importing tracepipe and building a pipeline in code loads neither prom-client nor yaml (diagnostics and config files load them when used)', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const index = new URL('../src/index.js', import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    const { createTracing } = await import(${JSON.stringify(index)});
    const tracing = createTracing({ tracing_service: { enabled: true, exporter_url: 'grpc://127.0.0.1:4317', sampling_rate_per_million: 1000000 } });
    tracing.tracer('t').startSpan('s').end();
    await tracing.shutdown();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(['prom-client', 'yaml'].filter((p) => loaded.some((f) => f.includes('/node_modules/' + p + '/')))));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
  assert.deepEqual(JSON.parse(stdout), []);
});

test('importing tracepipe loads grpc-js and protobufjs only for a pipeline that needs them (a gRPC exporter), not for one exporting to file://', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-lazy-'));
  const index = new URL('../src/index.js', import.meta.url).href;
  const loadedFor = async (exporterUrl: string) => {
    const script = `
      import { createRequire } from 'node:module';
      const { createTracing } = await import(${JSON.stringify(index)});
      const tracing = createTracing({ tracing_service: { enabled: true, exporter_url: ${JSON.stringify(exporterUrl)}, sampling_rate_per_million: 1000000 } });
      tracing.tracer('t').startSpan('s').end();
      await tracing.shutdown();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(['@grpc/grpc-js', 'protobufjs'].filter((p) => loaded.some((f) => f.includes('/node_modules/' + p + '/')))));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    return JSON.parse(stdout) as string[];
  };
  try {
    assert.deepEqual(await loadedFor(`file://${dir}`), []);
    assert.deepEqual(await loadedFor('grpc://127.0.0.1:1'), ['@grpc/grpc-js', 'protobufjs']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
