import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { decodeTracesProto } from '../../src/otlp/proto/decodeTracesProto.js';
import { JsonTraceEncoder } from '../../src/otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../../src/otlp/proto/ProtoTraceEncoder.js';
import { silentLogger } from '../../src/logger.js';
import { ExportQueue } from '../../src/pipeline/ExportQueue.js';
import { SpanIntake } from '../../src/receiver/SpanIntake.js';
import { JsonRequests, ProtobufRequests, type RequestCodec } from '../../src/receiver/RequestCodec.js';
import type { WireForm } from '../../src/pipeline/EncodedSpans.js';
import { LineBufferPool } from '../../src/exporters/file/LineBufferPool.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { RecordingExporter } from '../support/RecordingExporter.js';
import { GOOD, message } from '../support/protobufMessages.js';

const jsonEncoder = new JsonTraceEncoder();
const protoEncoder = new ProtoTraceEncoder();

const HOUR = 3_600_000;
const TAG = 'tracepipe.forwarded_for';

/** A SpanIntake in front of a real ExportQueue whose exporter records what it is given. */
function intake(options: { tag?: string; maxBytes?: number; json?: LineBufferPool; maxBatchBytes?: number } = {}) {
  const stats = new PipelineStats();
  const maxBytes = options.maxBytes ?? 1 << 24;
  const maxBatchBytes = options.maxBatchBytes ?? 1 << 24;
  const common = { stats, logger: silentLogger, maxBatchSize: 10_000, scheduleDelayMs: HOUR };
  const json = options.json;
  const pipeline = <F extends WireForm>(exporter: RecordingExporter<F>, codec: RequestCodec<F>) => {
    const queue = new ExportQueue<F>({ exporter, maxBytes, ...common });
    const spanIntake = new SpanIntake<F>({ queue, codec, maxBatchBytes, queueMaxBytes: maxBytes, stats, logger: silentLogger, tagSenderAttribute: options.tag });
    return { exporter: exporter as RecordingExporter<WireForm>, queue: queue as ExportQueue, spanIntake: spanIntake as SpanIntake };
  };
  const { exporter, queue, spanIntake } =
    json === undefined
      ? pipeline(new RecordingExporter('protobuf', maxBatchBytes), new ProtobufRequests())
      : pipeline(new RecordingExporter('json', maxBatchBytes), new JsonRequests(json));
  /** Everything queued so far, exported and decoded. */
  const queued = async () => {
    await queue.flush();
    return exporter.encodedBatches.flatMap((batch) => batch.requests);
  };
  return { exporter, stats, queue, spanIntake, queued, close: () => queue.shutdown(10_000) };
}

