import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoOtlpExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeRpcStatus } from '../../src/exporters/decodeRpcStatus.js';
import { silentLogger } from '../../src/logger.js';
import { EXPORT_PATH } from '../../src/receiver/GrpcReceiver.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { httpPost } from '../support/httpPost.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { sendWith } from '../support/sendWith.js';
import { waitFor } from '../support/waitFor.js';

const QUEUE_BYTES = 32 * 1024;
const pass = (b: Buffer): Buffer => b;

describe('backpressure: a stalled destination', () => {
  let sink: OtlpSink;
  let forwarder: Forwarder;
  let client: grpc.Client;

  before(async () => {
    sink = await OtlpSink.start();
    forwarder = await startForwarder(
      {
        // A long export timeout: exports wait for the stalled sink instead of failing.
        tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 5, max_export_batch_size: 8, export_timeout_ms: 120_000 },
        receiver: { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0', queue_max_bytes: QUEUE_BYTES, max_request_bytes: QUEUE_BYTES },
      },
      { logger: silentLogger },
    );
    client = new grpc.Client(forwarder.grpcAddress!, grpc.credentials.createInsecure());
  });

  after(async () => {
    client.close();
    sink.resume();
    await forwarder.close();
    await sink.close();
  });

  it('answers 429 / RESOURCE_EXHAUSTED once the queue is full, then delivers every acknowledged span exactly once', async () => {
    sink.stall();
    const acknowledged = new Set<string>();
    let refused: Awaited<ReturnType<typeof httpPost>> | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const spans = await makeTestSpans(4, { prefix: `req${i}` });
      const res = await httpPost(forwarder.httpUrl!, ProtobufTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/x-protobuf' });
      if (res.status === 200) for (const s of spans) acknowledged.add(s.spanContext().spanId);
      else if (res.status === 429) refused = res;
      else assert.fail(`unexpected status ${res.status}`);
    }
    assert.ok(refused !== undefined, 'the queue filled up');
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(decodeRpcStatus(refused.body)?.code, 8);
    assert.ok(acknowledged.size >= 8, `several requests were acknowledged before the queue filled (${acknowledged.size} spans)`);
    assert.ok(forwarder.queued.bytes <= QUEUE_BYTES);

    const grpcSpans = await makeTestSpans(4, { prefix: 'grpc' });
    const grpcError = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(EXPORT_PATH, pass, pass, Buffer.from(ProtobufTraceSerializer.serializeRequest(grpcSpans)!), (err) => resolve(err)),
    );
    assert.equal(grpcError?.code, grpc.status.RESOURCE_EXHAUSTED);
    const details = grpcError.metadata.get('grpc-status-details-bin')[0] as Buffer;
    assert.deepEqual(decodeRpcStatus(details), { code: 8, message: 'forwarder queue is full, retry later', retryDelayMs: 1000 });

    sink.resume();
    await sink.waitForSpans(acknowledged.size);
    await waitFor('the queue to drain', () => forwarder.queued.spans === 0);
    // Accepted again once drained, and delivered.
    const later = await makeTestSpans(4, { prefix: 'later' });
    const res = await httpPost(forwarder.httpUrl!, ProtobufTraceSerializer.serializeRequest(later)!, { 'content-type': 'application/x-protobuf' });
    assert.equal(res.status, 200);
    for (const s of later) acknowledged.add(s.spanContext().spanId);
    await sink.waitForSpans(acknowledged.size);
    await forwarder.close();

    const delivered = sink.spans.map((s) => s.spanId);
    assert.equal(delivered.length, acknowledged.size, 'no span delivered twice');
    assert.deepEqual(new Set(delivered), acknowledged);
    assert.equal(forwarder.stats.requests.get('http 429'), 1);
    assert.equal(forwarder.stats.requests.get('grpc RESOURCE_EXHAUSTED'), 1);
    assert.equal(forwarder.stats.exported, acknowledged.size);
    assert.equal(forwarder.stats.received.http, acknowledged.size);
    assert.equal(forwarder.stats.dropped.shutdown + forwarder.stats.exportFailed, 0);
  });
});

describe('backpressure with the official OTLP/HTTP exporter as the sender', () => {
  let sink: OtlpSink;
  let forwarder: Forwarder;

  before(async () => {
    sink = await OtlpSink.start();
    forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 5, max_export_batch_size: 8, export_timeout_ms: 120_000 },
        receiver: { grpc_listen: '', http_listen: '127.0.0.1:0', queue_max_bytes: QUEUE_BYTES, max_request_bytes: QUEUE_BYTES },
      },
      { logger: silentLogger },
    );
  });

  after(async () => {
    sink.resume();
    await forwarder.close();
    await sink.close();
  });

  it('is refused with 429 while the queue is full, retries and gets through once the queue drains', async () => {
    sink.stall();
    let filler = 0;
    for (let i = 0; i < 200; i++) {
      const spans = await makeTestSpans(4, { prefix: `fill${i}` });
      const res = await httpPost(forwarder.httpUrl!, ProtobufTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/x-protobuf' });
      if (res.status === 429) break;
      assert.equal(res.status, 200);
      filler += 4;
    }
    assert.equal(forwarder.stats.requests.get('http 429'), 1);

    const spans = await makeTestSpans(6, { prefix: 'official' });
    const sent = sendWith(new ProtoOtlpExporter({ url: forwarder.httpUrl, timeoutMillis: 60_000 }), spans);
    await waitFor('the official exporter to be refused', () => forwarder.stats.requests.get('http 429') === 2);
    sink.resume();
    const result = await sent;
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));

    const all = await sink.waitForSpans(filler + 6);
    await forwarder.close();
    assert.equal(all.length, filler + 6);
    assert.deepEqual(
      all.filter((s) => s.name.startsWith('official-')).map((s) => s.name).sort(),
      ['official-0', 'official-1', 'official-2', 'official-3', 'official-4', 'official-5'],
    );
    assert.ok(forwarder.stats.requests.get('http 429')! >= 2);
  });
});
