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

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function createThroughputPipeline(
  contender: ThroughputContender,
  destination: Destination,
  options: DestinationOptions,
): Promise<ThroughputPipeline> {
  if (contender === 'stock') return stockPipeline(destination, options);
  throw new Error('tracepipe throughput pipeline: createTracing is not available yet');
}
