import type { TraceExporter } from '../../src/exporters/TraceExporter.js';

/** Takes every batch and keeps nothing: what a test measures is the spans' path, not an exporter's. */
export const discardingExporter: TraceExporter<'protobuf'> = {
  wireForm: 'protobuf',
  maxBatchBytes: 4 * 1024 * 1024,
  export: () => Promise.resolve(),
  probe: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
