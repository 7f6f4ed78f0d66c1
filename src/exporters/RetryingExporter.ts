import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { PipelineStats } from '../stats/PipelineStats.js';
import { EncodedSpans, type WireForm } from '../pipeline/EncodedSpans.js';
import { ExportError } from '../errors.js';
import type { Logger } from '../logger.js';
import { encodeWithin, type EncodedChunk } from './encodeWithin.js';
import type { ExportTransport } from './ExportTransport.js';
import type { TraceExporter } from './TraceExporter.js';

export interface RetryPolicy {
  /** First backoff; each retry multiplies it by `multiplier`, up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
  /** Each wait is the backoff times a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

/**
 * Short first waits (a collector restart is usually quick), capped at 5 s like the OTel SDKs;
 * the export timeout, not an attempt count, bounds the whole.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialBackoffMs: 200, maxBackoffMs: 5_000, multiplier: 2, jitter: 0.2 };

/** How long after the deadline a transport that ignores it is abandoned. */
const DEADLINE_GRACE_MS = 1_000;

export interface RetryingExporterOptions {
  /** Bounds one `export` call including every retry and wait. */
  timeoutMs: number;
  stats: PipelineStats;
  logger: Logger;
  policy?: Partial<RetryPolicy>;
}

/** One attempt's outcome, or the reason there was none. */
type Sent = { ok: true; rejected: number } | { ok: false; error: ExportError; refused: boolean };

/**
 * Retries a transport's attempts with exponential backoff and jitter while the failure is
 * retryable and time remains (a server's Retry-After is honoured exactly), counting each retry
 * in `stats.retries`. The final outcome is the caller's to count and log (ExportQueue does,
 * once per burst): a failure that survives the retries is rethrown as a final ExportError
 * (`retryable: false`), so nobody retries it again. Kept apart from the transports, as in
 * opentelemetry-js, so each transport only classifies its own failures.
 *
 * It also keeps what is sent within the transport's `maxBatchBytes`: a span batch that encodes
 * larger goes out in parts (a single span larger on its own is dropped, counted `too_large`),
 * and a batch of received requests that the destination refuses outright (not retryable: a
 * malformed or unacceptable request) is halved and each half sent again, so that one sender's
 * bad request does not take other senders' spans down with it.
 */
export class RetryingExporter<F extends WireForm = WireForm> implements TraceExporter<F> {
  readonly wireForm: F;
  readonly maxBatchBytes: number;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  private readonly transport: ExportTransport<F> | undefined;
  private isShutdown = false;
  private warnedTooLarge = false;

  constructor(
    private readonly inner: ExportTransport<F> | TraceExporter<F>,
    options: RetryingExporterOptions,
  ) {
    this.wireForm = inner.wireForm;
    this.maxBatchBytes = inner.maxBatchBytes;
    // A plain exporter (no encode/send) has its export() called as it is, once.
    this.transport = 'send' in inner ? inner : undefined;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
    this.timeoutMs = options.timeoutMs;
    this.stats = options.stats;
    this.logger = options.logger;
  }

