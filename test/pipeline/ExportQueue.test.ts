import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { ExportError } from '../../src/errors.js';
import { createExporter } from '../../src/exporters/createExporter.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import type { EncodedRequest } from '../../src/pipeline/EncodedSpans.js';
import { ProtoTraceEncoder } from '../../src/otlp/proto/ProtoTraceEncoder.js';
import { ExportQueue } from '../../src/pipeline/ExportQueue.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { RecordingExporter } from '../support/RecordingExporter.js';
import { waitFor } from '../support/waitFor.js';

const protoEncoder = new ProtoTraceEncoder();

const HOUR = 3_600_000;

function queue(exporter: RecordingExporter, overrides: Partial<ConstructorParameters<typeof ExportQueue>[0]> = {}) {
  const stats = new PipelineStats();
  const q = new ExportQueue({ exporter, stats, logger: silentLogger, maxBytes: 1 << 20, maxBatchSize: 100, scheduleDelayMs: HOUR, ...overrides });
  return { q, stats };
}

test('the byte budget refuses an offer that would exceed it, all or nothing, and frees space once exported', async () => {
  const exporter = new RecordingExporter();
  exporter.hold();
  const { q, stats } = queue(exporter, { maxBytes: 1000, maxBatchSize: 2 });
  const spans = await makeTestSpans(5);
  assert.equal(q.offer(spans.slice(0, 2), 400), true);
  assert.equal(q.offer(spans.slice(2, 4), 400), true);
  assert.equal(q.offer(spans.slice(4, 5), 201), false, 'would take the queue to 1001 bytes');
  assert.equal(q.offer(spans.slice(4, 5), 200), true, 'exactly at the budget');
  assert.equal(q.spans, 5);
  assert.equal(q.bytes, 1000);
  assert.equal(stats.queueSpans(), 5);
  assert.equal(stats.queueBytes(), 1000);
  assert.equal(q.offer(spans.slice(0, 1), 1), false);
  exporter.release();
  await q.flush();
  assert.equal(q.spans, 0);
  assert.equal(q.bytes, 0);
  assert.equal(exporter.spans.length, 5);
  assert.equal(stats.exported, 5);
  assert.equal(q.offer(spans.slice(0, 1), 1000), true, 'space is free again');
  await q.shutdown(10_000);
});

test('a full batch is exported at once, without waiting for the schedule delay', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 10, scheduleDelayMs: HOUR });
  const spans = await makeTestSpans(10);
  for (const span of spans) assert.equal(q.offer([span], 100), true);
  await waitFor('the full batch to be exported', () => stats.exported === 10);
  assert.deepEqual(exporter.batches.map((b) => b.length), [10]);
  await q.shutdown(10_000);
});

test('a partial batch is exported after the schedule delay', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 10, scheduleDelayMs: 20 });
  const spans = await makeTestSpans(3);
  assert.equal(q.offer(spans, 300), true);
  await waitFor('the partial batch to be exported', () => stats.exported === 3);
  assert.deepEqual(exporter.batches.map((b) => b.length), [3]);
  await q.shutdown(10_000);
});

test('a large offer is split into batches whose bytes add up exactly; several exports run at once', async () => {
  const exporter = new RecordingExporter();
  exporter.hold();
  const { q, stats } = queue(exporter, { maxBatchSize: 100, maxConcurrentExports: 3 });
  const spans = await makeTestSpans(1234);
  assert.equal(q.offer(spans, 10_007), true);
  assert.equal(q.bytes, 10_007);
  const flushed = q.flush();
  await waitFor('three exports in flight', () => exporter.inFlight === 3);
  exporter.release();
  await flushed;
  assert.equal(exporter.maxInFlight, 3);
  assert.deepEqual(
    exporter.batches.map((b) => b.length).sort((a, b) => a - b),
    [34, ...Array(12).fill(100)],
  );
  assert.equal(exporter.spans.length, 1234);
  assert.equal(new Set(exporter.spans).size, 1234, 'each span exactly once');
  assert.equal(stats.exported, 1234);
  assert.equal(q.bytes, 0);
  assert.equal(q.spans, 0);
  await q.shutdown(10_000);
});

