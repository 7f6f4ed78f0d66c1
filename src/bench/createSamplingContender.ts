import { context, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { DEFAULT_MAX_EXPORT_BATCH_BYTES } from '../config/ExporterTarget.js';
import { loadConfig } from '../config/loadConfig.js';
import { parseExporterUrl } from '../config/parseExporterUrl.js';
import type { TracepipeConfig } from '../config/TracepipeConfig.js';
import { validateConfig } from '../config/validateConfig.js';
import { createTracing } from '../createTracing.js';
import type { TraceExporter } from '../exporters/TraceExporter.js';
import { silentLogger } from '../logger.js';

/**
 * Who is measured: `tracepipe` (createTracing), `stock` (the OpenTelemetry JS SDK as a user
 * assembles it: ParentBased(TraceIdRatioBased) + BatchSpanProcessor) and `noop` (the API with
 * no SDK installed: the floor).
 */
export type SamplingContender = 'tracepipe' | 'stock' | 'noop';

export const SAMPLING_CONTENDERS: readonly SamplingContender[] = ['noop', 'stock', 'tracepipe'];

export interface ContenderHandle {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

export interface ContenderOptions {
  samplingRatePerMillion: number;
  /** tracepipe only: export to this URL instead of discarding (what `tracepipe bench --exporter` measures). */
  exporterUrl?: string;
  /** tracepipe only: a tracepipe.yaml whose `tracing_service` (exporter, TLS, queue) is used, at the measured rate. */
  configPath?: string;
}

/** Discards spans at once: the overhead benchmark times the pipeline, not a destination. */
const discardingSpanExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
};

const discardingTraceExporter: TraceExporter = {
  wireForm: 'protobuf',
  maxBatchBytes: DEFAULT_MAX_EXPORT_BATCH_BYTES,
  export: () => Promise.resolve(),
  probe: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
  toString: () => 'discard',
};

export async function createSamplingContender(name: SamplingContender, options: ContenderOptions): Promise<ContenderHandle> {
  switch (name) {
    case 'noop':
      return { tracer: trace.getTracer('bench'), shutdown: async () => {} };
    case 'stock': {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      const provider = new TracerProvider({
        sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.samplingRatePerMillion / 1e6) }),
        spanProcessors: [new BatchSpanProcessor({ exporter: discardingSpanExporter })],
      });
      return { tracer: provider.getTracer('bench'), shutdown: () => provider.shutdown() };
    }
    case 'tracepipe': {
      const base = options.configPath ? loadConfig(options.configPath) : validateConfig({ service_name: 'tracepipe-bench' });
      const exporter = options.exporterUrl ? parseExporterUrl(options.exporterUrl, '--exporter') : base.tracing.exporter;
      const config: TracepipeConfig = {
        ...base,
        tracing: { ...base.tracing, enabled: true, exporter, samplingRatePerMillion: options.samplingRatePerMillion },
      };
      const tracing = createTracing(config, { logger: silentLogger, ...(exporter ? {} : { exporter: discardingTraceExporter }) });
      return { tracer: tracing.tracer('bench'), shutdown: () => tracing.shutdown() };
    }
  }
}
