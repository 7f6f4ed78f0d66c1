import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, credentials, status as grpcStatus } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { silentLogger } from '../../src/logger.js';
import { startForwarder } from '../../src/receiver/startForwarder.js';
import { httpPost } from '../support/httpPost.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { sendWith } from '../support/sendWith.js';

describe('a bad request from one sender never takes other senders\' spans down with it', () => {
  for (const transport of ['http', 'grpc'] as const) {
    it(`a request with a field-number-0 tag is refused as invalid over ${transport}; four senders' spans sent meanwhile all arrive`, async () => {
      const sink = await OtlpSink.start();
      const forwarder = await startForwarder(
        { tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 300 }, receiver: { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0' } },
        { logger: silentLogger },
      );
      try {
        const good = await Promise.all([0, 1, 2, 3].map((i) => makeTestSpans(10, { prefix: `good${i}` })));
        const valid = ProtobufTraceSerializer.serializeRequest(await makeTestSpans(10, { prefix: 'bad' }))!;
        // Field 0, varint 0: the decoders (and the Collector's) reject it; a lenient scanner would pass it on.
        const poison = Buffer.concat([Buffer.from(valid), Buffer.from([0x00, 0x00])]);
        const [answer, ...results] = await Promise.all([
          transport === 'http' ? postPoison(forwarder.httpUrl!, poison) : callPoison(forwarder.grpcAddress!, poison),
          ...good.map((spans) => sendWith(new GrpcOtlpExporter({ url: `http://${forwarder.grpcAddress}` }), spans)),
        ]);
        assert.equal(answer, transport === 'http' ? 400 : grpcStatus.INVALID_ARGUMENT);
        assert.deepEqual(results.map((r) => r.code), Array(4).fill(ExportResultCode.SUCCESS));
        await forwarder.close();
        assert.equal(sink.spans.length, 40);
        assert.deepEqual(new Set(sink.spans.map((s) => s.name.replace(/-\d+$/, ''))), new Set(['good0', 'good1', 'good2', 'good3']));
        assert.equal(forwarder.stats.exported, 40);
        assert.equal(forwarder.stats.exportFailed, 0);
      } finally {
        await forwarder.close();
        await sink.close();
      }
    });
  }
});

async function postPoison(url: string, body: Buffer): Promise<number> {
  return (await httpPost(url, body, { 'content-type': 'application/x-protobuf', 'content-length': body.length })).status;
}

function callPoison(address: string, body: Buffer): Promise<number> {
  const client = new Client(address, credentials.createInsecure());
  const pass = (b: Buffer): Buffer => b;
  return new Promise<number>((resolve) =>
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', pass, pass, body, (error) => {
      client.close();
      resolve(error === null ? grpcStatus.OK : error.code);
    }),
  );
}