test('failed exports are counted and logged once per burst; recovery is logged once', async () => {
  const exporter = new RecordingExporter();
  const lines: string[] = [];
  const { q, stats } = queue(exporter, { maxBatchSize: 10, logger: createLogger('debug', (l) => lines.push(l)) });
  const outcomes: boolean[] = [];
  stats.onExport((o) => outcomes.push(o.ok));
  const spans = await makeTestSpans(30);
  exporter.failWith = new ExportError('collector unavailable', { retryable: true });
  assert.equal(q.offer(spans, 3000), true);
  await q.flush();
  assert.equal(stats.exportFailed, 30);
  assert.equal(stats.exported, 0);
  assert.deepEqual(outcomes, [false, false, false]);
  exporter.failWith = undefined;
  assert.equal(q.offer(spans.slice(0, 10), 1000), true);
  await q.flush();
  assert.equal(stats.exported, 10);
  const logged = lines.map((l) => JSON.parse(l) as { level: string; msg: string; failedExports?: number; failedSpans?: number });
  assert.equal(logged.length, 2);
  assert.equal(logged[0]!.level, 'error');
  assert.match(logged[0]!.msg, /^export failed/);
  assert.equal(logged[1]!.msg, 'export recovered');
  assert.equal(logged[1]!.failedExports, 3);
  assert.equal(logged[1]!.failedSpans, 30);
  await q.shutdown(10_000);
});

test('an exporter that throws synchronously is a counted failure, not a crash', async () => {
  const exporter = new RecordingExporter();
  exporter.export = () => {
    throw new Error('boom');
  };
  const { q, stats } = queue(exporter, { maxBatchSize: 5 });
  assert.equal(q.offer(await makeTestSpans(5), 500), true);
  await q.flush();
  assert.equal(stats.exportFailed, 5);
  await q.shutdown(10_000);
});

test('shutdown delivers every queued span, then shuts the exporter down; later calls refuse quietly', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 64, maxConcurrentExports: 2 });
  const spans = await makeTestSpans(2000);
  for (const span of spans) assert.equal(q.offer([span], 50), true);
  const first = q.shutdown(10_000);
  assert.equal(q.shutdown(10_000), first, 'idempotent');
  await first;
  assert.equal(exporter.spans.length, 2000);
  assert.equal(stats.exported, 2000);
  assert.equal(stats.dropped.shutdown, 0);
  assert.equal(exporter.shutdownCalls, 1);
  assert.equal(q.offer(spans.slice(0, 1), 1), false);
  await q.flush();
  await q.shutdown(10_000);
  assert.equal(exporter.shutdownCalls, 1);
});

test('a shutdown that runs out of time counts what was never sent as dropped shutdown', async () => {
  const exporter = new RecordingExporter();
  exporter.hold();
  const { q, stats } = queue(exporter, { maxBatchSize: 10, maxConcurrentExports: 2 });
  const spans = await makeTestSpans(100);
  assert.equal(q.offer(spans, 1000), true);
  const pendingFlush = q.flush();
  await waitFor('two exports in flight', () => exporter.inFlight === 2);
  await q.shutdown(50);
  assert.equal(stats.dropped.shutdown, 80, 'eight batches never started');
  assert.equal(q.spans, 20, 'the two batches in flight are still held');
  exporter.release();
  await pendingFlush;
  assert.equal(stats.exported + stats.exportFailed + stats.dropped.shutdown, 100, 'every span accounted for');
  assert.equal(exporter.shutdownCalls, 1);
});

test('a partial success counts each span once: the rejected as dropped invalid, the rest as exported', async () => {
  const sink = await OtlpSink.start();
  sink.partialSuccess = { rejectedSpans: 3, errorMessage: 'three spans too old' };
  const stats = new PipelineStats();
  const exporter = createExporter(parseExporterUrl(sink.grpcUrl), { timeoutMs: 10_000, stats, logger: silentLogger });
  const q = new ExportQueue({ exporter, stats, logger: silentLogger, maxBytes: 1 << 20, maxBatchSize: 10, scheduleDelayMs: HOUR });
  try {
    assert.equal(q.offer(await makeTestSpans(10), 1000), true);
    await q.flush();
    assert.equal(stats.exported, 7);
    assert.equal(stats.dropped.invalid, 3);
    assert.equal(stats.exportFailed, 0);
  } finally {
    await q.shutdown(10_000);
    await sink.close();
  }
});

/** Protobuf requests of `sizes` spans each, as the forwarder queues them. */
async function requests(...sizes: number[]): Promise<EncodedRequest<'protobuf'>[]> {
  return Promise.all(sizes.map(async (n) => protoEncoder.encode(await makeTestSpans(n)) as Uint8Array as EncodedRequest<'protobuf'>));
}

