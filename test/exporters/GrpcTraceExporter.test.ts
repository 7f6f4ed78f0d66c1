import assert from 'node:assert/strict';
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import type { GrpcTarget } from '../../src/config/ExporterTarget.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { GrpcTraceExporter, TRACE_EXPORT_METHOD } from '../../src/exporters/grpc/GrpcTraceExporter.js';
import { silentLogger } from '../../src/logger.js';
import { startByteCountingProxy } from '../support/byteCountingProxy.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { GRPC, networkExporterCases } from '../support/networkExporterCases.js';
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

  it('takes a success whose body is not an ExportTraceServiceResponse as delivered', async () => {
    const pass = (b: Buffer): Buffer => b;
    const server = new Server();
    let requests = 0;
    server.addService(
      { Export: { path: TRACE_EXPORT_METHOD, requestStream: false, responseStream: false, requestSerialize: pass, requestDeserialize: pass, responseSerialize: pass, responseDeserialize: pass } },
      {
        Export: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
          requests++;
          callback(null, Buffer.from([0xff, 0xff, 0xff]));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const stats = new PipelineStats();
    const exporter = new GrpcTraceExporter(grpcTarget(`grpc://127.0.0.1:${port}`), { timeoutMs: 10_000, stats, logger: silentLogger });
    try {
      assert.equal(await exporter.export(await makeRichSpans()), 0);
      assert.equal(requests, 1);
      assert.equal(stats.dropped.invalid, 0);
    } finally {
      await exporter.shutdown();
      server.forceShutdown();
    }
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

  networkExporterCases(GRPC, () => sink);
});
