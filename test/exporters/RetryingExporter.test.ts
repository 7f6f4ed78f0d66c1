import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { PipelineStats } from '../../src/diagnostics/PipelineStats.js';
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
class ScriptedTransport implements ExportTransport<string> {
  readonly attempts: number[] = [];
  encodes = 0;
  shutdowns = 0;

  constructor(private readonly script: (attempt: number, deadline: number) => Promise<number>) {}

  encode(spans: readonly ReadableSpan[]): string {
    this.encodes++;
    return `payload of ${spans.length}`;
  }

  send(payload: string, _spanCount: number, deadline: number): Promise<number> {
    assert.match(payload, /^payload of \d+$/);
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
