import type { ExporterTarget } from '../config/ExporterTarget.js';
import type { TlsMaterial } from '../config/TracepipeConfig.js';
import type { PipelineStats } from '../stats/PipelineStats.js';
import type { Logger } from '../logger.js';
import { FileTraceExporter } from './file/FileTraceExporter.js';
import type { LineBufferPool } from './file/LineBufferPool.js';
import { GrpcTraceExporter } from './grpc/GrpcTraceExporter.js';
import { HttpTraceExporter } from './http/HttpTraceExporter.js';
import { RetryingExporter, type RetryPolicy } from './RetryingExporter.js';
import type { TraceExporter } from './TraceExporter.js';

export interface CreateExporterOptions {
  tls?: TlsMaterial | undefined;
  /** Bounds each `export` including its retries, and each `probe`. */
  timeoutMs: number;
  /** The largest request a network exporter sends (`max_export_batch_bytes`); 4 MiB by default. */
  maxBatchBytes?: number;
  stats: PipelineStats;
  logger: Logger;
  /** `tracing_service.headers`: HTTP headers or gRPC metadata on every export (and probe). */
  headers?: Record<string, string> | undefined;
  /** Backoff of the network exporters; the defaults suit production. */
  retryPolicy?: Partial<RetryPolicy>;
  /** The file exporter's Buffers (shared with whoever queues OTLP/JSON for it); its own by default. */
  lines?: LineBufferPool;
}

/**
 * The exporter for a parsed `exporter_url`. Network exporters retry retryable failures within
 * `timeoutMs` (each retry counted in `stats.retries`) and count spans a collector rejects in a
 * partial success as dropped `invalid`; the final outcome of each `export` is the caller's to
 * count with `stats.recordExport` (ExportQueue does).
 */
export function createExporter(target: ExporterTarget, options: CreateExporterOptions): TraceExporter {
  const { tls, timeoutMs, maxBatchBytes, stats, logger, headers } = options;
  const retrying = { timeoutMs, stats, logger, policy: options.retryPolicy };
  switch (target.kind) {
    case 'grpc':
      return new RetryingExporter(new GrpcTraceExporter(target, { tls, timeoutMs, maxBatchBytes, stats, logger, headers }), retrying);
    case 'http':
      if (!target.secure && tls !== undefined) {
        logger.warn({ url: target.url }, 'ca_certs/https_keypairs are ignored for a plaintext http:// exporter_url; use https:// for TLS');
      }
      return new RetryingExporter(new HttpTraceExporter(target, { tls, timeoutMs, maxBatchBytes, stats, logger, headers }), retrying);
    case 'file':
      return new FileTraceExporter(target, { stats, logger, lines: options.lines });
  }
}
