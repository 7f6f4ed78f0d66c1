import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { silentLogger } from '../../src/logger.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { httpPost } from '../support/httpPost.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The outage (destination down 20 s at 2k spans/s, with the 10 s export timeout) scaled
 * down 5x in time: down 4 s with a 1 s export timeout. What matters is the same: the outage
 * outlasts every export's own retries several times over.
 */
const SPANS_PER_REQUEST = 100;
const REQUEST_EVERY_MS = 50; // 2,000 spans/s
const RUN_MS = 6_000;
const DOWN_FROM_MS = 1_000;
const DOWN_UNTIL_MS = 5_000;

describe('an unreachable destination, with room in the queue', () => {
  let sink: OtlpSink;
  let forwarder: Forwarder;

  before(async () => {
    sink = await OtlpSink.start();
    forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: sink.grpcUrl, export_timeout_ms: 1_000 },
        receiver: { grpc_listen: '', http_listen: '127.0.0.1:0' },
      },
      { logger: silentLogger },
    );
  });

  after(async () => {
    await forwarder.close();
    await sink.close();
  });

  it('loses no acknowledged span: failed batches stay queued and are retried until it is back', async () => {
    // Spans of their own in every request (a trace id each), so every one can be found.
    const bodies: Buffer[] = [];
    for (let i = 0; i < RUN_MS / REQUEST_EVERY_MS; i++) {
      bodies.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(await makeTestSpans(SPANS_PER_REQUEST))!));
    }
    const started = Date.now();
    const statuses: number[] = [];
    const sends: Promise<void>[] = [];
    let down = false;
    while (Date.now() - started < RUN_MS && sends.length < bodies.length) {
      const elapsed = Date.now() - started;
      if (!down && elapsed >= DOWN_FROM_MS && elapsed < DOWN_UNTIL_MS) {
        down = true;
        sink.failNext(Number.MAX_SAFE_INTEGER, 'UNAVAILABLE');
      } else if (down && elapsed >= DOWN_UNTIL_MS) {
        down = false;
        sink.recover();
      }
      const body = bodies[sends.length]!;
      sends.push(httpPost(forwarder.httpUrl!, body, { 'content-type': 'application/x-protobuf' }).then((r) => void statuses.push(r.status)));
      await new Promise((r) => setTimeout(r, REQUEST_EVERY_MS));
    }
    sink.recover();
    await Promise.all(sends);
    assert.deepEqual(new Set(statuses), new Set([200]), 'every request acknowledged');
    const acknowledged = statuses.length * SPANS_PER_REQUEST;
    assert.equal(forwarder.stats.received.http, acknowledged);
    assert.ok(sink.requests.some((r) => r.outcome === 'UNAVAILABLE'), 'the destination did fail exports');
    await waitFor('every acknowledged span at the destination', () => new Set(sink.spans.map((s) => `${s.traceId}/${s.spanId}`)).size === acknowledged, 30_000);
    await forwarder.close();
    // At least once: an attempt given up at its timeout may still have reached the destination,
    // so a loaded machine can see repeats; never a span missing, never one unknown.
    const delivered = new Set(sink.spans.map((s) => `${s.traceId}/${s.spanId}`));
    assert.equal(delivered.size, acknowledged);
    assert.equal(forwarder.stats.exported, acknowledged);
    assert.equal(forwarder.stats.exportFailed, 0);
    assert.equal(forwarder.stats.dropped.shutdown, 0);
  });
});

describe('max_retry_age_ms', () => {
  it('gives up a batch that has failed for longer, counted as failed', async () => {
    const sink = await OtlpSink.start();
    const forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: sink.grpcUrl, export_timeout_ms: 300, schedule_delay_ms: 10 },
        receiver: { grpc_listen: '', http_listen: '127.0.0.1:0', max_retry_age_ms: 1_000 },
      },
      { logger: silentLogger },
    );
    try {
      sink.failNext(Number.MAX_SAFE_INTEGER, 'UNAVAILABLE');
      const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(await makeTestSpans(SPANS_PER_REQUEST))!);
      assert.equal((await httpPost(forwarder.httpUrl!, body, { 'content-type': 'application/x-protobuf' })).status, 200);
      const deadline = Date.now() + 15_000;
      while (forwarder.stats.exportFailed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(forwarder.stats.exportFailed, SPANS_PER_REQUEST);
      assert.equal(forwarder.queued.spans, 0);
      assert.equal(sink.spans.length, 0);
    } finally {
      await forwarder.close();
      await sink.close();
    }
  });
});