test('encoded requests are batched whole: a batch is sealed when the next request would pass maxBatchSize, or when it reaches it', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 10 });
  const [a, b, c, d, e] = await requests(4, 4, 4, 3, 3);
  assert.equal(q.offerEncoded(a!, 4, 100), true);
  assert.equal(q.offerEncoded(b!, 4, 100), true);
  assert.equal(q.offerEncoded(c!, 4, 100), true, 'seals [a, b]: 12 spans would pass 10');
  assert.equal(q.offerEncoded(d!, 3, 100), true);
  assert.equal(q.offerEncoded(e!, 3, 100), true, '4 + 3 + 3 reaches 10: sealed at once');
  await waitFor('both full batches to be exported, without the hour-long delay', () => stats.exported === 18);
  assert.deepEqual(exporter.kinds, ['encoded', 'encoded']);
  assert.deepEqual(exporter.encodedBatches.map((batch) => batch.spanCount), [8, 10]);
  assert.deepEqual(exporter.encodedBatches.map((batch) => batch.requests), [[a, b], [c, d, e]], 'the very bytes offered, in order');
  assert.equal(q.spans, 0);
  assert.equal(q.bytes, 0);
  await q.shutdown(10_000);
});

test('an encoded request larger than maxBatchSize is exported alone, never split', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 10 });
  const [small, big, after] = await requests(3, 25, 2);
  assert.equal(q.offerEncoded(small!, 3, 30), true);
  assert.equal(q.offerEncoded(big!, 25, 250), true);
  assert.equal(q.offerEncoded(after!, 2, 20), true);
  await q.flush();
  assert.deepEqual(exporter.encodedBatches.map((batch) => batch.requests), [[small], [big], [after]]);
  assert.deepEqual(exporter.encodedBatches.map((batch) => batch.spanCount), [3, 25, 2]);
  assert.equal(stats.exported, 30);
  await q.shutdown(10_000);
});

test('spans and encoded requests never share a batch: an offer of the other kind seals the open one', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 100 });
  const spans = await makeTestSpans(3);
  const [one, two] = await requests(5, 6);
  assert.equal(q.offer(spans.slice(0, 2), 200), true);
  assert.equal(q.offerEncoded(one!, 5, 50), true);
  assert.equal(q.offerEncoded(two!, 6, 60), true);
  assert.equal(q.offer(spans.slice(2), 100), true);
  assert.equal(q.spans, 14);
  assert.equal(q.bytes, 410);
  await q.flush();
  assert.deepEqual(exporter.kinds, ['spans', 'encoded', 'spans']);
  assert.deepEqual(exporter.batches, [spans.slice(0, 2), spans.slice(2)]);
  assert.deepEqual(exporter.encodedBatches.map((batch) => [batch.requests, batch.spanCount]), [[[one, two], 11]]);
  assert.equal(stats.exported, 14);
  assert.equal(q.spans, 0);
  assert.equal(q.bytes, 0);
  await q.shutdown(10_000);
});

test('encoded requests are charged their bytes against the budget, all or nothing; a request of no spans queues nothing', async () => {
  const exporter = new RecordingExporter();
  exporter.hold();
  const { q, stats } = queue(exporter, { maxBytes: 1000, maxBatchSize: 100, scheduleDelayMs: 20 });
  const [a, b] = await requests(2, 3);
  assert.equal(q.offerEncoded(a!, 2, 600), true);
  assert.equal(q.offerEncoded(b!, 3, 401), false, 'would take the queue to 1001 bytes');
  assert.equal(q.offerEncoded(b!, 3, 400), true, 'exactly at the budget');
  assert.equal(q.offerEncoded(new Uint8Array(0) as EncodedRequest<'protobuf'>, 0, 0), true);
  assert.equal(q.spans, 5);
  assert.equal(q.bytes, 1000);
  assert.equal(stats.queueBytes(), 1000);
  await waitFor('the partial batch to be exported after the schedule delay', () => exporter.inFlight === 1);
  exporter.release();
  await q.flush();
  assert.deepEqual(exporter.encodedBatches.map((batch) => batch.requests), [[a, b]]);
  assert.equal(stats.exported, 5);
  assert.equal(q.bytes, 0);
  await q.shutdown(10_000);
});

test('a shutdown that runs out of time counts the spans of the encoded requests never sent as dropped shutdown', async () => {
  const exporter = new RecordingExporter();
  exporter.hold();
  const { q, stats } = queue(exporter, { maxBatchSize: 10, maxConcurrentExports: 1 });
  const sent = await requests(7, 5, 9, 4);
  sent.forEach((request, i) => assert.equal(q.offerEncoded(request, [7, 5, 9, 4][i]!, 100), true));
  // Each next request would take the open batch past 10 spans: batches [7], [5], [9], and [4] sealed by flush().
  const pendingFlush = q.flush();
  await waitFor('one export in flight', () => exporter.inFlight === 1);
  await q.shutdown(50);
  assert.equal(stats.dropped.shutdown, 18, 'the [5], [9] and [4] batches never started');
  assert.equal(q.spans, 7, 'the batch in flight is still held');
  assert.equal(q.bytes, 100);
  exporter.release();
  await pendingFlush;
  assert.equal(stats.exported, 7);
  assert.equal(stats.exported + stats.exportFailed + stats.dropped.shutdown, 25, 'every span accounted for');
  assert.equal(q.offerEncoded(sent[0]!, 7, 1), false, 'refused after shutdown');
});

