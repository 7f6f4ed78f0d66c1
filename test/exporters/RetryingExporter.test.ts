import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { DEFAULT_MAX_EXPORT_BATCH_BYTES } from '../../src/config/ExporterTarget.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import type { GrpcTarget } from '../../src/config/ExporterTarget.js';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { ProtoTraceEncoder } from '../../src/otlp/proto/ProtoTraceEncoder.js';
import { GrpcTraceExporter } from '../../src/exporters/grpc/GrpcTraceExporter.js';
import { EncodedSpans, type EncodedRequest } from '../../src/pipeline/EncodedSpans.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { ExportError } from '../../src/errors.js';
import type { ExportTransport } from '../../src/exporters/ExportTransport.js';
import { RetryingExporter } from '../../src/exporters/RetryingExporter.js';
import { silentLogger } from '../../src/logger.js';
import { RecordingExporter } from '../support/RecordingExporter.js';
import { makeRichSpans } from '../support/richSpans.js';

/**
 * The wrapper's own rules, over a scripted in-process transport (the network cases run against
 * the real sink in GrpcTraceExporter/HttpTraceExporter tests). `script` answers attempt n.
 */
class ScriptedTransport implements ExportTransport<'protobuf'> {
  readonly wireForm = 'protobuf';
  readonly maxBatchBytes = DEFAULT_MAX_EXPORT_BATCH_BYTES;
  readonly attempts: number[] = [];
  encodes = 0;
  shutdowns = 0;

  constructor(private readonly script: (attempt: number, deadline: number) => Promise<number>) {}

  encode(spans: readonly ReadableSpan[]): Buffer {
    this.encodes++;
    return Buffer.from(`payload of ${spans.length}`);
  }

  send(payload: Buffer, _spanCount: number, deadline: number): Promise<number> {
    assert.match(payload.toString(), /^payload of \d+$/);
    this.attempts.push(performance.now());
    return this.script(this.attempts.length, deadline);
  }

  export(): Promise<void> {
    throw new Error('the wrapper must call send');
  }

  async probe(): Promise<void> {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.shutdowns++;
  }

  toString(): string {
    return 'scripted';
  }
}

const unavailable = () => Promise.reject(new ExportError('scripted: UNAVAILABLE', { retryable: true }));