describe('SpanIntake', () => {
  it('queues a valid protobuf request as the very bytes received, charged their size', async () => {
    const { spanIntake, stats, queue, queued, exporter, close } = intake();
    const body = Buffer.from(protoEncoder.encode(await makeTestSpans(100)));
    assert.ok(body.byteLength > 8192, 'large enough to have a buffer of its own');
    assert.deepEqual(spanIntake.acceptProto(body, 'grpc', undefined), { kind: 'accepted', rejected: 0, message: '' });
    assert.equal(stats.received.grpc, 100);
    assert.equal(queue.bytes, body.byteLength);
    assert.equal(queue.spans, 100);
    const requests = await queued();
    assert.equal(requests.length, 1);
    assert.equal(requests[0], body, 'not decoded and encoded again: the same object');
    assert.deepEqual(exporter.kinds, ['encoded']);
    assert.equal(stats.exported, 100);
    await close();
  });

  it('copies a small body out of the shared buffer it is a view of, and charges only its own bytes', async () => {
    const { spanIntake, queue, queued, close } = intake();
    const bytes = protoEncoder.encode(await makeTestSpans(2));
    const shared = Buffer.alloc(8192, 0xee);
    shared.set(bytes, 100);
    const body = shared.subarray(100, 100 + bytes.byteLength);
    assert.equal(spanIntake.acceptProto(body, 'http', undefined).kind, 'accepted');
    assert.equal(queue.bytes, bytes.byteLength);
    const [request] = await queued();
    assert.notEqual(request!.buffer, shared.buffer);
    assert.equal(request!.buffer.byteLength, bytes.byteLength);
    assert.deepEqual(Buffer.from(request!), Buffer.from(bytes));
    shared.fill(0);
    assert.equal(decodeTracesProto(request!).spans.length, 2, 'the copy does not change with the shared buffer');
    await close();
  });

  it('with tagging on, decodes, tags every span and queues the re-encoded request at its size', async () => {
    const { spanIntake, stats, queue, queued, close } = intake({ tag: TAG });
    const spans = await makeTestSpans(5);
    const body = protoEncoder.encode(spans);
    assert.deepEqual(spanIntake.acceptProto(body, 'grpc', '10.1.2.3'), { kind: 'accepted', rejected: 0, message: '' });
    assert.equal(stats.received.grpc, 5);
    const held = queue.bytes;
    const [request] = await queued();
    assert.equal(held, request!.byteLength);
    const decoded = decodeTracesProto(request!).spans;
    assert.deepEqual(decoded.map((s) => s.attributes[TAG]), Array(5).fill('10.1.2.3'));
    assert.deepEqual(decoded.map((s) => s.spanContext().spanId), spans.map((s) => s.spanContext().spanId));
    await close();
  });

  it('forwards the valid spans of a request with invalid ids and answers the exact partial_success message', async () => {
    const { spanIntake, stats, queued, close } = intake();
    const body = message([
      { ...GOOD, traceId: Buffer.alloc(15, 1) },
      GOOD,
      { ...GOOD, spanId: Buffer.alloc(8) },
      { ...GOOD, name: 'also good', parentSpanId: Buffer.from('0102030405060708', 'hex') },
    ]);
    assert.deepEqual(spanIntake.acceptProto(body, 'http', undefined), {
      kind: 'accepted',
      rejected: 2,
      message:
        '2 span(s) rejected: resource_spans[0].scope_spans[0].spans[0]: trace_id must be 16 bytes, got 15; ' +
        'resource_spans[0].scope_spans[0].spans[2]: span_id is all zeros',
    });
    assert.equal(stats.received.http, 2);
    assert.equal(stats.dropped.invalid, 2);
    const requests = await queued();
    assert.deepEqual(decodeTracesProto(Buffer.concat(requests)).spans.map((s) => s.name), ['good', 'also good']);
    await close();
  });

  it('queues a JSON request as protobuf holding the same spans', async () => {
    const { spanIntake, stats, queue, queued, close } = intake();
    const spans = await makeTestSpans(4);
    const json = Buffer.from(jsonEncoder.encode(spans));
    assert.deepEqual(spanIntake.acceptJson(json, 'http', undefined), { kind: 'accepted', rejected: 0, message: '' });
    assert.equal(stats.received.http, 4);
    const held = queue.bytes;
    const [request] = await queued();
    assert.equal(held, request!.byteLength);
    assert.deepEqual(Buffer.from(request!), Buffer.from(protoEncoder.encode(decodeTracesProto(request!).spans)));
    assert.equal(jsonEncoder.encode(decodeTracesProto(request!).spans), json.toString('utf8'));
    await close();
  });

  it('answers a body that does not decode with the decoder message and queues nothing', async () => {
    const { spanIntake, stats, queue, close } = intake();
    assert.deepEqual(spanIntake.acceptProto(Buffer.from([0x0a, 0x05, 0x01]), 'grpc', undefined), {
      kind: 'invalid',
      message: 'invalid OTLP protobuf: length runs past the end of its message at byte 2',
    });
    assert.equal(stats.received.grpc, 0);
    assert.equal(queue.spans, 0);
    await close();
  });

  it('accepts an empty request without queuing anything', async () => {
    const { spanIntake, stats, queue, close } = intake();
    assert.deepEqual(spanIntake.acceptProto(new Uint8Array(0), 'grpc', undefined), { kind: 'accepted', rejected: 0, message: '' });
    assert.equal(stats.received.grpc, 0);
    assert.equal(queue.spans, 0);
    await close();
  });

  it('refuses a request the queue has no room for, on both paths, counting nothing', async () => {
    const spans = await makeTestSpans(20);
    const body = protoEncoder.encode(spans);
    for (const tag of [undefined, TAG]) {
      // Room for one request (tagged spans re-encode a little larger), not two.
      const { spanIntake, stats, queue, close } = intake({ tag, maxBytes: Math.floor(body.byteLength * 1.5) });
      assert.equal(spanIntake.acceptProto(body, 'grpc', tag && '10.1.2.3').kind, 'accepted');
      assert.ok(queue.bytes >= body.byteLength);
      assert.deepEqual(spanIntake.acceptProto(body, 'grpc', tag && '10.1.2.3'), { kind: 'full' });
      assert.equal(stats.received.grpc, 20);
      assert.equal(queue.spans, 20);
      await close();
    }
  });

  it('queues OTLP/JSON for an OTLP/HTTP JSON exporter (no pool) in Buffers of their exact size, charged that', async () => {
    const stats = new PipelineStats();
    const exporter = new RecordingExporter('json');
    const queue = new ExportQueue({ exporter, stats, logger: silentLogger, maxBytes: 1 << 24, maxBatchSize: 10_000, scheduleDelayMs: HOUR });
    const spanIntake = new SpanIntake({ queue, codec: new JsonRequests(), maxBatchBytes: 1 << 22, queueMaxBytes: 1 << 24, stats, logger: silentLogger, tagSenderAttribute: undefined });
    const body = new ProtoTraceEncoder().encode(await makeTestSpans(2));
    assert.equal(spanIntake.acceptProto(body, 'grpc', undefined).kind, 'accepted');
    await queue.flush();
    const [request] = exporter.encodedBatches[0]!.requests;
    assert.equal(request!.buffer.byteLength, request!.byteLength, 'not a view of a larger Buffer');
    assert.ok(request!.byteLength > body.byteLength, 'JSON is larger than the protobuf');
    assert.equal(stats.exported, 2);
    await queue.shutdown(10_000);
  });

  describe('queueing OTLP/JSON (for a capture-file exporter)', () => {
    /** The TracesData an exporter would write for the queued JSON requests. */
    const line = (requests: readonly Uint8Array[]) => `{"resourceSpans":[${requests.map((r) => Buffer.from(r).toString('utf8')).join(',')}]}`;

    it('transcodes a valid request in one pass into a pool Buffer, charged the memory it holds', async () => {
      const pool = new LineBufferPool(4, 1 << 20);
      const { spanIntake, stats, queue, queued, exporter, close } = intake({ json: pool });
      const spans = await makeTestSpans(100);
      const body = protoEncoder.encode(spans);
      assert.deepEqual(spanIntake.acceptProto(body, 'grpc', undefined), { kind: 'accepted', rejected: 0, message: '' });
      assert.equal(stats.received.grpc, 100);
      assert.equal(queue.bytes, 1 << 20, 'the whole slab the JSON sits in');
      const requests = await queued();
      assert.equal(requests.length, 1);
      assert.equal(line(requests), jsonEncoder.encode(decodeTracesProto(body).spans));
      assert.deepEqual(exporter.kinds, ['encoded']);
      assert.equal(exporter.encodedBatches[0]!.form, 'json');
      await close();
    });

    it('decodes what it cannot take whole: invalid ids are answered in partial_success, the rest queued as JSON', async () => {
      const { spanIntake, stats, queued, close } = intake({ json: new LineBufferPool() });
      const body = message([GOOD, { ...GOOD, spanId: Buffer.from('eee19b7e', 'hex') }]);
      assert.deepEqual(spanIntake.acceptProto(body, 'http', undefined), {
        kind: 'accepted',
        rejected: 1,
        message: '1 span(s) rejected: resource_spans[0].scope_spans[0].spans[1]: span_id must be 8 bytes, got 4',
      });
      assert.equal(stats.received.http, 1);
      assert.equal(stats.dropped.invalid, 1);
      assert.equal(line(await queued()), jsonEncoder.encode(decodeTracesProto(message([GOOD])).spans));
      await close();
    });

    it('tags spans and takes JSON bodies through the decoder, into JSON', async () => {
      const { spanIntake, queued, close } = intake({ tag: TAG, json: new LineBufferPool() });
      const spans = await makeTestSpans(3);
      assert.equal(spanIntake.acceptProto(protoEncoder.encode(spans), 'grpc', 'peer-a').kind, 'accepted');
      assert.equal(spanIntake.acceptJson(Buffer.from(jsonEncoder.encode(spans)), 'http', 'peer-b').kind, 'accepted');
      const requests = await queued();
      assert.equal(requests.length, 2);
      const senders = requests.map((r) => {
        const { resourceSpans } = JSON.parse(line([r])) as { resourceSpans: { scopeSpans: { spans: { attributes: { key: string; value: { stringValue: string } }[] }[] }[] }[] };
        return resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.attributes.find((a) => a.key === TAG)?.value.stringValue);
      });
      assert.deepEqual(senders, [
        ['peer-a', 'peer-a', 'peer-a'],
        ['peer-b', 'peer-b', 'peer-b'],
      ]);
      await close();
    });

    it('refuses a request that cannot fit as JSON before transcoding it', async () => {
      const pool = new LineBufferPool(4, 1 << 20);
      let allocations = 0;
      const counting = Object.assign(Object.create(pool) as LineBufferPool, {
        allocate: (size: number) => {
          allocations++;
          return pool.allocate(size);
        },
      });
      const { spanIntake, stats, queue, close } = intake({ json: counting, maxBytes: 1.5 * (1 << 20) });
      assert.equal(spanIntake.acceptProto(protoEncoder.encode(await makeTestSpans(10)), 'grpc', undefined).kind, 'accepted');
      assert.equal(allocations, 1);
      assert.equal(queue.bytes, 1 << 20);
      const body = protoEncoder.encode(await makeTestSpans(1000));
      assert.ok(body.length * 4 > 0.5 * (1 << 20) && body.length < 0.5 * (1 << 20), `a ${body.length}-byte body fits as protobuf, not as JSON`);
      assert.deepEqual(spanIntake.acceptProto(body, 'grpc', undefined), { kind: 'full' });
      assert.equal(allocations, 1, 'refused without being transcoded');
      assert.equal(stats.received.grpc, 10);
      await close();
    });

    it('answers bytes that are not a message as invalid, as in protobuf mode', () => {
      const { spanIntake, stats } = intake({ json: new LineBufferPool() });
      const result = spanIntake.acceptProto(Buffer.from([0x0a, 0x7f, 0x01]), 'grpc', undefined);
      assert.equal(result.kind, 'invalid');
      assert.equal(stats.received.grpc, 0);
    });
  });
});