  async export(batch: readonly ReadableSpan[] | EncodedSpans<F>): Promise<number> {
    if (this.isShutdown) throw new ExportError(`${this.inner} is shut down`, { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
    const transport = this.transport;
    if (transport === undefined) return (await this.inner.export(batch)) ?? 0;
    if (batch instanceof EncodedSpans) return this.exportEncoded(transport, batch);
    let chunks: EncodedChunk<ReadableSpan, Buffer>[];
    try {
      chunks = encodeWithin(batch, (spans) => transport.encode(spans), this.maxBatchBytes, bufferBytes);
    } catch (cause) {
      throw new ExportError(`${transport}: cannot encode ${batch.length} spans: ${(cause as Error).message}`, { cause });
    }
    const parts: Part[] = chunks.map((chunk) => ({ body: chunk.body, spans: chunk.spans.length }));
    return this.sendParts(transport, parts, batch.length);
  }

  probe(): Promise<void> {
    return this.inner.probe();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.inner.shutdown();
  }

  toString(): string {
    return this.inner.toString();
  }

  /**
   * Received requests: the queue sealed the batch under `maxBatchBytes`, so it goes out as one
   * document unless it is a single request over the limit, which only a single span makes.
   */
  private async exportEncoded(transport: ExportTransport<F>, batch: EncodedSpans<F>): Promise<number> {
    if (batch.documentBytes > this.maxBatchBytes && batch.requests.length === 1) return this.tooLarge(batch.spanCount, batch.documentBytes);
    const sent = await this.sendWithRetries(transport, transport.encode(batch), batch.spanCount);
    if (sent.ok) return sent.rejected;
    if (!sent.refused || batch.requests.length === 1) throw sent.error;
    // Refused whole: find the request at fault by halving, delivering the rest.
    this.logger.debug({
      exporter: String(transport),
      requests: batch.requests.length,
      error: sent.error.message,
    }, 'destination refused a batch of several requests; sending each half alone');
    const halves = batch.split(batch.requests.length >> 1);
    const results = [await settled(this.exportEncoded(transport, halves[0])), await settled(this.exportEncoded(transport, halves[1]))];
    return combine(results, [halves[0].spanCount, halves[1].spanCount]);
  }

  /**
   * Parts in order, each with its own retries. After a part fails for good, the rest are sent
   * only if that failure was a refusal of that part (the destination is up); otherwise they fail
   * with it rather than wait out the same outage again.
   */
  private async sendParts(transport: ExportTransport<F>, parts: Part[], total: number): Promise<number> {
    const results: Array<{ ok: true; value: number } | { ok: false; error: unknown }> = [];
    let stop: ExportError | undefined;
    for (const part of parts) {
      if (stop !== undefined) {
        results.push({ ok: false, error: stop });
      } else if (part.body.length > this.maxBatchBytes) {
        results.push({ ok: true, value: this.tooLarge(part.spans, part.body.length) });
      } else {
        const sent = await this.sendWithRetries(transport, part.body, part.spans);
        if (sent.ok) results.push({ ok: true, value: sent.rejected });
        else {
          results.push({ ok: false, error: sent.error });
          if (!sent.refused) stop = sent.error;
        }
      }
    }
    if (parts.length === 1) {
      const only = results[0]!;
      if (only.ok) return only.value;
      throw only.error;
    }
    return combine(results, parts.map((p) => p.spans), total);
  }

  /** A span too large to send alone: counted, logged once, and reported as not delivered. */
  private tooLarge(spans: number, bytes: number): number {
    this.stats.drop('too_large', spans);
    if (!this.warnedTooLarge) {
      this.warnedTooLarge = true;
      this.logger.warn({
        exporter: String(this.inner),
        bytes,
        maxExportBatchBytes: this.maxBatchBytes,
      }, 'a span is larger than max_export_batch_bytes on its own and was dropped; further ones are counted in tracepipe_spans_dropped_total{reason="too_large"}');
    }
    return spans;
  }

  /** One payload, retried while retryable and time remains. */
  private async sendWithRetries(transport: ExportTransport<F>, body: Buffer, spans: number): Promise<Sent> {
    const deadline = performance.now() + this.timeoutMs;
    let backoff = this.policy.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, rejected: await this.attempt(transport, body, spans, deadline) };
      } catch (cause) {
        const error = asExportError(cause);
        // Each failed attempt is news for readiness at once, not only the export's final outcome.
        this.stats.notifyExport({ ok: false, spans, durationMs: 0, error });
        if (!error.retryable) return { ok: false, error, refused: error.badRequest };
        const wait = error.retryAfterMs ?? this.jittered(backoff);
        if (performance.now() + wait >= deadline) return { ok: false, error: gaveUp(error, attempt, this.timeoutMs), refused: false };
        this.stats.retries++;
        this.logger.debug({ exporter: String(transport), attempt, waitMs: Math.round(wait), error: error.message }, 'export attempt failed; retrying');
        await sleep(wait);
        backoff = Math.min(backoff * this.policy.multiplier, this.policy.maxBackoffMs);
      }
    }
  }

  /** One attempt, abandoned shortly after the deadline even if the transport never settles. */
  private attempt(transport: ExportTransport<F>, body: Buffer, spans: number, deadline: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const abandoned = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ExportError(`${transport} did not answer within the ${this.timeoutMs} ms export timeout`, { code: 'TRACEPIPE_EXPORT_TIMEOUT' })),
        Math.max(0, deadline - performance.now()) + DEADLINE_GRACE_MS,
      );
    });
    return Promise.race([transport.send(body, spans, deadline), abandoned]).finally(() => clearTimeout(timer));
  }

  private jittered(backoff: number): number {
    return backoff * (1 - this.policy.jitter + Math.random() * 2 * this.policy.jitter);
  }
}

const bufferBytes = (body: Buffer): number => body.length;

interface Part {
  body: Buffer;
  spans: number;
}

async function settled(promise: Promise<number>): Promise<{ ok: true; value: number } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The outcome of a batch sent in parts: the spans refused or dropped in delivered parts when
 * every part was delivered, else an ExportError saying how many failed.
 */
function combine(results: ReadonlyArray<{ ok: true; value: number } | { ok: false; error: unknown }>, spans: readonly number[], total = spans.reduce((a, b) => a + b, 0)): number {
  let rejected = 0;
  let failed = 0;
  let first: ExportError | undefined;
  results.forEach((result, i) => {
    if (result.ok) rejected += result.value;
    else {
      const error = asExportError(result.error);
      first ??= error;
      failed += error.failedSpans ?? spans[i]!;
      rejected += error.rejectedSpans;
    }
  });
  if (first === undefined) return rejected;
  if (failed === total) throw first;
  throw new ExportError(`${failed} of ${total} spans failed: ${first.message}`, { code: first.code, failedSpans: failed, rejectedSpans: rejected, cause: first });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function asExportError(cause: unknown): ExportError {
  if (cause instanceof ExportError) return cause;
  return new ExportError(`export failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}

/** Retries ran out of time: final, so whoever called us does not retry again. */
function gaveUp(last: ExportError, attempts: number, timeoutMs: number): ExportError {
  const code = last.code === 'TRACEPIPE_EXPORT_TIMEOUT' ? last.code : 'TRACEPIPE_EXPORT_FAILED';
  return new ExportError(`${last.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} within the ${timeoutMs} ms export timeout)`, {
    code,
    cause: last,
  });
}
