import {
  type ContextManager,
  context,
  propagation,
  ProxyTracerProvider,
  type TextMapPropagator,
  trace,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, detectResources, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { type Sampler, type SpanProcessor, TracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace';
import type { RawConfig } from './config/RawConfig.js';
import { isResolvedConfig, type TracepipeConfig } from './config/TracepipeConfig.js';
import { validateConfig } from './config/validateConfig.js';
import { PipelineStats } from './stats/PipelineStats.js';
import { createExporter } from './exporters/createExporter.js';
import type { TraceExporter } from './exporters/TraceExporter.js';
import { createLogger, type Logger } from './logger.js';
import { ExportQueue } from './pipeline/ExportQueue.js';
import { QueueSpanProcessor } from './pipeline/QueueSpanProcessor.js';
import { ParentBasedPerMillionSampler } from './sampling/ParentBasedPerMillionSampler.js';
import { PresetIdGenerator } from './sampling/PresetIdGenerator.js';
import { RandomPool } from './sampling/RandomPool.js';
import type { SamplingTracerShared } from './sampling/SamplingTracer.js';
import { SamplingTracerProvider } from './sampling/SamplingTracerProvider.js';

export interface CreateTracingOptions {
  /** Install the provider, an AsyncLocalStorage context manager and the propagators as the API's globals. */
  register?: boolean;
  /** Export here instead of the exporter `exporter_url` names (tests, custom destinations). */
  exporter?: TraceExporter;
  stats?: PipelineStats;
  logger?: Logger;
  /**
   * Span processors of your own, run before the export queue's: they get the SDK's span (`onStart`
   * with it and its context, `onEnd` with it as a `ReadableSpan`). Without any, sampled spans are
   * tracepipe's cheaper CompactSpans, which no processor sees.
   */
  spanProcessors?: SpanProcessor[];
}

/** What `createTracing` returns: tracers, and the two calls that end their pipeline's work. */
export interface Tracing {
  tracer(name: string, version?: string): Tracer;
  /** Resolves once every span ended so far has been exported or has failed. */
  forceFlush(): Promise<void>;
  /** Exports what is queued (bounded by `shutdown_timeout_ms`), then closes. Idempotent; never rejects. */
  shutdown(): Promise<void>;
  readonly stats: PipelineStats;
  /** The provider behind `tracer()`; what `register: true` installs globally. */
  readonly provider: TracerProvider;
  /** Undefined when tracing is disabled. */
  readonly sampler: Sampler | undefined;
  /** The context `startActiveSpan` nests in; undefined when disabled (the API's global context is used). */
  readonly contextManager: ContextManager | undefined;
  /** W3C trace-context and baggage. */
  readonly propagator: TextMapPropagator;
  readonly config: TracepipeConfig;
}

/**
 * Exports in flight at once, for every exporter. In-flight spans stay charged to the queue's budget,
 * so this bounds no memory; it bounds the rate: a producer on the same event loop that outruns the
 * exports makes the queue fill, its held spans reach the old generation and GC takes the thread.
 * At 4: issue 19's workload to `file://` wrote ≈ 120k spans/s and dropped 13% (the writer takes
 * every line queued meanwhile into one `writev`, so the exports it holds decide what a write
 * carries); the benchmark's sustained load to a local gRPC sink exported 114-178k/s and often
 * dropped (GC 33% of CPU). At 16: ≈ 220-440k/s and 255-330k/s, nothing dropped in most runs.
 */
const EXPORTS_IN_FLIGHT = 16;

function w3cPropagator(): TextMapPropagator {
  return new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
}

/**
 * Builds the tracing pipeline a `tracing_service` configuration describes: the SDK provider with
 * the parent-based per-million sampler, a resource (service.name, the configured attributes and
 * the process attributes), a byte-bounded export queue and the exporter `exporter_url` names.
 * Nothing global is touched unless `register: true`. Disabled, it is the API's no-op tracer.
 */
export function createTracing(config: RawConfig | TracepipeConfig, options: CreateTracingOptions = {}): Tracing {
  const resolved = isResolvedConfig(config) ? config : validateConfig(config);
  const stats = options.stats ?? new PipelineStats();
  const t = resolved.tracing;
  if (!t.enabled) return disabledTracing(resolved, stats);

  const logger = options.logger ?? createLogger();
  for (const note of resolved.environmentNotes) logger.warn(note);
  const exporter =
    options.exporter ??
    createExporter(t.exporter!, { tls: t.tls, headers: t.headers, timeoutMs: t.exportTimeoutMs, maxBatchBytes: t.maxExportBatchBytes, stats, logger });
  const queue = new ExportQueue({
    exporter,
    stats,
    logger,
    maxBytes: t.queueMaxBytes,
    maxBatchSize: t.maxExportBatchSize,
    scheduleDelayMs: t.scheduleDelayMs,
    maxConcurrentExports: EXPORTS_IN_FLIGHT,
  });
  const processor = new QueueSpanProcessor(queue, stats, t.shutdownTimeoutMs);
  const sampler = new ParentBasedPerMillionSampler(t.samplingRatePerMillion);
  const pool = new RandomPool();
  const ids = new PresetIdGenerator(pool);
  const resource = defaultResource()
    .merge(detectResources({ detectors: [processDetector] }))
    .merge(resourceFromAttributes(resolved.resourceAttributes));
  const userProcessors = options.spanProcessors ?? [];
  const sdk = new SdkTracerProvider({
    sampler,
    idGenerator: ids,
    resource,
    spanLimits: t.spanLimits,
    spanProcessors: [...userProcessors, processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const onUnsampledRoot = (): void => {
    if (stats.sampled === 0) {
      logger.warn('nothing is sampled: sampling_rate_per_million is 0, so new traces are not kept (only spans whose parent is sampled are); set tracing_service.sampling_rate_per_million or OTEL_TRACES_SAMPLER');
    }
  };
  const shared: SamplingTracerShared = {
    root: sampler.root,
    ids,
    pool,
    contextManager,
    stats,
    stopped: false,
    onUnsampledRoot: t.samplingRatePerMillion === 0 ? onUnsampledRoot : undefined,
    // Decided once: a user's processor needs the SDK's span, so then every sampled span is one.
    compact: userProcessors.length > 0 ? undefined : { limits: t.spanLimits, resource, onEnd: (span) => processor.onEnd(span) },
  };
  const provider = new SamplingTracerProvider(sdk, shared);
  const propagator = w3cPropagator();
  const registered = options.register === true ? register(provider, contextManager, propagator, logger) : [];

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    shared.stopped = true;
    try {
      await sdk.shutdown();
    } catch (error) {
      logger.warn({ error: String(error) }, 'tracing shutdown failed');
    }
    contextManager.disable();
    for (const api of registered) api.disable();
  };
  return {
    tracer: (name, version) => provider.getTracer(name, version),
    forceFlush: () => (shared.stopped ? Promise.resolve() : flush(queue, userProcessors)),
    shutdown: () => (shutdownPromise ??= shutdown()),
    stats,
    provider,
    sampler,
    contextManager,
    propagator,
    config: resolved,
  };
}

/** The queue's flush, and the user's processors' (a failure of theirs rejects, for the user to see). */
function flush(queue: ExportQueue, processors: readonly SpanProcessor[]): Promise<void> {
  if (processors.length === 0) return queue.flush();
  return Promise.all([queue.flush(), ...processors.map((p) => p.forceFlush())]).then(() => {});
}

/**
 * Installs the globals and returns the APIs it installed, which shutdown uninstalls again; one that
 * another SDK already holds is left alone (the API refuses a second registration) and logged.
 */
function register(
  provider: TracerProvider,
  contextManager: ContextManager,
  propagator: TextMapPropagator,
  logger: Logger,
): Array<{ disable(): void }> {
  const installed: Array<{ disable(): void }> = [];
  const attempts: Array<[string, { disable(): void }, () => boolean]> = [
    ['tracer provider', trace, () => trace.setGlobalTracerProvider(provider)],
    ['context manager', context, () => context.setGlobalContextManager(contextManager)],
    ['propagator', propagation, () => propagation.setGlobalPropagator(propagator)],
  ];
  for (const [what, api, install] of attempts) {
    if (install()) installed.push(api);
    else logger.warn(`register: a global ${what} is already installed; tracepipe left it in place`);
  }
  return installed;
}

function disabledTracing(config: TracepipeConfig, stats: PipelineStats): Tracing {
  const provider = new ProxyTracerProvider();
  return {
    tracer: (name, version) => provider.getTracer(name, version),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    stats,
    provider,
    sampler: undefined,
    contextManager: undefined,
    propagator: w3cPropagator(),
    config,
  };
}
