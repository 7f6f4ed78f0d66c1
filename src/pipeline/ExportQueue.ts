import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { PipelineStats } from '../stats/PipelineStats.js';
import { ExportError } from '../errors.js';
import type { TraceExporter } from '../exporters/TraceExporter.js';
import type { Logger } from '../logger.js';
import { EncodedSpans, framingBytes, type EncodedRequest, type WireForm } from './EncodedSpans.js';
import { untraced } from './untraced.js';

export interface ExportQueueOptions<F extends WireForm> {
  /** Its `wireForm` is what `offerEncoded` takes; its `maxBatchBytes` bounds a batch of requests. */
  exporter: TraceExporter<F>;
  stats: PipelineStats;
  logger: Logger;
  /** Memory budget: an offer that would take the queue (queued plus being exported) past it is refused. */
  maxBytes: number;
  maxBatchSize: number;
  /** How long a partly filled batch may wait for more spans before it is exported anyway. */
  scheduleDelayMs: number;
  /** Exports in flight at once, so a slow round trip does not stall a sustained stream. Default 4. */
  maxConcurrentExports?: number;
  /**
   * Keep a batch whose export failed for a reason that may pass (unreachable, timed out,
   * throttled) and export it again after a capped exponential backoff, still charged to the
   * budget; undefined gives a failed batch up at once (the library's processor).
   */
  retry?: QueueRetryPolicy | undefined;
  /**
   * Told the ids given with `offerEncoded` once the queue is done with their requests: delivered,
   * or failed for good (counted). Not for what shutdown gives up: those stay where the ids point
   * (the durable log) for the next start.
   */
  onSettled?: ((ids: readonly number[]) => void) | undefined;
}

export interface QueueRetryPolicy {
  /** A batch failing for longer than this is given up (counted as failed); undefined: never. */
  maxAgeMs: number | undefined;
  /** First pause after a failure; doubled after each failure that follows, up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/** Spans, or encoded requests (never both): a batch holds one kind, exported as it is. */
interface Batch<F extends WireForm> {
  spans: ReadableSpan[];
  requests: EncodedRequest<F>[];
  /** Spans in each request. */
  requestSpans: number[];
  /** The ids offered with the requests (`onSettled`). */
  ids: number[];
  /** Spans in the batch, of either kind. */
  count: number;
  bytes: number;
  /** Order of sealing; flush() waits for every batch up to a sequence number. */
  seq: number;
  /** When its first export failed (retry), for `maxAgeMs`. */
  failingSince: number | undefined;
}

interface Waiter {
  seq: number;
  resolve: () => void;
}

const DEFAULT_CONCURRENCY = 4;
const NO_SPANS: ReadableSpan[] = [];
const NO_IDS: number[] = [];

/**
 * A bounded queue between span producers (the provider's processor, the forwarder's receivers)
 * and one exporter. It is sized in bytes, not spans, so a burst of small spans is kept whole while
 * memory stays bounded. Spans are packed into batches as they arrive; a full batch is exported as
 * soon as the current synchronous turn ends, a partial one after `scheduleDelayMs`, with up to
 * `maxConcurrentExports` exports in flight. Every outcome is recorded in the stats; the caller of
 * `offer` counts what it refuses. Besides span objects it takes encoded requests (`offerEncoded`,
 * the forwarder's, in the exporter's wire form), which are exported as EncodedSpans without
 * being decoded; a batch holds one kind or the other. Batches of requests are sealed before
 * they would encode larger than the exporter's `maxBatchBytes`, so a forwarder never sends
 * more than its destination accepts; span batches are split by the exporter if need be.
 */
export class ExportQueue<F extends WireForm = WireForm> {
  private readonly exporter: TraceExporter<F>;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  private readonly maxBytes: number;
  private readonly maxBatchSize: number;
  private readonly scheduleDelayMs: number;
  private readonly maxConcurrent: number;
  private readonly form: F;
  private readonly maxBatchBytes: number;

