import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoOtlpExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { silentLogger } from '../../src/logger.js';
import { startForwarder } from '../../src/receiver/startForwarder.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { captureLineLengths } from '../support/captureLineLengths.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { sendWith } from '../support/sendWith.js';

const MiB = 1024 * 1024;

function uniqueIds(spans: Array<{ spanId: string }>): number {
  return new Set(spans.map((s) => s.spanId)).size;
}

describe('what the forwarder sends and writes is bounded in bytes', () => {
  for (const { url, limit } of [
    { url: '', limit: MiB },
    { url: '?max_line_bytes=65536', limit: 65_536 },
  ]) {
    it(`writes one 3,000-span request (1.7 MB) as capture lines of at most ${limit} bytes, every span present`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tracepipe-lines-'));
      const forwarder = await startForwarder(
        { tracing_service: { exporter_url: `file://${dir}${url}`, schedule_delay_ms: 10 }, receiver: { grpc_listen: '127.0.0.1:0', http_listen: '' } },
        { logger: silentLogger },
      );
      try {
        const spans = await makeTestSpans(3000, { attributes: { 'db.query.text': 'select 1 -- '.padEnd(400, 'x') } });
        const request = ProtobufTraceSerializer.serializeRequest(spans)!;
        assert.ok(request.length > 1.6 * 1e6, `the request is ${request.length} bytes`);
        const result = await sendWith(new GrpcOtlpExporter({ url: `http://${forwarder.grpcAddress}` }), spans);
        assert.equal(result.code, ExportResultCode.SUCCESS);
        await forwarder.close();
        const lengths = await captureLineLengths(dir);
        assert.ok(lengths.length > 1, 'more than one line');
        for (const length of lengths) assert.ok(length <= limit, `a line of ${length} bytes`);
        const captured = await readCapturedSpans(dir);
        assert.equal(captured.length, 3000);
        assert.equal(uniqueIds(captured), 3000);
        assert.equal(forwarder.stats.fileOversizeSpans, 0);
        assert.equal(forwarder.stats.exported, 3000);
      } finally {
        await forwarder.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('delivers every span of eight 1.14 MB requests to a gRPC destination that takes at most 4 MiB a message', async () => {
    const sink = await OtlpSink.start({ maxReceiveBytes: 4 * MiB });
    const forwarder = await startForwarder(
      { tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 200 }, receiver: { grpc_listen: '127.0.0.1:0', http_listen: '' } },
      { logger: silentLogger },
    );
    try {
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, i) => makeTestSpans(10, { prefix: `sender${i}`, attributes: { 'db.query.text': 'q'.repeat(114_000) } })),
      );
      assert.ok(ProtobufTraceSerializer.serializeRequest(batches[0]!)!.length > 1.14e6);
      const results = await Promise.all(batches.map((spans) => sendWith(new GrpcOtlpExporter({ url: `http://${forwarder.grpcAddress}` }), spans)));
      assert.deepEqual(results.map((r) => r.code), Array(8).fill(ExportResultCode.SUCCESS));
      await forwarder.close();
      assert.equal(sink.spans.length, 80);
      assert.equal(uniqueIds(sink.spans), 80);
      assert.deepEqual([...new Set(sink.requests.map((r) => r.outcome))], ['ok'], 'nothing refused for its size');
      assert.ok(sink.requests.length >= 3, `${sink.requests.length} requests: at most three 1.14 MB requests fit in 4 MiB`);
      assert.equal(forwarder.stats.exported, 80);
      assert.equal(forwarder.stats.exportFailed, 0);
    } finally {
      await forwarder.close();
      await sink.close();
    }
  });

  it('splits a request larger than max_export_batch_bytes into requests the destination takes, instead of refusing it', async () => {
    const sink = await OtlpSink.start({ maxReceiveBytes: 256 * 1024 });
    const forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 10, max_export_batch_bytes: 256 * 1024 },
        receiver: { grpc_listen: '', http_listen: '127.0.0.1:0' },
      },
      { logger: silentLogger },
    );
    try {
      const spans: ReadableSpan[] = await makeTestSpans(200, { attributes: { 'db.query.text': 'q'.repeat(4000) } });
      assert.ok(ProtobufTraceSerializer.serializeRequest(spans)!.length > 800_000);
      const result = await sendWith(new ProtoOtlpExporter({ url: forwarder.httpUrl }), spans);
      assert.equal(result.code, ExportResultCode.SUCCESS);
      await forwarder.close();
      assert.equal(sink.spans.length, 200);
      assert.equal(uniqueIds(sink.spans), 200);
      assert.deepEqual([...new Set(sink.requests.map((r) => r.outcome))], ['ok']);
      assert.ok(sink.requests.length >= 4, `${sink.requests.length} requests`);
    } finally {
      await forwarder.close();
      await sink.close();
    }
  });
});
