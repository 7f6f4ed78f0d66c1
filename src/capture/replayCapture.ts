import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ExporterTarget } from '../config/ExporterTarget.js';
import type { TlsMaterial } from '../config/TracepipeConfig.js';
import { DEFAULTS } from '../config/validateConfig.js';
import { PipelineStats } from '../stats/PipelineStats.js';
import { ExportError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { untraced } from '../pipeline/untraced.js';
import { createExporter } from '../exporters/createExporter.js';
import type { RetryPolicy } from '../exporters/RetryingExporter.js';
import { listCaptureFiles } from './listCaptureFiles.js';
import { type CaptureProblem, readCapture } from './readCapture.js';

export interface ReplayProgress {
  /** Capture bytes read so far, of `totalBytes`: progress and ETA go by bytes, known up front. */
  bytesRead: number;
  totalBytes: number;
  replayed: number;
  failed: number;
}

export interface ReplayOptions {
  tls?: TlsMaterial | undefined;
  /** Bounds each export including its retries. Default 10 s. */
  timeoutMs?: number;
  /** Spans per export; long capture lines are split. Default 512. */
  batchSize?: number;
  /** Exports in flight at once. Default 4. */
  concurrency?: number;
  /** The largest request sent; 4 MiB (the gRPC default receive limit) by default. */
  maxBatchBytes?: number;
  logger?: Logger;
  stats?: PipelineStats;
  retryPolicy?: Partial<RetryPolicy>;
  onProgress?: (progress: ReplayProgress) => void;
  /** Capture problems (see readCapture); they are also returned. */
  onProblem?: (problem: CaptureProblem) => void;
}

export interface ReplayResult {
  /** Spans the destination accepted. */
  replayed: number;
  /** Spans whose export failed after retries, plus spans the capture held but that were invalid. */
  failed: number;
  /** Lines that could not be read in full. */
  problems: CaptureProblem[];
  /** The first export failure, for the message. */
  firstError: Error | undefined;
}

/**
 * Re-exports a capture (file or directory) to any exporter target, spans as they were captured:
 * ids, timestamps, resources and scopes intact. Retries come from the exporter (`createExporter`).
 */
export async function replayCapture(path: string, target: ExporterTarget, options: ReplayOptions = {}): Promise<ReplayResult> {
  const batchSize = options.batchSize ?? DEFAULTS.maxExportBatchSize;
  const concurrency = options.concurrency ?? 4;
  const totalBytes = (await listCaptureFiles(path)).reduce((n, f) => n + f.size, 0);
  const exporter = createExporter(target, {
    tls: options.tls,
    timeoutMs: options.timeoutMs ?? DEFAULTS.exportTimeoutMs,
    maxBatchBytes: options.maxBatchBytes,
    stats: options.stats ?? new PipelineStats(),
    logger: options.logger ?? silentLogger,
    retryPolicy: options.retryPolicy,
  });
  const result: ReplayResult = { replayed: 0, failed: 0, problems: [], firstError: undefined };
  let bytesRead = 0;
  const progress = () => options.onProgress?.({ bytesRead, totalBytes, replayed: result.replayed, failed: result.failed });
  const inFlight = new Set<Promise<void>>();
  const send = (spans: ReadableSpan[]): Promise<void> => {
    const done = untraced(() => exporter.export(spans)).then(
      (rejected) => {
        result.replayed += spans.length - (rejected ?? 0);
        result.failed += rejected ?? 0;
      },
      (err: Error) => {
        // Sent in parts, some of which were delivered.
        const failed = err instanceof ExportError && err.failedSpans !== undefined ? err.failedSpans + err.rejectedSpans : spans.length;
        result.replayed += spans.length - failed;
        result.failed += failed;
        result.firstError ??= err;
      },
    );
    const tracked = done.finally(() => {
      inFlight.delete(tracked);
      progress();
    });
    inFlight.add(tracked);
    return tracked;
  };
  try {
    const onProblem = (problem: CaptureProblem) => {
      result.problems.push(problem);
      result.failed += problem.rejectedSpans;
      options.onProblem?.(problem);
    };
    for await (const batch of readCapture(path, { onProblem })) {
      for (let i = 0; i < batch.spans.length; i += batchSize) {
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        void send(batch.spans.slice(i, i + batchSize));
      }
      bytesRead += batch.bytes;
    }
    await Promise.all(inFlight);
    bytesRead = totalBytes;
    progress();
  } finally {
    await Promise.all(inFlight);
    await exporter.shutdown();
  }
  return result;
}
