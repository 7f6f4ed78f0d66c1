import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { PipelineStats } from '../diagnostics/PipelineStats.js';
import type { EncodedSpans } from '../encoding/EncodedSpans.js';
import { ExportError } from '../errors.js';
import type { Logger } from '../logger.js';
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

/**
 * Retries a transport's attempts with exponential backoff and jitter while the failure is
 * retryable and time remains (a server's Retry-After is honoured exactly), counting each retry
 * in `stats.retries`. The final outcome is the caller's to count and log (ExportQueue does,
 * once per burst): a failure that survives the retries is rethrown as a final ExportError
 * (`retryable: false`), so nobody retries it again. Kept apart from the transports, as in
 * opentelemetry-js, so each transport only classifies its own failures.
 */
export class RetryingExporter implements TraceExporter {
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  private isShutdown = false;

  constructor(
    private readonly transport: ExportTransport | TraceExporter,
    options: RetryingExporterOptions,
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
    this.timeoutMs = options.timeoutMs;
    this.stats = options.stats;
    this.logger = options.logger;
  }

  async export(batch: readonly ReadableSpan[] | EncodedSpans): Promise<number | void> {
    if (this.isShutdown) throw new ExportError(`${this.transport} is shut down`, { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
    const deadline = performance.now() + this.timeoutMs;
    const send = this.sender(batch);
    let backoff = this.policy.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(send, deadline);
      } catch (cause) {
        const error = asExportError(cause);
        // Each failed attempt is news for readiness at once, not only the export's final outcome.
        this.stats.notifyExport({ ok: false, spans: batch.length, durationMs: 0, error });
        const wait = error.retryAfterMs ?? this.jittered(backoff);
        if (!error.retryable) throw error;
        if (performance.now() + wait >= deadline) throw gaveUp(error, attempt, this.timeoutMs);
        this.stats.retries++;
        this.logger.debug('export attempt failed; retrying', { exporter: String(this.transport), attempt, waitMs: Math.round(wait), error: error.message });
        await sleep(wait);
        backoff = Math.min(backoff * this.policy.multiplier, this.policy.maxBackoffMs);
      }
    }
  }

  probe(): Promise<void> {
    return this.transport.probe();
  }

  forceFlush(): Promise<void> {
    return this.transport.forceFlush();
  }

  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.transport.shutdown();
  }

  toString(): string {
    return this.transport.toString();
  }

  /** Encodes once (a transport) and returns what one attempt does. */
  private sender(batch: readonly ReadableSpan[] | EncodedSpans): (deadline: number) => Promise<number | void> {
    const transport = this.transport;
    if (!('send' in transport)) return () => transport.export(batch);
    let payload: unknown;
    try {
      payload = transport.encode(batch);
    } catch (cause) {
      throw new ExportError(`${transport}: cannot encode ${batch.length} spans: ${(cause as Error).message}`, { cause });
    }
    return (deadline) => transport.send(payload, batch.length, deadline);
  }

  /** One attempt, abandoned shortly after the deadline even if the transport never settles. */
  private attempt(send: (deadline: number) => Promise<number | void>, deadline: number): Promise<number | void> {
    let timer: NodeJS.Timeout | undefined;
    const abandoned = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ExportError(`${this.transport} did not answer within the ${this.timeoutMs} ms export timeout`, { code: 'TRACEPIPE_EXPORT_TIMEOUT' })),
        Math.max(0, deadline - performance.now()) + DEADLINE_GRACE_MS,
      );
    });
    return Promise.race([send(deadline), abandoned]).finally(() => clearTimeout(timer));
  }

  private jittered(backoff: number): number {
    return backoff * (1 - this.policy.jitter + Math.random() * 2 * this.policy.jitter);
  }
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