test('encoded requests are sealed into batches before their document would pass the exporter\'s maxBatchBytes', async () => {
  // JSON framing: `{"resourceSpans":[`, the commas, `]}` and a newline: 21 bytes, plus one a request.
  const exporter = new RecordingExporter('json', 100);
  const stats = new PipelineStats();
  const q = new ExportQueue({ exporter, stats, logger: silentLogger, maxBytes: 1 << 20, maxBatchSize: 100, scheduleDelayMs: HOUR });
  const piece = (n: number) => Buffer.alloc(n, 0x20) as Uint8Array as EncodedRequest<'json'>;
  const [a, b, c, d] = [piece(30), piece(30), piece(20), piece(70)];
  for (const r of [a, b, c, d]) assert.equal(q.offerEncoded(r!, 1, r!.byteLength), true);
  await q.flush();
  // a + b = 60 + 21 + 2 = 83; + c = 80 + 21 + 3 = 104 > 100: sealed before c. c + d = 90 + 21 + 2 = 113: sealed before d.
  assert.deepEqual(exporter.encodedBatches.map((batch) => batch.requests), [[a, b], [c], [d]]);
  assert.deepEqual(exporter.encodedBatches.map((batch) => batch.documentBytes), [83, 42, 92]);
  assert.equal(stats.exported, 4);
  await q.shutdown(10_000);
});

test('a queue cannot be assembled with an exporter of another wire form: it does not compile', () => {
  const misassembled = () =>
    // @ts-expect-error: the exporter takes OTLP/JSON requests, the queue is declared for protobuf ones
    new ExportQueue<'protobuf'>({ exporter: new RecordingExporter('json'), stats: new PipelineStats(), logger: silentLogger, maxBytes: 1024, maxBatchSize: 1, scheduleDelayMs: 1 });
  assert.equal(typeof misassembled, 'function');
});

const RETRY = { maxAgeMs: undefined, initialBackoffMs: 20, maxBackoffMs: 80 };

test('with a retry policy, a batch whose export failed for a reason that may pass stays queued and charged, and is exported again', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 10, maxBytes: 1500, retry: RETRY });
  exporter.failWith = new ExportError('destination unreachable', { retryable: true });
  const spans = await makeTestSpans(10);
  assert.equal(q.offer(spans, 1000), true);
  const flushed = q.flush();
  await waitFor('a few failed attempts', () => stats.retries >= 3);
  assert.equal(q.spans, 10, 'still held');
  assert.equal(q.bytes, 1000, 'still charged');
  assert.equal(q.offer(spans.slice(0, 1), 600), false, 'the budget still counts it');
  assert.equal(stats.exportFailed, 0);
  exporter.failWith = undefined;
  await flushed;
  assert.equal(exporter.spans.length, 10);
  assert.equal(stats.exported, 10);
  assert.equal(stats.exportFailed, 0);
  assert.equal(q.bytes, 0);
  await q.shutdown(1000);
});

test('with a retry policy, a batch the destination refuses for good is given up at once, counted as failed', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 10, retry: RETRY });
  exporter.failWith = new ExportError('invalid argument', { retryable: false });
  assert.equal(q.offer(await makeTestSpans(10), 1000), true);
  await q.flush();
  assert.equal(stats.exportFailed, 10);
  assert.equal(stats.retries, 0);
  assert.equal(q.spans, 0);
  await q.shutdown(1000);
});

test('a shutdown that runs out of time while batches are being retried counts them as dropped shutdown; abandon() counts the exports still running', async () => {
  const exporter = new RecordingExporter();
  const { q, stats } = queue(exporter, { maxBatchSize: 10, maxConcurrentExports: 1, retry: RETRY });
  exporter.failWith = new ExportError('destination unreachable', { retryable: true });
  assert.equal(q.offer(await makeTestSpans(30), 3000), true);
  void q.flush();
  await waitFor('a failed attempt', () => stats.retries >= 1);
  exporter.hold();
  await waitFor('an export in flight', () => exporter.inFlight === 1);
  await q.shutdown(50);
  assert.equal(stats.dropped.shutdown, 20, 'the two batches waiting');
  assert.equal(q.abandon(), 10);
  assert.equal(stats.dropped.shutdown, 30);
  assert.equal(q.spans, 0);
  exporter.failWith = undefined;
  exporter.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(stats.exported + stats.exportFailed + stats.dropped.shutdown, 30, 'every span counted once');
});