  private readonly ready: Array<Batch<F> | undefined> = [];
  private readyHead = 0;
  private open: ReadableSpan[] = [];
  /** The open batch's requests when it is an encoded one, their spans and their wire bytes. */
  private openRequests: EncodedRequest<F>[] = [];
  private openRequestSpans: number[] = [];
  private openIds: number[] = [];
  private openEncodedSpans = 0;
  private openWireBytes = 0;
  private openBytes = 0;
  private nextSeq = 0;
  /**
   * Sequence numbers of the batches being exported, and their spans and bytes. Numbers, not the
   * batches: a long-lived collection holding each young batch (and its spans) made every
   * scavenge keep and promote them, which doubled the library's CPU per span in GC.
   */
  private readonly inFlight = new Set<number>();
  private inFlightSpans = 0;
  private inFlightBytes = 0;
  /** Exports given up by `abandon()`: their outcomes, whenever they come, are ignored. */
  private abandoned: ReadonlySet<number> = new Set();
  /** Failed batches waiting for the backoff to pass (retry); exported again before newer ones. */
  private retrying: Batch<F>[] = [];
  private readonly retry: QueueRetryPolicy | undefined;
  private readonly onSettled: ((ids: readonly number[]) => void) | undefined;
  private backoffMs = 0;
  /** Set while the destination is failing: no export starts until it fires. */
  private resumeTimer: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private closed = false;
  /** Shutdown ran out of time: nothing more is exported or retried. */
  private givenUp = false;
  private shutdownPromise: Promise<void> | undefined;
  private failures = 0;
  private failedSpans = 0;
  private heldSpans = 0;
  private heldBytes = 0;
  /**
   * Made once: an arrow function written where the timer is armed would make V8 allocate a
   * context for `this` on every offer, armed or not.
   */
  private readonly fireTimer = (): void => this.onTimer();
  private readonly runPump = (): void => this.pump();

  constructor(options: ExportQueueOptions<F>) {
    this.exporter = options.exporter;
    this.stats = options.stats;
    this.logger = options.logger;
    this.maxBytes = options.maxBytes;
    this.maxBatchSize = Math.max(1, options.maxBatchSize);
    this.scheduleDelayMs = options.scheduleDelayMs;
    this.maxConcurrent = Math.max(1, options.maxConcurrentExports ?? DEFAULT_CONCURRENCY);
    this.form = options.exporter.wireForm;
    this.maxBatchBytes = options.exporter.maxBatchBytes;
    this.retry = options.retry;
    this.onSettled = options.onSettled;
    this.backoffMs = options.retry?.initialBackoffMs ?? 0;
    this.stats.queueSpans = () => this.heldSpans;
    this.stats.queueBytes = () => this.heldBytes;
  }

  /** Spans held: waiting for export or being exported. */
  get spans(): number {
    return this.heldSpans;
  }

  /** Estimated bytes held, counted against `maxBytes` until their export settles. */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Takes all of `spans` or none: false when they would exceed the byte budget or the queue has
   * shut down. `bytes` is the caller's estimate of the memory the spans hold.
   */
  offer(spans: readonly ReadableSpan[], bytes: number): boolean {
    const n = spans.length;
    if (n === 1) return this.offerSpan(spans[0]!, bytes);
    if (this.closed || this.heldBytes + bytes > this.maxBytes) return false;
    if (n === 0) return true;
    if (this.openRequests.length > 0) this.seal();
    this.heldSpans += n;
    this.heldBytes += bytes;
    this.add(spans, bytes);
    this.armTimer();
    return true;
  }

  /** `offer([span], bytes)` without the array: what a span processor calls for every span. */
  offerSpan(span: ReadableSpan, bytes: number): boolean {
    if (this.closed || this.heldBytes + bytes > this.maxBytes) return false;
    if (this.openRequests.length > 0) this.seal();
    this.heldSpans++;
    this.heldBytes += bytes;
    this.open.push(span);
    this.openBytes += bytes;
    if (this.open.length >= this.maxBatchSize) this.seal();
    this.armTimer();
    return true;
  }

  /**
   * Takes one request of `spanCount` spans in the exporter's wire form (already checked by the
   * caller), or refuses it like `offer`. Requests are never split: one that would take the open
   * batch past `maxBatchSize` spans or `maxBatchBytes` seals it first, so only a request that is
   * larger on its own makes a batch larger (the caller splits requests above the byte limit).
   * `bytes` is what holding the request costs; `id`, if any, is given back to `onSettled`.
   */
  offerEncoded(request: EncodedRequest<F>, spanCount: number, bytes: number, id?: number): boolean {
    if (this.closed || this.heldBytes + bytes > this.maxBytes) return false;
    if (spanCount === 0) return true;
    this.addEncoded(request, spanCount, bytes, id);
    this.armTimer();
    return true;
  }

