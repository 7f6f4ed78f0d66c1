import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import type { GrpcTarget } from '../../src/config/ExporterTarget.js';
import { PipelineStats } from '../../src/diagnostics/PipelineStats.js';
import { ExportError } from '../../src/errors.js';
import { createExporter } from '../../src/exporters/createExporter.js';
import { GrpcTraceExporter } from '../../src/exporters/grpc/GrpcTraceExporter.js';
import { silentLogger } from '../../src/logger.js';
import { makeCerts } from '../support/certs.js';
import { tlsMaterial } from '../../src/config/validateConfig.js';
import { startByteCountingProxy } from '../support/byteCountingProxy.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { startBlackhole } from '../support/blackholeServer.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { waitFor } from '../support/waitFor.js';
import { RICH_START_NANOS, assertArrivedExactly, makeRichSpans } from '../support/richSpans.js';

const grpcTarget = (url: string) => parseExporterUrl(url) as GrpcTarget;

describe('GrpcTraceExporter', () => {
  let sink: OtlpSink;
  before(async () => {
    sink = await OtlpSink.start();
  });
  after(() => sink.close());
  beforeEach(() => sink.clear());

  it('delivers spans with exact ids, names, attributes, events, links, status and timestamps', async () => {
    const spans = await makeRichSpans();
    const stats = new PipelineStats();
    const exporter = new GrpcTraceExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 10_000, stats, logger: silentLogger });
    await exporter.export(spans);
    await exporter.shutdown();
    assertArrivedExactly(sink.spans, spans);
    const root = sink.spans.find((s) => s.name === 'GET /orders')!;
    assert.equal(root.startTimeUnixNano, RICH_START_NANOS);
    assert.equal(root.kind, 2);
    assert.deepEqual(root.status, { code: 2, message: 'boom: upstream failed' });
    assert.deepEqual((root.raw.attributes as Array<{ key: string; value: unknown }>).find((a) => a.key === 'http.response.status_code')?.value, {
      intValue: '200',
    });
    assert.deepEqual((root.raw.attributes as Array<{ key: string; value: unknown }>).find((a) => a.key === 'server.ratio')?.value, {
      doubleValue: 1.5,
    });
    assert.deepEqual(sink.requests.map((r) => [r.transport, r.spans, r.outcome]), [['grpc', 5, 'ok']]);
    assert.match(String(sink.requests[0]!.headers['user-agent']), /^tracepipe\/\d+\.\d+\.\d+ grpc-node-js/);
    assert.equal(stats.dropped.invalid, 0);
  });

  it('delivers the same spans identically when they are exported again (no stale encoder caches)', async () => {
    const spans = await makeRichSpans();
    const exporter = new GrpcTraceExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger });
    for (let round = 0; round < 3; round++) {
      sink.clear();
      await exporter.export(spans);
      assertArrivedExactly(sink.spans, spans);
    }
    await exporter.shutdown();
  });

  it('compresses with gzip when the URL asks for it: same spans, far fewer bytes on the wire', async () => {
    const wire: Record<string, number> = {};
    const port = Number(sink.grpcAddress.split(':')[1]);
    for (const query of ['', '?compression=gzip']) {
      const proxy = await startByteCountingProxy(port);
      const spans = await makeTestSpans(500);
      const exporter = new GrpcTraceExporter(grpcTarget(`grpc://127.0.0.1:${proxy.port}${query}`), {
        timeoutMs: 10_000,
        stats: new PipelineStats(),
        logger: silentLogger,
      });
      sink.clear();
      await exporter.export(spans);
      await exporter.shutdown();
      assertArrivedExactly(sink.spans, spans);
      wire[query] = proxy.bytesUp;
      await proxy.close();
    }
    assert.ok(wire['?compression=gzip']! * 3 < wire['']!, `gzip sent ${wire['?compression=gzip']} bytes, plain ${wire['']}`);
  });

  it('retries UNAVAILABLE twice and then delivers every span exactly once', async () => {
    const spans = await makeRichSpans();
    const stats = new PipelineStats();
    const exporter = createExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 10_000, stats, logger: silentLogger });
    sink.failNext(2, 'UNAVAILABLE');
    await exporter.export(spans);
    await exporter.shutdown();
    assertArrivedExactly(sink.spans, spans);
    assert.deepEqual(sink.requests.map((r) => r.outcome), ['UNAVAILABLE', 'UNAVAILABLE', 'ok']);
    assert.equal(stats.retries, 2);
  });

  it('retries RESOURCE_EXHAUSTED after the delay of its RetryInfo', async () => {
    const spans = await makeRichSpans();
    const stats = new PipelineStats();
    const exporter = createExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 10_000, stats, logger: silentLogger });
    sink.failNext(1, 'RESOURCE_EXHAUSTED', { retryAfterMs: 1_200 });
    const started = performance.now();
    await exporter.export(spans);
    const elapsed = performance.now() - started;
    await exporter.shutdown();
    assertArrivedExactly(sink.spans, spans);
    assert.equal(stats.retries, 1);
    // The default first backoff is 200 ms ± 20%: only the server's delay explains a wait this long.
    assert.ok(elapsed >= 1_190, `retried after ${elapsed} ms`);
  });

  it('fails at once on INVALID_ARGUMENT, without retrying', async () => {
    const stats = new PipelineStats();
    const exporter = createExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 10_000, stats, logger: silentLogger });
    sink.failNext(1, 'INVALID_ARGUMENT', { message: 'span 3 has no name' });
    const error = await exporter.export(await makeRichSpans()).then(
      () => assert.fail('export resolved'),
      (e: unknown) => e,
    );
    await exporter.shutdown();
    assert.ok(error instanceof ExportError);
    assert.equal(error.code, 'TRACEPIPE_EXPORT_FAILED');
    assert.equal(error.retryable, false);
    assert.match(error.message, /INVALID_ARGUMENT: span 3 has no name/);
    assert.equal(stats.retries, 0);
    assert.equal(sink.requests.length, 1);
    assert.equal(sink.spans.length, 0);
  });

  it('counts the spans a partial success rejects as dropped "invalid"', async () => {
    const spans = await makeRichSpans();
    const stats = new PipelineStats();
    const exporter = createExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 10_000, stats, logger: silentLogger });
    sink.partialSuccess = { rejectedSpans: 2, errorMessage: 'two spans too large' };
    try {
      assert.equal(await exporter.export(spans), 2);
    } finally {
      sink.partialSuccess = undefined;
    }
    await exporter.shutdown();
    assert.equal(stats.dropped.invalid, 2);
    assert.equal(stats.retries, 0);
  });

  it('fails with a timeout, within the export timeout, when the collector does not answer', async () => {
    const stats = new PipelineStats();
    const exporter = createExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 1_000, stats, logger: silentLogger });
    sink.stall();
    try {
      await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
        assert.ok(e instanceof ExportError);
        assert.equal(e.code, 'TRACEPIPE_EXPORT_TIMEOUT');
        assert.equal(e.retryable, false);
        return true;
      });
    } finally {
      sink.resume();
    }
    await exporter.shutdown();
  });

  it('fails within the timeout, after retrying, when nothing listens', async () => {
    const closed = await OtlpSink.start();
    const address = closed.grpcUrl;
    await closed.close();
    const stats = new PipelineStats();
    const exporter = createExporter(grpcTarget(address), { timeoutMs: 1_500, stats, logger: silentLogger });
    await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
      assert.ok(e instanceof ExportError);
      assert.equal(e.retryable, false);
      assert.match(e.message, /UNAVAILABLE.*gave up after \d+ attempts within the 1500 ms export timeout/s);
      return true;
    });
    assert.ok(stats.retries >= 1, `retries ${stats.retries}`);
    await assert.rejects(exporter.probe(), (e: unknown) => e instanceof ExportError && /UNAVAILABLE/.test(e.message));
    await exporter.shutdown();
  });

  it('fails within the timeout against a peer that accepts the connection and never answers', async () => {
    const hole = await startBlackhole();
    try {
      for (const [url, tls] of [[`grpc://127.0.0.1:${hole.port}`, false], [`grpc://127.0.0.1:${hole.port}`, true]] as const) {
        const certs = tls ? await makeCerts() : undefined;
        const exporter = createExporter(grpcTarget(url), {
          timeoutMs: 1_000,
          stats: new PipelineStats(),
          logger: silentLogger,
          tls: certs && tlsMaterial([certs.caCert], [], 'tracing_service.https_keypairs'),
        });
        await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => e instanceof ExportError && !e.retryable);
        await assert.rejects(exporter.probe(), ExportError);
        await exporter.shutdown();
      }
    } finally {
      await hole.close();
    }
  });

  it('probes with an empty export that adds no spans', async () => {
    const exporter = new GrpcTraceExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 5_000, stats: new PipelineStats(), logger: silentLogger });
    await exporter.probe();
    await exporter.shutdown();
    assert.deepEqual(sink.requests.map((r) => [r.spans, r.outcome]), [[0, 'ok']]);
    assert.equal(sink.spans.length, 0);
  });

  it('lets an export in flight finish on shutdown, then rejects later exports', async () => {
    const spans = await makeRichSpans();
    const exporter = createExporter(grpcTarget(sink.grpcUrl), { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger });
    sink.stall();
    const exported = exporter.export(spans);
    await waitFor('the request to reach the sink', () => sink.stalledRequests === 1);
    let shutDown = false;
    const shutdown = exporter.shutdown().then(() => {
      shutDown = true;
    });
    await tick();
    assert.equal(shutDown, false, 'shutdown returned while an export was in flight');
    sink.resume();
    await exported;
    await shutdown;
    assertArrivedExactly(sink.spans, spans);
    await assert.rejects(exporter.export(spans), { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
    await exporter.shutdown();
  });

  it('describes its destination', () => {
    const exporter = new GrpcTraceExporter(grpcTarget('grpc://collector.example.com:4317?compression=gzip'), {
      timeoutMs: 1_000,
      stats: new PipelineStats(),
      logger: silentLogger,
    });
    assert.equal(String(exporter), 'grpc collector.example.com:4317 gzip');
    return exporter.shutdown();
  });
});

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}
