import { join } from 'node:path';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OfficialGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OfficialProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { parseExporterUrl } from '../src/config/parseExporterUrl.js';
import { DEFAULTS } from '../src/config/validateConfig.js';
import { createTracing } from '../src/createTracing.js';
import { PipelineStats } from '../src/stats/PipelineStats.js';
import { createExporter } from '../src/exporters/createExporter.js';
import { silentLogger } from '../src/logger.js';
import { CountingSpanExporter } from './CountingSpanExporter.js';
import { StockFileSpanExporter } from './StockFileSpanExporter.js';

export type ThroughputContender = 'tracepipe' | 'stock';
export type Destination = 'file' | 'grpc' | 'http';

export interface DestinationOptions {
  /** Capture directory for `file`. */
  dir: string;
  grpcPort: number;
  httpPort: number;
}

/** A pipeline sampling every span, with the counters the throughput benchmark reads. */
export interface ThroughputPipeline {
  tracer: Tracer;
  /** Spans the exporter reported delivered so far. */
  exported(): number;
  forceFlush(): Promise<void>;
  /** Flushes what is queued and closes, bounded by `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

function officialExporter(destination: Destination, options: DestinationOptions): SpanExporter {
  switch (destination) {
    case 'file':
      return new StockFileSpanExporter(join(options.dir, 'stock.jsonl'));
    case 'grpc':
      return new OfficialGrpcExporter({ url: `http://127.0.0.1:${options.grpcPort}` });
    case 'http':
      return new OfficialProtoExporter({ url: `http://127.0.0.1:${options.httpPort}/v1/traces` });
  }
}

/** The stock SDK as documented: ParentBased(TraceIdRatioBased(1)) + BatchSpanProcessor with its defaults. */
function stockPipeline(destination: Destination, options: DestinationOptions): ThroughputPipeline {
  const exporter = new CountingSpanExporter(officialExporter(destination, options));
  const provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  return {
    tracer: provider.getTracer('bench'),
    exported: () => exporter.exported,
    forceFlush: () => provider.forceFlush(),
    shutdown: (timeoutMs) => withTimeout(provider.shutdown(), timeoutMs),
  };
}

function destinationUrl(destination: Destination, options: DestinationOptions): string {
  switch (destination) {
    case 'file':
      return `file://${options.dir}`;
    case 'grpc':
      return `grpc://127.0.0.1:${options.grpcPort}`;
    case 'http':
      return `http://127.0.0.1:${options.httpPort}/v1/traces`;
  }
}

/**
 * createTracing with its defaults; the exporter its URL names is built as createTracing would
 * build it and passed in behind a counter, so delivered spans are counted the same way as stock's.
 */
function tracepipePipeline(destination: Destination, options: DestinationOptions): ThroughputPipeline {
  const url = destinationUrl(destination, options);
  const stats = new PipelineStats();
  const inner = createExporter(parseExporterUrl(url), { timeoutMs: DEFAULTS.exportTimeoutMs, stats, logger: silentLogger });
  let exported = 0;
  const counting = {
    wireForm: inner.wireForm,
    maxBatchBytes: inner.maxBatchBytes,
    export: (spans: Parameters<typeof inner.export>[0]) =>
      inner.export(spans).then(() => {
        exported += spans.length;
      }),
    probe: () => inner.probe(),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    toString: () => inner.toString(),
  };
  const tracing = createTracing(
    { service_name: 'tracepipe-bench', tracing_service: { enabled: true, exporter_url: url, sampling_rate_per_million: 1_000_000 } },
    { exporter: counting, stats, logger: silentLogger },
  );
  return {
    tracer: tracing.tracer('bench'),
    exported: () => exported,
    forceFlush: () => tracing.forceFlush(),
    shutdown: (timeoutMs) => withTimeout(tracing.shutdown(), timeoutMs),
  };
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createThroughputPipeline(
  contender: ThroughputContender,
  destination: Destination,
  options: DestinationOptions,
): ThroughputPipeline {
  return contender === 'stock' ? stockPipeline(destination, options) : tracepipePipeline(destination, options);
}
