import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HttpTarget } from '../../src/config/ExporterTarget.js';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { ExportError } from '../../src/errors.js';
import { createExporter } from '../../src/exporters/createExporter.js';
import { HttpTraceExporter } from '../../src/exporters/http/HttpTraceExporter.js';
import { parseRetryAfter } from '../../src/exporters/http/httpExportError.js';
import { silentLogger } from '../../src/logger.js';
import { HTTP, networkExporterCases } from '../support/networkExporterCases.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { RICH_START_NANOS, assertArrivedExactly, makeRichSpans } from '../support/richSpans.js';

const httpTarget = (url: string) => parseExporterUrl(url) as HttpTarget;
const options = (timeoutMs = 10_000, stats = new PipelineStats()) => ({ timeoutMs, stats, logger: silentLogger });

describe('HttpTraceExporter', () => {
  let sink: OtlpSink;
  before(async () => {
    sink = await OtlpSink.start();
  });
  after(() => sink.close());
  beforeEach(() => sink.clear());

  for (const [query, encoding, compressed] of [
    ['', 'protobuf', false],
    ['?encoding=json', 'json', false],
    ['?compression=gzip', 'protobuf', true],
    ['?encoding=json&compression=gzip', 'json', true],
  ] as const) {
    it(`delivers exact spans as ${encoding}${compressed ? ', gzipped' : ''} (${query || 'default'})`, async () => {
      const spans = await makeRichSpans();
      const exporter = new HttpTraceExporter(httpTarget(sink.httpUrl + query), options());
      await exporter.export(spans);
      await exporter.shutdown();
      assertArrivedExactly(sink.spans, spans);
      assert.equal(sink.spans.find((s) => s.name === 'GET /orders')!.startTimeUnixNano, RICH_START_NANOS);
      assert.equal(sink.requests.length, 1);
      const request = sink.requests[0]!;
      assert.deepEqual([request.transport, request.encoding, request.compressed, request.spans, request.outcome], ['http', encoding, compressed, 5, 'ok']);
      assert.equal(request.headers['content-type'], encoding === 'json' ? 'application/json' : 'application/x-protobuf');
      assert.match(String(request.headers['user-agent']), /^tracepipe\/\d+\.\d+\.\d+$/);
    });
  }

  it('reuses one keep-alive connection for consecutive exports', async () => {
    const exporter = new HttpTraceExporter(httpTarget(sink.httpUrl), options());
    await exporter.export(await makeRichSpans());
    await exporter.export(await makeRichSpans());
    await exporter.shutdown();
    assert.equal(sink.spans.length, 10);
    assert.deepEqual(sink.requests.map((r) => r.headers.connection), ['keep-alive', 'keep-alive']);
  });

  it('gives up at once when Retry-After lies beyond the export timeout', async () => {
    const stats = new PipelineStats();
    const exporter = createExporter(httpTarget(sink.httpUrl), options(2_000, stats));
    sink.failNext(1, 503, { retryAfterMs: 30_000 });
    await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
      assert.ok(e instanceof ExportError);
      assert.equal(e.retryable, false);
      assert.match(e.message, /HTTP 503: test sink: 503 \(gave up after 1 attempt within the 2000 ms export timeout\)/);
      return true;
    });
    await exporter.shutdown();
    assert.equal(stats.retries, 0);
    assert.equal(sink.requests.length, 1);
  });

  it('fails at once on 404 (a wrong path)', async () => {
    const exporter = createExporter(httpTarget(sink.httpUrl.replace('/v1/traces', '/wrong')), options());
    await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => e instanceof ExportError && !e.retryable && /HTTP 404/.test(e.message));
    await exporter.shutdown();
    assert.deepEqual(sink.requests.map((r) => r.outcome), ['404']);
  });

  it('survives a server that closes the connection mid-response, and retries', async () => {
    let requests = 0;
    const flaky = createServer((req, res) => {
      requests++;
      req.resume();
      if (requests === 1) {
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '100' });
        res.write(Buffer.alloc(10));
        res.destroy();
        return;
      }
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const stats = new PipelineStats();
    const exporter = createExporter(httpTarget(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}`), options(10_000, stats));
    await exporter.export(await makeRichSpans());
    await exporter.shutdown();
    await new Promise<void>((resolve) => flaky.close(() => resolve()));
    assert.equal(requests, 2);
    assert.equal(stats.retries, 1);
  });

  it('takes a 2xx whose body is not an ExportTraceServiceResponse as delivered (protobuf and JSON)', async () => {
    let requests = 0;
    const odd = createServer((req, res) => {
      requests++;
      req.resume();
      const json = req.headers['content-type'] === 'application/json';
      req.on('end', () => res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{oops' : Buffer.from([0xff, 0xff, 0xff])));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      for (const query of ['', '?encoding=json']) {
        const stats = new PipelineStats();
        const exporter = new HttpTraceExporter(httpTarget(`http://127.0.0.1:${(odd.address() as AddressInfo).port}/v1/traces${query}`), options(10_000, stats));
        assert.equal(await exporter.export(await makeRichSpans()), 0);
        await exporter.shutdown();
        assert.equal(stats.dropped.invalid, 0);
      }
      assert.equal(requests, 2);
    } finally {
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });

  it('describes its destination', async () => {
    const exporter = new HttpTraceExporter(httpTarget('https://otel.example.com/custom?encoding=json&compression=gzip'), options());
    assert.equal(String(exporter), 'https https://otel.example.com/custom json gzip');
    await exporter.shutdown();
  });

  networkExporterCases(HTTP, () => sink);
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates', () => {
    const now = Date.parse('2026-11-21T10:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Sat, 21 Nov 2026 10:00:03 GMT', now), 3_000);
    assert.equal(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});