  /** Several requests, all or none (the parts of one request the caller had to split). */
  offerEncodedAll(
    requests: readonly EncodedRequest<F>[],
    spanCounts: readonly number[],
    bytes: readonly number[],
    ids?: readonly number[],
  ): boolean {
    let total = 0;
    for (const b of bytes) total += b;
    if (this.closed || this.heldBytes + total > this.maxBytes) return false;
    for (let i = 0; i < requests.length; i++) if (spanCounts[i]! > 0) this.addEncoded(requests[i]!, spanCounts[i]!, bytes[i]!, ids?.[i]);
    this.armTimer();
    return true;
  }

  private addEncoded(request: EncodedRequest<F>, spanCount: number, bytes: number, id: number | undefined): void {
    const wire = request.byteLength;
    if (
      this.open.length > 0 ||
      (this.openRequests.length > 0 &&
        (this.openEncodedSpans + spanCount > this.maxBatchSize ||
          this.openWireBytes + wire + framingBytes(this.form, this.openRequests.length + 1) > this.maxBatchBytes))
    ) {
      this.seal();
    }
    this.heldSpans += spanCount;
    this.heldBytes += bytes;
    this.openRequests.push(request);
    this.openRequestSpans.push(spanCount);
    if (id !== undefined) this.openIds.push(id);
    this.openEncodedSpans += spanCount;
    this.openWireBytes += wire;
    this.openBytes += bytes;
    if (this.openEncodedSpans >= this.maxBatchSize) this.seal();
  }

  /** Resolves when everything queued at call time has been exported or has failed. */
  flush(): Promise<void> {
    if (this.hasOpen()) this.seal();
    const seq = this.nextSeq - 1;
    if (this.settledThrough() >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /**
   * Stops accepting spans, exports what is queued within `timeoutMs` (what cannot be sent in time
   * is counted as dropped `shutdown`), then shuts the exporter down. Idempotent.
   */
  shutdown(timeoutMs: number): Promise<void> {
    this.shutdownPromise ??= this.close(timeoutMs);
    return this.shutdownPromise;
  }

  /**
   * Gives up the exports still in flight (after `shutdown` ran out of time, for a process about to
   * exit): their spans are counted as dropped `shutdown` now, and their outcomes, if they ever
   * come, are ignored. Returns the spans given up.
   */
  abandon(): number {
    const spans = this.inFlightSpans;
    this.heldSpans -= spans;
    this.heldBytes -= this.inFlightBytes;
    this.abandoned = new Set(this.inFlight);
    this.inFlight.clear();
    this.inFlightSpans = 0;
    this.inFlightBytes = 0;
    if (spans > 0) {
      this.stats.drop('shutdown', spans);
      this.logger.warn({ exporter: String(this.exporter), spans }, 'shutdown timed out; spans in exports still running were given up');
    }
    this.wake();
    return spans;
  }

  private async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const deadline = performance.now() + timeoutMs;
    const drained = await within(this.flush(), timeoutMs);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!drained) this.dropQueued();
    const closed = untraced(() => this.exporter.shutdown()).catch((error: unknown) => {
      this.logger.warn({ exporter: String(this.exporter), error: String(error) }, 'exporter shutdown failed');
    });
    await within(closed, Math.max(0, deadline - performance.now()));
  }

  /** Splits a multi-span offer across batches; bytes are shared out in proportion, summing exactly. */
  private add(spans: readonly ReadableSpan[], bytes: number): void {
    const n = spans.length;
    let i = 0;
    let given = 0;
    while (i < n) {
      const take = Math.min(this.maxBatchSize - this.open.length, n - i);
      for (let k = 0; k < take; k++) this.open.push(spans[i + k]!);
      i += take;
      const share = i === n ? bytes - given : Math.floor((bytes * i) / n) - given;
      given += share;
      this.openBytes += share;
      if (this.open.length >= this.maxBatchSize) this.seal();
    }
  }

  private hasOpen(): boolean {
    return this.open.length > 0 || this.openRequests.length > 0;
  }

