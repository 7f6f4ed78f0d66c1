import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { tlsMaterial } from '../../src/config/validateConfig.js';
import { PipelineStats } from '../../src/diagnostics/PipelineStats.js';
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
