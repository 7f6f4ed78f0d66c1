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
}

/** Discards spans at once: the overhead benchmark times the pipeline, not a destination. */
const discardingSpanExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
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
    case 'tracepipe':
      throw new Error('tracepipe contender: createTracing is not available yet');
  }
}