describe('RetryingExporter', () => {
  it('encodes once and retries the same payload until an attempt succeeds', async () => {
    const transport = new ScriptedTransport((n) => (n < 4 ? unavailable() : Promise.resolve(0)));
    const stats = new PipelineStats();
    const exporter = new RetryingExporter(transport, { timeoutMs: 10_000, stats, logger: silentLogger, policy: { initialBackoffMs: 10 } });
    await exporter.export(await makeRichSpans());
    assert.equal(transport.attempts.length, 4);
    assert.equal(transport.encodes, 1);
    assert.equal(stats.retries, 3);
  });

  it('tells the export listeners (readiness) of each failed attempt as it happens, before the export settles', async () => {
    const transport = new ScriptedTransport((n) => (n < 3 ? unavailable() : Promise.resolve(0)));
    const stats = new PipelineStats();
    const outcomes: boolean[] = [];
    stats.onExport((outcome) => outcomes.push(outcome.ok));
    const exporter = new RetryingExporter(transport, { timeoutMs: 10_000, stats, logger: silentLogger, policy: { initialBackoffMs: 10 } });
    await exporter.export(await makeRichSpans());
    assert.deepEqual(outcomes, [false, false]);
    assert.equal(stats.exportFailed, 0, 'attempts are not counted as failed spans');
  });

  it('backs off exponentially', async () => {
    const transport = new ScriptedTransport((n) => (n < 4 ? unavailable() : Promise.resolve(0)));
    const exporter = new RetryingExporter(transport, {
      timeoutMs: 10_000,
      stats: new PipelineStats(),
      logger: silentLogger,
      policy: { initialBackoffMs: 100, multiplier: 2, jitter: 0 },
    });
    await exporter.export(await makeRichSpans());
    const gaps = transport.attempts.slice(1).map((t, i) => t - transport.attempts[i]!);
    // Lower bounds only: a timer never fires early by more than its 1 ms rounding.
    assert.ok(gaps[0]! >= 99 && gaps[1]! >= 199 && gaps[2]! >= 399, `gaps ${gaps.map(Math.round).join(', ')}`);
  });

  it('stops retrying when the next wait would pass the export timeout, and says so', async () => {
    const transport = new ScriptedTransport(unavailable);
    const stats = new PipelineStats();
    const exporter = new RetryingExporter(transport, { timeoutMs: 800, stats, logger: silentLogger, policy: { initialBackoffMs: 50 } });
    const started = performance.now();
    await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
      assert.ok(e instanceof ExportError);
      assert.equal(e.retryable, false, 'a final failure must not be retried again by the caller');
      assert.equal(e.code, 'TRACEPIPE_EXPORT_FAILED');
      assert.equal(e.message, `scripted: UNAVAILABLE (gave up after ${transport.attempts.length} attempts within the 800 ms export timeout)`);
      assert.ok(e.cause instanceof ExportError);
      return true;
    });
    assert.ok(performance.now() - started < 800 + 1_000, 'retries ran past the export timeout');
    assert.equal(stats.retries, transport.attempts.length - 1);
    assert.ok(transport.attempts.length >= 3);
  });

  it('does not retry a failure that is not retryable', async () => {
    const transport = new ScriptedTransport(() => Promise.reject(new ExportError('scripted: INVALID_ARGUMENT')));
    const stats = new PipelineStats();
    const exporter = new RetryingExporter(transport, { timeoutMs: 10_000, stats, logger: silentLogger });
    await assert.rejects(exporter.export(await makeRichSpans()), { message: 'scripted: INVALID_ARGUMENT', retryable: false });
    assert.equal(transport.attempts.length, 1);
    assert.equal(stats.retries, 0);
  });

  it('turns an unexpected error into a final ExportError', async () => {
    const transport = new ScriptedTransport(() => Promise.reject(new TypeError('boom')));
    const exporter = new RetryingExporter(transport, { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger });
    await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
      assert.ok(e instanceof ExportError);
      assert.equal(e.message, 'export failed: boom');
      assert.equal(e.retryable, false);
      assert.ok(e.cause instanceof TypeError);
      return true;
    });
    assert.equal(transport.attempts.length, 1);
  });

  it('turns an encoding failure into a final ExportError without sending', async () => {
    const transport = new ScriptedTransport(() => Promise.resolve(0));
    transport.encode = () => {
      throw new RangeError('attribute too deep');
    };
    const exporter = new RetryingExporter(transport, { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger });
    await assert.rejects(exporter.export(await makeRichSpans()), {
      name: 'ExportError',
      message: 'scripted: cannot encode 5 spans: attribute too deep',
      retryable: false,
    });
    assert.equal(transport.attempts.length, 0);
  });

  it('abandons an attempt that never settles shortly after the deadline: no hang', async () => {
    const transport = new ScriptedTransport(() => new Promise<number>(() => {}));
    const exporter = new RetryingExporter(transport, { timeoutMs: 300, stats: new PipelineStats(), logger: silentLogger });
    await assert.rejects(exporter.export(await makeRichSpans()), {
      code: 'TRACEPIPE_EXPORT_TIMEOUT',
      message: 'scripted did not answer within the 300 ms export timeout',
      retryable: false,
    });
  });

  it('uses export() of a plain TraceExporter, and passes its failures through', async () => {
    const inner = new RecordingExporter();
    const stats = new PipelineStats();
    const exporter = new RetryingExporter(inner, { timeoutMs: 10_000, stats, logger: silentLogger });
    const spans = await makeRichSpans();
    await exporter.export(spans);
    assert.deepEqual(inner.spans, spans);
    inner.failWith = new ExportError('disk full', { code: 'TRACEPIPE_FILE_WRITE' });
    await assert.rejects(exporter.export(spans), { code: 'TRACEPIPE_FILE_WRITE' });
    assert.equal(stats.retries, 0);
  });

  it('shuts the transport down once per call and rejects exports afterwards', async () => {
    const transport = new ScriptedTransport(() => Promise.resolve(0));
    const exporter = new RetryingExporter(transport, { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger });
    await exporter.shutdown();
    await assert.rejects(exporter.export(await makeRichSpans()), { code: 'TRACEPIPE_EXPORTER_SHUTDOWN', retryable: false });
    assert.equal(transport.attempts.length, 0);
    assert.equal(transport.shutdowns, 1);
    assert.equal(String(exporter), 'scripted');
  });
});

