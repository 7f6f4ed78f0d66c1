import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlwaysOffSampler, AlwaysOnSampler, type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { silentLogger } from '../../src/logger.js';
import { estimateSpanBytes } from '../../src/pipeline/estimateSpanBytes.js';
import { ExportQueue } from '../../src/pipeline/ExportQueue.js';
import { QueueSpanProcessor } from '../../src/pipeline/QueueSpanProcessor.js';
import { heapAllocations } from '../support/heapAllocations.js';
import { RecordingExporter } from '../support/RecordingExporter.js';

function setup(maxBytes: number, sampled = true) {
  const exporter = new RecordingExporter();
  const stats = new PipelineStats();
  const queue = new ExportQueue({ exporter, stats, logger: silentLogger, maxBytes, maxBatchSize: 512, scheduleDelayMs: 10 });
  const processor = new QueueSpanProcessor(queue, stats, 10_000);
  const provider = new TracerProvider({ sampler: sampled ? new AlwaysOnSampler() : new AlwaysOffSampler(), spanProcessors: [processor] });
  return { exporter, stats, queue, processor, provider, tracer: provider.getTracer('test') };
}

test('the estimate is a fixed cost plus attributes, string lengths, events and links', () => {
  const { tracer, provider } = setup(1 << 20);
  const bare = tracer.startSpan('op');
  bare.end();
  const rich = tracer.startSpan('op', { attributes: { 'http.method': 'GET', 'http.status_code': 200, tags: ['a', 'b'] } });
  rich.addEvent('retry', { attempt: 2 });
  rich.addLink({ context: bare.spanContext() });
  rich.end();
  const bareBytes = estimateSpanBytes(bare as never);
  assert.equal(bareBytes, 900 + 2);
  assert.equal(estimateSpanBytes(rich as never), bareBytes + (56 + 3) + 56 + (56 + 32) + (320 + 5 + 56) + 200);
  return provider.shutdown();
});

test('ended sampled spans reach the exporter; unsampled ones are not queued', async () => {
  const on = setup(1 << 20);
  for (let i = 0; i < 10; i++) on.tracer.startSpan(`op-${i}`).end();
  await on.processor.forceFlush();
  assert.deepEqual(on.exporter.spans.map((s) => s.name), Array.from({ length: 10 }, (_, i) => `op-${i}`));
  await on.provider.shutdown();

  const off = setup(1 << 20, false);
  off.tracer.startSpan('op').end();
  await off.processor.forceFlush();
  assert.equal(off.exporter.spans.length, 0);
  assert.equal(off.queue.spans, 0);
  await off.provider.shutdown();
});

test('a span the queue refuses is counted as dropped queue_full', async () => {
  const { tracer, exporter, stats, provider, processor } = setup(2 * 902);
  exporter.hold();
  for (let i = 0; i < 10; i++) tracer.startSpan('op').end();
  assert.equal(stats.dropped.queue_full, 8);
  exporter.release();
  await processor.forceFlush();
  assert.equal(exporter.spans.length, 2);
  await provider.shutdown();
});

test('spans ending after shutdown are counted as dropped shutdown', async () => {
  const { tracer, exporter, stats, provider } = setup(1 << 20);
  const late = tracer.startSpan('late');
  tracer.startSpan('early').end();
  await provider.shutdown();
  late.end();
  assert.deepEqual(exporter.spans.map((s) => s.name), ['early']);
  assert.equal(stats.dropped.shutdown, 1);
  assert.equal(stats.dropped.queue_full, 0);
});

test('offering a span allocates nothing but its place in the batch (every sampled span passes here)', async () => {
  const exporter = new RecordingExporter();
  const stats = new PipelineStats();
  const queue = new ExportQueue({ exporter, stats, logger: silentLogger, maxBytes: 1 << 30, maxBatchSize: 512, scheduleDelayMs: 1_000 });
  const processor = new QueueSpanProcessor(queue, stats, 10_000);
  // Ended spans from a provider of their own, offered again and again.
  const source = new TracerProvider({ sampler: new AlwaysOnSampler() });
  const spans = Array.from({ length: 512 }, (_, i) => {
    const span = source.getTracer('test').startSpan(`op-${i}`, { attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } });
    span.end();
    return span as unknown as ReadableSpan;
  });
  const rounds = 20;
  const bytes = await heapAllocations(() => {
    for (let r = 0; r < rounds; r++) for (const span of spans) processor.onEnd(span);
  }, 32 * rounds * 512);
  // The batches' arrays (~16 bytes a span as they grow) and a timer and batch record per batch; an
  // array per offer and a closure's context per arming check made it ~85.
  const perSpan = bytes / (rounds * 512);
  assert.ok(perSpan < 32, `${perSpan.toFixed(1)} bytes allocated per span`);
  await processor.shutdown();
  await source.shutdown();
});
