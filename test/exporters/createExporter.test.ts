import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createTracing } from '../../src/createTracing.js';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { tlsMaterial } from '../../src/config/validateConfig.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { createExporter } from '../../src/exporters/createExporter.js';
import { FileTraceExporter } from '../../src/exporters/file/FileTraceExporter.js';
import { RetryingExporter } from '../../src/exporters/RetryingExporter.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { makeCerts } from '../support/certs.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { assertArrivedExactly, makeRichSpans } from '../support/richSpans.js';

const options = () => ({ timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger });

describe('createExporter', () => {
  let sink: OtlpSink;
  let dir: string;
  before(async () => {
    sink = await OtlpSink.start();
    dir = await mkdtemp(join(tmpdir(), 'tracepipe-create-exporter-'));
  });
  after(async () => {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => sink.clear());

  it('picks the exporter by scheme, and each delivers', async () => {
    const port = sink.grpcAddress.split(':')[1];
    const cases: Array<[string, string, string]> = [
      [`localhost:${port}`, `grpc localhost:${port}`, 'grpc'],
      [sink.grpcUrl, `grpc localhost:${port}`, 'grpc'],
      [sink.httpUrl, `http ${sink.httpUrl}`, 'http'],
      [`${sink.httpUrl}?encoding=json`, `http ${sink.httpUrl} json`, 'http'],
    ];
    for (const [url, description, transport] of cases) {
      sink.clear();
      const exporter = createExporter(parseExporterUrl(url), options());
      assert.ok(exporter instanceof RetryingExporter, `${url} is not wrapped for retries`);
      assert.equal(String(exporter), description);
      const spans = await makeRichSpans();
      await exporter.export(spans);
      await exporter.shutdown();
      assertArrivedExactly(sink.spans, spans);
      assert.deepEqual(sink.requests.map((r) => r.transport), [transport]);
    }
  });

  for (const [name, url] of [
    ['gRPC', (s: OtlpSink) => s.grpcUrl],
    ['HTTP/protobuf', (s: OtlpSink) => s.httpUrl],
    ['HTTP/JSON', (s: OtlpSink) => `${s.httpUrl}?encoding=json&compression=gzip`],
  ] as const) {
    it(`delivers spans made by createTracing exactly over ${name}`, async () => {
      const stats = new PipelineStats();
      const tracing = createTracing(
        { service_name: 'pipeline-exactness', tracing_service: { enabled: true, exporter_url: url(sink), sampling_rate_per_million: 1_000_000 } },
        { stats, logger: silentLogger },
      );
      const tracer = tracing.tracer('exactness', '2.0.0');
      const t0: HrTime = [1_763_700_100, 5];
      const root = tracer.startSpan('checkout', { kind: SpanKind.SERVER, startTime: t0, attributes: { 'cart.items': 3, 'cart.total': 59.97, paid: true } });
      root.addEvent('payment.authorized', { 'payment.provider': 'test' }, [1_763_700_100, 999_999_999]);
      const child = tracer.startSpan(
        'reserve stock',
        { kind: SpanKind.CLIENT, startTime: [1_763_700_101, 0], links: [{ context: root.spanContext(), attributes: { why: 'follows' } }] },
        trace.setSpan(tracing.contextManager!.active(), root),
      );
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'out of stock' });
      child.end([1_763_700_101, 250_000_000]);
      root.end([1_763_700_102, 0]);
      await tracing.shutdown();
      const spans = [root, child] as unknown as ReadableSpan[];
      assertArrivedExactly(sink.spans, spans);
      const [gotRoot, gotChild] = [sink.spans.find((s) => s.name === 'checkout')!, sink.spans.find((s) => s.name === 'reserve stock')!];
      assert.equal(gotRoot.startTimeUnixNano, '1763700100000000005');
      assert.equal(gotRoot.traceState, 'ot=th:0');
      assert.equal(gotChild.parentSpanId, gotRoot.spanId);
      assert.equal(gotChild.traceId, gotRoot.traceId);
      assert.deepEqual(gotChild.status, { code: 2, message: 'out of stock' });
      assert.equal(gotRoot.resource['service.name'], 'pipeline-exactness');
      assert.equal(stats.exported, 2);
    });
  }

  it('makes the file exporter for file:// URLs, without a retry wrapper', async () => {
    const exporter = createExporter(parseExporterUrl(`file://${dir}?limit=1000000`), options());
    assert.ok(exporter instanceof FileTraceExporter);
    await exporter.export(await makeRichSpans());
    await exporter.shutdown();
    assert.equal((await readdir(dir)).length, 1);
  });

  it('describes TLS and compression in the gRPC destination', async () => {
    const certs = await makeCerts();
    const tls = tlsMaterial([certs.caCert], [], 'tracing_service.https_keypairs');
    const exporter = createExporter(parseExporterUrl('grpc://collector.example.com:4317?compression=gzip'), { ...options(), tls });
    assert.equal(String(exporter), 'grpc collector.example.com:4317 (TLS) gzip');
    await exporter.shutdown();
  });

  it('warns that TLS material is ignored for a plaintext http:// URL', async () => {
    const certs = await makeCerts();
    const tls = tlsMaterial([certs.caCert], [], 'tracing_service.https_keypairs');
    const lines: string[] = [];
    const exporter = createExporter(parseExporterUrl(sink.httpUrl), { ...options(), tls, logger: createLogger('debug', (l) => lines.push(l)) });
    await exporter.shutdown();
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as { level: string; msg: string; url: string };
    assert.equal(line.level, 'warn');
    assert.equal(line.msg, 'ca_certs/https_keypairs are ignored for a plaintext http:// exporter_url; use https:// for TLS');
    assert.equal(line.url, sink.httpUrl);
  });
});