describe('RetryingExporter keeps requests within maxBatchBytes and isolates a refused request', () => {
  const KiB = 1024;

  it('sends a span batch that encodes larger than maxBatchBytes in parts the destination takes; a span larger alone is dropped too_large', async () => {
    const sink = await OtlpSink.start({ maxReceiveBytes: 64 * KiB });
    try {
      const stats = new PipelineStats();
      const exporter = new RetryingExporter(new GrpcTraceExporter(parseExporterUrl(sink.grpcUrl) as GrpcTarget, { timeoutMs: 10_000, maxBatchBytes: 64 * KiB, stats, logger: silentLogger }), {
        timeoutMs: 10_000,
        stats,
        logger: silentLogger,
      });
      const spans = await makeTestSpans(300, { attributes: { 'db.query.text': 'q'.repeat(1000) } });
      assert.equal(await exporter.export(spans), 0);
      assert.equal(sink.spans.length, 300);
      assert.deepEqual([...new Set(sink.requests.map((r) => r.outcome))], ['ok']);
      assert.ok(sink.requests.length >= 5, `${sink.requests.length} requests for ~330 KB`);
      const [huge] = await makeTestSpans(1, { attributes: { blob: 'b'.repeat(100 * KiB) } });
      const mixed = [...(await makeTestSpans(3)), huge!];
      assert.equal(await exporter.export(mixed), 1, 'the huge span is reported as not delivered');
      assert.equal(stats.dropped.too_large, 1);
      assert.equal(sink.spans.length, 303);
      await exporter.shutdown();
    } finally {
      await sink.close();
    }
  });

  it('halves a batch of received requests that the destination refuses whole, delivering every request but the bad one', async () => {
    const sink = await OtlpSink.start();
    sink.refuseSpansNamed = 'poison';
    try {
      const stats = new PipelineStats();
      const exporter = new RetryingExporter(new GrpcTraceExporter(parseExporterUrl(sink.grpcUrl) as GrpcTarget, { timeoutMs: 10_000, stats, logger: silentLogger }), {
        timeoutMs: 10_000,
        stats,
        logger: silentLogger,
      });
      const senders = await Promise.all([0, 1, 2, 3, 4].map((i) => makeTestSpans(10, { prefix: i === 3 ? 'poison' : `good${i}` })));
      // The bad sender's first span is named exactly "poison".
      const encoder = new ProtoTraceEncoder();
      const requests = senders.map((spans, i) => encoder.encode(i === 3 ? [renamed(spans[0]!, 'poison'), ...spans.slice(1)] : spans) as Uint8Array as EncodedRequest<'protobuf'>);
      await assert.rejects(exporter.export(new EncodedSpans('protobuf', requests, [10, 10, 10, 10, 10])), (err: unknown) => {
        assert.ok(err instanceof ExportError);
        assert.equal(err.failedSpans, 10);
        assert.equal(err.rejectedSpans, 0);
        assert.match(err.message, /^10 of 50 spans failed: .*INVALID_ARGUMENT/);
        return true;
      });
      assert.equal(sink.spans.length, 40);
      assert.deepEqual(new Set(sink.spans.map((s) => s.name.replace(/-\d+$/, ''))), new Set(['good0', 'good1', 'good2', 'good4']));
      assert.equal(sink.requests[0]!.outcome.startsWith('invalid'), true, 'the whole batch was refused first');
      await exporter.shutdown();
    } finally {
      await sink.close();
    }
  });
});

/** The span with another name (a ReadableSpan is a plain object to the encoder). */
function renamed(span: ReadableSpan, name: string): ReadableSpan {
  return Object.assign(Object.create(Object.getPrototypeOf(span) as object) as ReadableSpan, span, { name });
}
