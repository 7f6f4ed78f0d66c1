import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Gauge, register as globalRegistry } from 'prom-client';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { type DiagnosticsServer, startDiagnostics } from '../../src/diagnostics/startDiagnostics.js';
import { ExportError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { ExportQueue } from '../../src/pipeline/ExportQueue.js';
import { QueueSpanProcessor } from '../../src/pipeline/QueueSpanProcessor.js';
import { estimateSpanBytes } from '../../src/pipeline/estimateSpanBytes.js';
import { VERSION } from '../../src/version.js';
import { type PromText, parsePrometheusText } from '../support/parsePrometheusText.js';
import { RecordingExporter } from '../support/RecordingExporter.js';
import { diagnosticsServers } from '../support/diagnosticsServers.js';

const start = diagnosticsServers();

async function scrape(d: DiagnosticsServer): Promise<PromText> {
  const res = await fetch(`${d.url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await res.text());
}

describe('/metrics', () => {
  it('reads exactly the spans exported and dropped', async () => {
    const stats = new PipelineStats();
    const d = await start({ stats: stats });
    const exported = [512, 512, 37];
    const N = exported.reduce((a, b) => a + b, 0);
    for (const spans of exported) stats.recordExport({ ok: true, spans, durationMs: 12 });
    stats.recordExport({ ok: false, spans: 40, durationMs: 2_000, error: new ExportError('collector unavailable', { retryable: true }) });
    stats.drop('queue_full', 300);
    stats.drop('queue_full', 7);
    stats.drop('invalid', 2);
    stats.drop('shutdown', 5);
    stats.drop('export_failed', 40);
    const M = 300 + 7 + 2 + 5 + 40;

    const m = await scrape(d);
    assert.equal(m.value('tracepipe_spans_exported_total'), N);
    assert.equal(m.value('tracepipe_spans_export_failed_total'), 40);
    const dropped = m.samples.filter((s) => s.name === 'tracepipe_spans_dropped_total');
    assert.equal(
      dropped.reduce((a, s) => a + s.value, 0),
      M,
    );
    assert.equal(m.value('tracepipe_spans_dropped_total', { reason: 'queue_full' }), 307);
    assert.equal(m.value('tracepipe_spans_dropped_total', { reason: 'invalid' }), 2);
    assert.equal(m.value('tracepipe_spans_dropped_total', { reason: 'shutdown' }), 5);
    assert.equal(m.value('tracepipe_spans_dropped_total', { reason: 'export_failed' }), 40);

    assert.equal(m.value('tracepipe_export_batch_spans_count', { outcome: 'success' }), 3);
    assert.equal(m.value('tracepipe_export_batch_spans_sum', { outcome: 'success' }), N);
    assert.equal(m.value('tracepipe_export_batch_spans_bucket', { outcome: 'success', le: '32' }), 0);
    assert.equal(m.value('tracepipe_export_batch_spans_bucket', { outcome: 'success', le: '64' }), 1);
    assert.equal(m.value('tracepipe_export_batch_spans_bucket', { outcome: 'success', le: '512' }), 3);
    assert.equal(m.value('tracepipe_export_batch_spans_count', { outcome: 'failure' }), 1);
    assert.equal(m.value('tracepipe_export_duration_seconds_count', { outcome: 'success' }), 3);
    assert.ok(Math.abs(m.value('tracepipe_export_duration_seconds_sum', { outcome: 'success' }) - 0.036) < 1e-9);
    assert.equal(m.value('tracepipe_export_duration_seconds_bucket', { outcome: 'success', le: '0.01' }), 0);
    assert.equal(m.value('tracepipe_export_duration_seconds_bucket', { outcome: 'success', le: '0.025' }), 3);
    assert.equal(m.value('tracepipe_export_duration_seconds_bucket', { outcome: 'failure', le: '1' }), 0);
    assert.equal(m.value('tracepipe_export_duration_seconds_bucket', { outcome: 'failure', le: '2.5' }), 1);
    assert.equal(m.value('tracepipe_heartbeats_total', { source: 'export', outcome: 'success' }), 3);
    assert.equal(m.value('tracepipe_heartbeats_total', { source: 'export', outcome: 'failure' }), 1);
  });

  it('mirrors every PipelineStats counter at scrape time', async () => {
    const stats = new PipelineStats();
    const d = await start({ stats: stats });
    stats.received.grpc += 11;
    stats.received.http += 4;
    stats.sampled += 9;
    stats.notSampled += 91;
    stats.retries += 6;
    stats.fileBytesWritten += 4096;
    stats.fileLinesWritten += 3;
    stats.fileRotations += 2;
    stats.fileDeletedByRetention += 1;
    stats.fileWriteErrors += 5;
    stats.recordRequest('http', 200);
    stats.recordRequest('http', 200);
    stats.recordRequest('http', 413);
    stats.recordRequest('grpc', 'OK');
    stats.recordRequest('grpc', 'RESOURCE_EXHAUSTED');
    let queued = 17;
    stats.queueSpans = () => queued;
    stats.queueBytes = () => queued * 100;

    let m = await scrape(d);
    assert.equal(m.value('tracepipe_spans_received_total', { transport: 'grpc' }), 11);
    assert.equal(m.value('tracepipe_spans_received_total', { transport: 'http' }), 4);
    assert.equal(m.value('tracepipe_spans_sampling_decisions_total', { decision: 'sampled' }), 9);
    assert.equal(m.value('tracepipe_spans_sampling_decisions_total', { decision: 'not_sampled' }), 91);
    assert.equal(m.value('tracepipe_export_retries_total'), 6);
    assert.equal(m.value('tracepipe_file_written_bytes_total'), 4096);
    assert.equal(m.value('tracepipe_file_lines_written_total'), 3);
    assert.equal(m.value('tracepipe_file_rotations_total'), 2);
    assert.equal(m.value('tracepipe_file_deleted_total'), 1);
    assert.equal(m.value('tracepipe_file_write_errors_total'), 5);
    assert.equal(m.value('tracepipe_receiver_requests_total', { transport: 'http', code: '200' }), 2);
    assert.equal(m.value('tracepipe_receiver_requests_total', { transport: 'http', code: '413' }), 1);
    assert.equal(m.value('tracepipe_receiver_requests_total', { transport: 'grpc', code: 'OK' }), 1);
    assert.equal(m.value('tracepipe_receiver_requests_total', { transport: 'grpc', code: 'RESOURCE_EXHAUSTED' }), 1);
    assert.equal(m.value('tracepipe_queue_spans'), 17);
    assert.equal(m.value('tracepipe_queue_bytes'), 1700);

    queued = 0;
    stats.received.grpc += 1;
    m = await scrape(d);
    assert.equal(m.value('tracepipe_queue_spans'), 0);
    assert.equal(m.value('tracepipe_spans_received_total', { transport: 'grpc' }), 12);
  });

  it('publishes build info, state, types and the Node runtime metrics', async () => {
    const d = await start();
    const m = await scrape(d);
    assert.equal(m.value('tracepipe_build_info', { version: VERSION, node_version: process.version }), 1);
    assert.equal(m.value('process_state'), 3);
    const types: Record<string, string> = {
      process_state: 'gauge',
      tracepipe_build_info: 'gauge',
      tracepipe_spans_received_total: 'counter',
      tracepipe_spans_sampling_decisions_total: 'counter',
      tracepipe_spans_sampled_out_total: 'counter',
      tracepipe_spans_exported_total: 'counter',
      tracepipe_spans_export_failed_total: 'counter',
      tracepipe_spans_dropped_total: 'counter',
      tracepipe_export_retries_total: 'counter',
      tracepipe_export_duration_seconds: 'histogram',
      tracepipe_export_batch_spans: 'histogram',
      tracepipe_queue_spans: 'gauge',
      tracepipe_queue_bytes: 'gauge',
      tracepipe_file_written_bytes_total: 'counter',
      tracepipe_file_lines_written_total: 'counter',
      tracepipe_file_rotations_total: 'counter',
      tracepipe_file_deleted_total: 'counter',
      tracepipe_file_write_errors_total: 'counter',
      tracepipe_receiver_requests_total: 'counter',
      tracepipe_heartbeats_total: 'counter',
      tracepipe_metrics_scrapes_total: 'counter',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
      nodejs_gc_duration_seconds: 'histogram',
    };
    for (const [name, type] of Object.entries(types)) assert.equal(m.types.get(name), type, name);
    assert.ok(m.value('process_resident_memory_bytes') > 0);
  });

  it('counts scrapes by code, a failing collector included', async () => {
    const d = await start();
    await scrape(d);
    await scrape(d);
    let m = await scrape(d);
    assert.equal(m.value('tracepipe_metrics_scrapes_total', { code: '200' }), 2, 'a scrape counts once it is done');
    assert.equal(m.value('tracepipe_metrics_scrapes_total', { code: '500' }), 0);

    let broken = true;
    new Gauge({
      name: 'app_broken',
      help: 'throws while broken',
      registers: [d.registry],
      collect() {
        if (broken) throw new Error('collector bug');
        this.set(1);
      },
    });
    const res = await fetch(`${d.url}/metrics`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '{"error":"cannot render metrics"}');
    broken = false;
    m = await scrape(d);
    assert.equal(m.value('tracepipe_metrics_scrapes_total', { code: '200' }), 3);
    assert.equal(m.value('tracepipe_metrics_scrapes_total', { code: '500' }), 1);
    assert.equal(m.value('app_broken'), 1, 'library users can add their own metrics');
  });

  it('keeps each service in its own registry, away from the global one', async () => {
    const a = new PipelineStats();
    const b = new PipelineStats();
    const da = await start({ stats: a });
    const db = await start({ stats: b });
    a.recordExport({ ok: true, spans: 5, durationMs: 1 });
    b.recordExport({ ok: true, spans: 8, durationMs: 1 });
    assert.equal((await scrape(da)).value('tracepipe_spans_exported_total'), 5);
    assert.equal((await scrape(db)).value('tracepipe_spans_exported_total'), 8);
    assert.equal(globalRegistry.getSingleMetric('tracepipe_spans_exported_total'), undefined);
    assert.equal(globalRegistry.getSingleMetric('process_state'), undefined);
  });

  it('stops observing exports once closed', async () => {
    const stats = new PipelineStats();
    const d = await startDiagnostics({ addr: '127.0.0.1:0', stats, logger: silentLogger });
    await d.close();
    stats.recordExport({ ok: true, spans: 1, durationMs: 1 });
    const text = await d.registry.getSingleMetricAsString('tracepipe_export_batch_spans');
    assert.equal(parsePrometheusText(text).value('tracepipe_export_batch_spans_count', { outcome: 'success' }), 0);
  });
});

/** Ended, sampled spans from the stock SDK. */
async function endedSpans(count: number): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('diagnostics-test');
  for (let i = 0; i < count; i++) tracer.startSpan(`op-${i}`, { attributes: { 'test.index': i } }).end();
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

describe('/metrics and /readyz over a real export queue', () => {
  it('reads exactly the spans the exporter received and the spans the full queue dropped', async () => {
    const stats = new PipelineStats();
    const exporter = new RecordingExporter();
    const d = await start({ stats, probe: () => exporter.probe() });
    const spans = await endedSpans(250);
    const budget = spans.slice(0, 150).reduce((a, s) => a + estimateSpanBytes(s), 0);
    const queue = new ExportQueue({ exporter, stats, logger: silentLogger, maxBytes: budget, maxBatchSize: 64, scheduleDelayMs: 5 });
    const processor = new QueueSpanProcessor(queue, stats, 5_000);

    exporter.hold();
    for (const span of spans) processor.onEnd(span);
    const accepted = queue.spans;
    exporter.release();
    await processor.forceFlush();

    const N = exporter.spans.length;
    const M = spans.length - N;
    assert.equal(N, accepted);
    assert.ok(N > 0 && M > 0, `some spans exported (${N}) and some dropped (${M})`);
    let m = await scrape(d);
    assert.equal(m.value('tracepipe_spans_exported_total'), N);
    assert.equal(m.value('tracepipe_spans_dropped_total', { reason: 'queue_full' }), M);
    assert.equal(m.value('tracepipe_spans_export_failed_total'), 0);
    assert.equal(m.value('tracepipe_export_batch_spans_sum', { outcome: 'success' }), N);
    assert.equal(m.value('tracepipe_queue_spans'), 0);
    assert.equal(m.value('process_state'), 0);

    // The sink fails: the next export degrades readiness at once.
    exporter.failWith = new ExportError('sink is down');
    for (const span of spans.slice(0, 10)) processor.onEnd(span);
    await processor.forceFlush();
    let res = await fetch(`${d.url}/readyz`);
    assert.equal(res.status, 503);
    assert.equal(await res.text(), '{"status":"degraded","services":{"exporter":{"status":"unhealthy","reason":"sink is down"}}}');
    m = await scrape(d);
    assert.equal(m.value('process_state'), 2);
    assert.equal(m.value('tracepipe_spans_export_failed_total'), 10);
    assert.equal(m.value('tracepipe_spans_exported_total'), N);

    // It recovers: one export → recovering, a second → ok.
    exporter.failWith = undefined;
    for (const expected of [
      { code: 400, state: 1, body: '{"status":"recovering","services":{"exporter":{"status":"healthy"}}}' },
      { code: 200, state: 0, body: '{"status":"ok","services":{"exporter":{"status":"healthy"}}}' },
    ]) {
      processor.onEnd(spans[0]!);
      await processor.forceFlush();
      res = await fetch(`${d.url}/readyz`);
      assert.equal(res.status, expected.code);
      assert.equal(await res.text(), expected.body);
      assert.equal((await scrape(d)).value('process_state'), expected.state);
    }
    assert.equal((await scrape(d)).value('tracepipe_spans_exported_total'), N + 2);
    await processor.shutdown();
  });
});
