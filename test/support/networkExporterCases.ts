/**
 * The cases the gRPC and HTTP exporters share, each run through `createExporter` (so with the
 * retry wrapper) against the test file's OtlpSink. Call it inside the file's `describe`, which
 * owns the sink; the transport names what differs: URLs, how the sink fails, error texts.
 *
 *   describe('GrpcTraceExporter', () => {
 *     let sink: OtlpSink; before(...); after(...); beforeEach(() => sink.clear());
 *     networkExporterCases(GRPC, () => sink);
 *   });
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { tlsMaterial } from '../../src/config/validateConfig.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { EncodedSpans, type EncodedRequest } from '../../src/pipeline/EncodedSpans.js';
import { ProtoTraceEncoder } from '../../src/otlp/proto/ProtoTraceEncoder.js';
import { JsonTranscoder } from '../../src/otlp/json/JsonTranscoder.js';
import { ExportError } from '../../src/errors.js';
import { createExporter } from '../../src/exporters/createExporter.js';
import type { TraceExporter } from '../../src/exporters/TraceExporter.js';
import { silentLogger } from '../../src/logger.js';
import { startBlackhole } from './blackholeServer.js';
import { makeCerts } from './certs.js';
import { makeTestSpans } from './makeTestSpans.js';
import { OtlpSink, type Failure } from './OtlpSink.js';
import { assertArrivedExactly, makeRichSpans } from './richSpans.js';
import { waitFor } from './waitFor.js';

const protoEncoder = new ProtoTraceEncoder();
const transcoder = new JsonTranscoder();

export interface NetworkTransport {
  /** The sink's address in this transport's URL scheme. */
  url(sink: OtlpSink): string;
  /** Variants of the URL (a query to append) and the encoding the sink sees for each. */
  variants: ReadonlyArray<{ query: string; encoding: 'protobuf' | 'json' }>;
  /** A plaintext URL and a TLS URL for a server on 127.0.0.1:port. */
  urlsAt(port: number): readonly [plain: string, tls: string];
  /** Failures the exporter retries, as given to `sink.failNext`. */
  retried: readonly Failure[];
  /** The throttling failure that carries a delay (RetryInfo or Retry-After), and the delay sent. */
  throttled: Failure;
  throttleDelayMs: number;
  /** A final failure, and the message of the error it becomes when the sink says 'span 3 has no name'. */
  invalid: Failure;
  invalidMessage(sink: OtlpSink): string;
  /** How the failure reads when nothing listens. */
  refused: string;
}

export const GRPC: NetworkTransport = {
  url: (sink) => sink.grpcUrl,
  variants: [{ query: '', encoding: 'protobuf' }],
  urlsAt: (port) => [`grpc://127.0.0.1:${port}`, `grpc://127.0.0.1:${port}`],
  retried: ['UNAVAILABLE'],
  throttled: 'RESOURCE_EXHAUSTED',
  throttleDelayMs: 1_200,
  invalid: 'INVALID_ARGUMENT',
  invalidMessage: (sink) => `grpc ${sink.grpcAddress}: INVALID_ARGUMENT: span 3 has no name`,
  refused: 'UNAVAILABLE',
};

export const HTTP: NetworkTransport = {
  url: (sink) => sink.httpUrl,
  variants: [
    { query: '', encoding: 'protobuf' },
    { query: '?encoding=json', encoding: 'json' },
  ],
  urlsAt: (port) => [`http://127.0.0.1:${port}`, `https://127.0.0.1:${port}`],
  retried: [503, 502, 504],
  throttled: 429,
  // Retry-After is whole seconds.
  throttleDelayMs: 1_000,
  invalid: 400,
  invalidMessage: (sink) => `http ${sink.httpUrl}: HTTP 400: span 3 has no name`,
  refused: 'ECONNREFUSED',
};

