import { join } from 'node:path';
import { context, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { CountingSpanExporter } from './CountingSpanExporter.js';

export type ThroughputContender = 'tracepipe' | 'stock';
export type Destination = 'file' | 'grpc' | 'http';

export interface DestinationOptions {
  /** Capture directory for `file`. */
  dir: string;
  grpcPort: number;
  httpPort: number;
  /**
   * Install the pipeline as the API's globals with an AsyncLocalStorage context manager and take
   * the tracer from `trace.getTracer` (tracepipe's `register: true`; the same done by hand for stock).
   */
  register?: boolean;
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

/**
 * Each contender's modules are loaded only in its own process, as a service using it would load
 * them: the official exporters (and their grpc-js and protobufjs) only where stock sends with
 * them, tracepipe through its package entry point. Loaded together, each process's peak RSS
 * carried the other contender's modules too.
 */
async function officialExporter(destination: Destination, options: DestinationOptions): Promise<SpanExporter> {
  switch (destination) {
    case 'file': {
      const { StockFileSpanExporter } = await import('./StockFileSpanExporter.js');
      return new StockFileSpanExporter(join(options.dir, 'stock.jsonl'));
    }
    case 'grpc': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
      return new OTLPTraceExporter({ url: `http://127.0.0.1:${options.grpcPort}` });
    }
    case 'http': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ url: `http://127.0.0.1:${options.httpPort}/v1/traces` });
    }
  }
}

/** The stock SDK as documented: ParentBased(TraceIdRatioBased(1)) + BatchSpanProcessor with its defaults. */
async function stockPipeline(destination: Destination, options: DestinationOptions): Promise<ThroughputPipeline> {
  const exporter = new CountingSpanExporter(await officialExporter(destination, options));
  const provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  if (options.register === true) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  }
  return {
    tracer: options.register === true ? trace.getTracer('bench') : provider.getTracer('bench'),
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
async function tracepipePipeline(destination: Destination, options: DestinationOptions): Promise<ThroughputPipeline> {
  const { createExporter, createTracing, DEFAULTS, parseExporterUrl, PipelineStats, silentLogger } = await import('../src/index.js');
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
    { exporter: counting, stats, logger: silentLogger, register: options.register === true },
  );
  return {
    tracer: options.register === true ? trace.getTracer('bench') : tracing.tracer('bench'),
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
): Promise<ThroughputPipeline> {
  return contender === 'stock' ? stockPipeline(destination, options) : tracepipePipeline(destination, options);
}