  private armTimer(): void {
    if (this.hasOpen() && this.timer === undefined) {
      this.timer = setTimeout(this.fireTimer, this.scheduleDelayMs);
      this.timer.unref();
    }
  }

  private seal(): void {
    if (this.openRequests.length > 0) {
      const { openRequests: requests, openRequestSpans: requestSpans, openIds: ids } = this;
      this.ready.push({
        spans: NO_SPANS,
        requests,
        requestSpans,
        ids,
        count: this.openEncodedSpans,
        bytes: this.openBytes,
        seq: this.nextSeq++,
        failingSince: undefined,
      });
      this.openRequests = [];
      this.openRequestSpans = [];
      this.openIds = [];
      this.openEncodedSpans = 0;
      this.openWireBytes = 0;
    } else {
      this.ready.push({
        spans: this.open,
        requests: [],
        requestSpans: [],
        ids: NO_IDS,
        count: this.open.length,
        bytes: this.openBytes,
        seq: this.nextSeq++,
        failingSince: undefined,
      });
      this.open = [];
    }
    this.openBytes = 0;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      queueMicrotask(this.runPump);
    }
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.hasOpen()) this.seal();
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.resumeTimer !== undefined || this.givenUp) return;
    while (this.inFlight.size < this.maxConcurrent && this.retrying.length > 0) this.start(this.retrying.shift()!);
    while (this.inFlight.size < this.maxConcurrent && this.readyHead < this.ready.length) {
      const batch = this.ready[this.readyHead]!;
      this.ready[this.readyHead++] = undefined;
      this.start(batch);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  private start(batch: Batch<F>): void {
    this.inFlight.add(batch.seq);
    this.inFlightSpans += batch.count;
    this.inFlightBytes += batch.bytes;
    const startedAt = performance.now();
    let exported: Promise<number | void>;
    try {
      const items = batch.requests.length > 0 ? new EncodedSpans(this.form, batch.requests, batch.requestSpans) : batch.spans;
      exported = untraced(() => this.exporter.export(items));
    } catch (error) {
      exported = Promise.reject(error);
    }
    exported.then(
      (rejected) => this.settle(batch, startedAt, undefined, rejected ?? 0),
      (error: unknown) => this.settle(batch, startedAt, error instanceof Error ? error : new Error(String(error)), 0),
    );
  }

  /**
   * `rejected`: spans the destination refused in a partial success or the exporter dropped,
   * already counted. An error with `failedSpans` failed only those: the rest were delivered.
   */
  private settle(batch: Batch<F>, startedAt: number, error: Error | undefined, rejected: number): void {
    if (this.abandoned.has(batch.seq)) return;
    this.inFlight.delete(batch.seq);
    this.inFlightSpans -= batch.count;
    this.inFlightBytes -= batch.bytes;
    const durationMs = performance.now() - startedAt;
    if (error !== undefined && this.keepForRetry(batch, error, durationMs)) return;
    if (error === undefined && this.retry !== undefined) this.backoffMs = this.retry.initialBackoffMs;
    this.heldSpans -= batch.count;
    this.heldBytes -= batch.bytes;
    if (batch.ids.length > 0) this.onSettled?.(batch.ids);
    let spans = batch.count;
    if (error instanceof ExportError && error.failedSpans !== undefined) {
      const delivered = batch.count - error.failedSpans - error.rejectedSpans;
      if (delivered > 0) this.stats.recordExport({ ok: true, spans: delivered, durationMs });
      spans = error.failedSpans;
    }
    if (error === undefined) {
      this.stats.recordExport({ ok: true, spans: spans - rejected, durationMs });
      if (this.failures > 0) {
        this.logger.info({ exporter: String(this.exporter), failedExports: this.failures, failedSpans: this.failedSpans }, 'export recovered');
        this.failures = 0;
        this.failedSpans = 0;
      }
    } else {
      this.stats.recordExport({ ok: false, spans, durationMs, error });
      if (this.failures === 0) {
        this.logger.error(
          { exporter: String(this.exporter), spans, error: error.message },
          'export failed; further failures are counted, and logged again once an export succeeds',
        );
      }
      this.failures++;
      this.failedSpans += spans;
    }
    this.pump();
    this.wake();
  }

  /**
   * Whether a failed batch is kept to be exported again: with a retry policy, when the failure may
   * pass and the batch has not been failing for longer than `maxAgeMs`. Then no export starts
   * until a backoff has passed (one pause for all the failures it covers), doubling while the
   * failures go on. Each such failure is reported to the export listeners (readiness) without
   * being counted as failed: the spans are still held.
   */
  private keepForRetry(batch: Batch<F>, error: Error, durationMs: number): boolean {
    const retry = this.retry;
    if (retry === undefined || this.givenUp || !mayPass(error)) return false;
    const now = performance.now();
    batch.failingSince ??= now;
    if (retry.maxAgeMs !== undefined && now - batch.failingSince >= retry.maxAgeMs) {
      this.logger.warn(
        { exporter: String(this.exporter), spans: batch.count, maxRetryAgeMs: retry.maxAgeMs, error: error.message },
        'giving up a batch that has failed for longer than its max retry age',
      );
      return false;
    }
    this.stats.retries++;
    this.stats.notifyExport({ ok: false, spans: batch.count, durationMs, error });
    if (this.failures === 0) {
      this.logger.error(
        { exporter: String(this.exporter), spans: batch.count, error: error.message },
        'export failed; the spans stay queued and are retried until the destination takes them',
      );
    }
    this.failures++;
    this.failedSpans += batch.count;
    this.retrying.push(batch);
    this.retrying.sort((a, b) => a.seq - b.seq);
    if (this.resumeTimer === undefined) {
      // Not unref'd: spans waiting for a retry are work still to do.
      this.resumeTimer = setTimeout(this.resume, this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, retry.maxBackoffMs);
    }
    return true;
  }

  private readonly resume = (): void => {
    this.resumeTimer = undefined;
    this.pump();
  };

  /** Shutdown ran out of time: what never left the queue is counted and let go. */
  private dropQueued(): void {
    this.givenUp = true;
    if (this.resumeTimer !== undefined) clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    if (this.hasOpen()) this.seal();
    let spans = 0;
    for (const batch of this.retrying) {
      spans += batch.count;
      this.heldSpans -= batch.count;
      this.heldBytes -= batch.bytes;
    }
    this.retrying = [];
    while (this.readyHead < this.ready.length) {
      const batch = this.ready[this.readyHead]!;
      this.ready[this.readyHead++] = undefined;
      spans += batch.count;
      this.heldSpans -= batch.count;
      this.heldBytes -= batch.bytes;
    }
    if (spans > 0) {
      this.stats.drop('shutdown', spans);
      this.logger.warn({ exporter: String(this.exporter), spans }, 'shutdown timed out; queued spans were dropped');
    }
    this.wake();
  }

  /** Highest sequence number at or below which every batch has settled (or been dropped). */
  private settledThrough(): number {
    let lowest = this.readyHead < this.ready.length ? this.ready[this.readyHead]!.seq : this.nextSeq;
    for (const seq of this.inFlight) if (seq < lowest) lowest = seq;
    if (this.retrying.length > 0 && this.retrying[0]!.seq < lowest) lowest = this.retrying[0]!.seq;
    return lowest - 1;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const through = this.settledThrough();
    const waiting: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= through) w.resolve();
      else waiting.push(w);
    }
    this.waiters = waiting;
  }
}

/**
 * Whether an export failure may pass by itself: a destination that is unreachable, slow,
 * throttling or out of space, as opposed to one that refuses the batch itself (an invalid
 * request, an exporter that was shut down, a batch that cannot be encoded), or one that was
 * partly delivered (its outcome is final, counted part by part). RetryingExporter
 * rethrows a retryable failure it ran out of time for as final, with that failure as its cause.
 */
function mayPass(error: Error): boolean {
  if (!(error instanceof ExportError)) return true;
  // Part of the batch was delivered: sending it whole again would repeat those spans.
  if (error.failedSpans !== undefined) return false;
  if (error.retryable || error.code === 'TRACEPIPE_EXPORT_TIMEOUT') return true;
  return error.cause instanceof ExportError && (error.cause.retryable || error.cause.code === 'TRACEPIPE_EXPORT_TIMEOUT');
}

/** True when `promise` settled within `ms`; never rejects. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