export function networkExporterCases(transport: NetworkTransport, getSink: () => OtlpSink): void {
  const exporterFor = (url: string, timeoutMs = 10_000, stats = new PipelineStats()): TraceExporter =>
    createExporter(parseExporterUrl(url), { timeoutMs, stats, logger: silentLogger });

  for (const failure of transport.retried) {
    it(`retries ${failure} twice and then delivers every span exactly once`, async () => {
      const sink = getSink();
      const spans = await makeRichSpans();
      const stats = new PipelineStats();
      const exporter = exporterFor(transport.url(sink), 10_000, stats);
      sink.failNext(2, failure);
      await exporter.export(spans);
      await exporter.shutdown();
      assertArrivedExactly(sink.spans, spans);
      assert.deepEqual(sink.requests.map((r) => r.outcome), [String(failure), String(failure), 'ok']);
      assert.equal(stats.retries, 2);
    });
  }

  it(`retries ${transport.throttled} after the delay the server asks for`, async () => {
    const sink = getSink();
    const spans = await makeRichSpans();
    const stats = new PipelineStats();
    const exporter = exporterFor(transport.url(sink), 10_000, stats);
    sink.failNext(1, transport.throttled, { retryAfterMs: transport.throttleDelayMs });
    const started = performance.now();
    await exporter.export(spans);
    const elapsed = performance.now() - started;
    await exporter.shutdown();
    assertArrivedExactly(sink.spans, spans);
    assert.equal(stats.retries, 1);
    // The default first backoff is 200 ms ± 20%: only the server's delay explains a wait this long.
    assert.ok(elapsed >= transport.throttleDelayMs - 10, `retried after ${elapsed} ms`);
  });

  it(`fails at once on ${transport.invalid} with the server's message, without retrying`, async () => {
    const sink = getSink();
    const stats = new PipelineStats();
    const exporter = exporterFor(transport.url(sink), 10_000, stats);
    sink.failNext(1, transport.invalid, { message: 'span 3 has no name' });
    await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
      assert.ok(e instanceof ExportError);
      assert.equal(e.code, 'TRACEPIPE_EXPORT_FAILED');
      assert.equal(e.retryable, false);
      assert.equal(e.message, transport.invalidMessage(sink));
      return true;
    });
    await exporter.shutdown();
    assert.equal(stats.retries, 0);
    assert.equal(sink.requests.length, 1);
    assert.equal(sink.spans.length, 0);
  });

  for (const { query, encoding } of transport.variants) {
    if (encoding === 'protobuf') {
      it('delivers the spans of EncodedSpans (several received requests) exactly, in one protobuf request', async () => {
        const sink = getSink();
        const rich = await makeRichSpans();
        const plain = await makeTestSpans(5);
        const requests = [protoEncoder.encode(rich.slice(0, 2)), protoEncoder.encode(rich.slice(2)), protoEncoder.encode(plain)] as Uint8Array[] as EncodedRequest<'protobuf'>[];
        const stats = new PipelineStats();
        const exporter = exporterFor(transport.url(sink) + query, 10_000, stats);
        assert.equal(exporter.wireForm, 'protobuf');
        assert.equal(await exporter.export(new EncodedSpans('protobuf', requests, [2, rich.length - 2, 5])), 0);
        await exporter.shutdown();
        assertArrivedExactly(sink.spans, [...rich, ...plain]);
        assert.deepEqual(sink.requests.map((r) => [r.encoding, r.spans, r.outcome]), [['protobuf', rich.length + 5, 'ok']]);
      });
    }

    if (encoding === 'json') {
      it('sends EncodedSpans already in OTLP/JSON joined into one TracesData', async () => {
        const sink = getSink();
        const rich = await makeRichSpans();
        const plain = await makeTestSpans(2);
        const allocate = (size: number) => Buffer.alloc(size);
        const requests = [rich, plain].map((spans) => transcoder.transcodeResourceSpans(protoEncoder.encode(spans), allocate)!.json as Uint8Array as EncodedRequest<'json'>);
        const exporter = exporterFor(transport.url(sink) + query, 10_000, new PipelineStats());
        assert.equal(exporter.wireForm, 'json');
        assert.equal(await exporter.export(new EncodedSpans('json', requests, [rich.length, 2])), 0);
        await exporter.shutdown();
        assertArrivedExactly(sink.spans, [...rich, ...plain]);
        assert.deepEqual(sink.requests.map((r) => [r.encoding, r.spans, r.outcome]), [['json', rich.length + 2, 'ok']]);
      });
    }

    it(`counts the spans a partial success rejects as dropped "invalid" (${encoding})`, async () => {
      const sink = getSink();
      const stats = new PipelineStats();
      const exporter = exporterFor(transport.url(sink) + query, 10_000, stats);
      sink.partialSuccess = { rejectedSpans: 2, errorMessage: 'two spans too large' };
      try {
        assert.equal(await exporter.export(await makeRichSpans()), 2);
      } finally {
        sink.partialSuccess = undefined;
      }
      await exporter.shutdown();
      assert.equal(stats.dropped.invalid, 2);
      assert.equal(stats.retries, 0);
    });
  }

  it('fails with a timeout, within the export timeout, when the collector does not answer', async () => {
    const sink = getSink();
    const exporter = exporterFor(transport.url(sink), 1_000);
    sink.stall();
    try {
      await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
        assert.ok(e instanceof ExportError);
        assert.equal(e.code, 'TRACEPIPE_EXPORT_TIMEOUT');
        assert.equal(e.retryable, false);
        return true;
      });
    } finally {
      sink.resume();
    }
    await exporter.shutdown();
  });

  it('fails within the timeout, after retrying, when nothing listens', async () => {
    const closed = await OtlpSink.start();
    const url = transport.url(closed);
    await closed.close();
    const stats = new PipelineStats();
    const exporter = exporterFor(url, 1_500, stats);
    await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => {
      assert.ok(e instanceof ExportError);
      assert.equal(e.retryable, false);
      assert.match(e.message, new RegExp(`${transport.refused}.*gave up after \\d+ attempts within the 1500 ms export timeout`, 's'));
      return true;
    });
    assert.ok(stats.retries >= 1, `retries ${stats.retries}`);
    await assert.rejects(exporter.probe(), (e: unknown) => e instanceof ExportError && e.message.includes(transport.refused));
    await exporter.shutdown();
  });

  it('fails within the timeout against a peer that accepts the connection and never answers (plaintext and TLS)', async () => {
    const hole = await startBlackhole();
    try {
      const [plain, secure] = transport.urlsAt(hole.port);
      for (const [url, tls] of [[plain, false], [secure, true]] as const) {
        const certs = tls ? await makeCerts() : undefined;
        const exporter = createExporter(parseExporterUrl(url), {
          timeoutMs: 1_000,
          stats: new PipelineStats(),
          logger: silentLogger,
          tls: certs && tlsMaterial([certs.caCert], [], 'tracing_service.https_keypairs'),
        });
        await assert.rejects(exporter.export(await makeRichSpans()), (e: unknown) => e instanceof ExportError && !e.retryable);
        await assert.rejects(exporter.probe(), ExportError);
        await exporter.shutdown();
      }
    } finally {
      await hole.close();
    }
  });

  it('probes with an empty export that adds no spans', async () => {
    const sink = getSink();
    for (const { query } of transport.variants) {
      const exporter = exporterFor(transport.url(sink) + query, 5_000);
      await exporter.probe();
      await exporter.shutdown();
    }
    assert.deepEqual(
      sink.requests.map((r) => [r.encoding, r.spans, r.outcome]),
      transport.variants.map(({ encoding }) => [encoding, 0, 'ok']),
    );
    assert.equal(sink.spans.length, 0);
  });

  it('lets an export in flight finish on shutdown, then rejects later exports', async () => {
    const sink = getSink();
    const spans = await makeRichSpans();
    const exporter = exporterFor(transport.url(sink));
    sink.stall();
    const exported = exporter.export(spans);
    await waitFor('the request to reach the sink', () => sink.stalledRequests === 1);
    let shutDown = false;
    const shutdown = exporter.shutdown().then(() => {
      shutDown = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(shutDown, false, 'shutdown returned while an export was in flight');
    sink.resume();
    await exported;
    await shutdown;
    assertArrivedExactly(sink.spans, spans);
    await assert.rejects(exporter.export(spans), { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
    await exporter.shutdown();
  });

  it('rejects exports after shutdown, sending nothing', async () => {
    const sink = getSink();
    const exporter = exporterFor(transport.url(sink));
    await exporter.shutdown();
    await exporter.shutdown();
    await assert.rejects(exporter.export(await makeRichSpans()), { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
    assert.equal(sink.requests.length, 0);
  });
}
