import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { TraceExporter } from './TraceExporter.js';

/**
 * Adapts a tracepipe exporter to the SDK's callback SpanExporter, for users who assemble their
 * own SDK pipeline (e.g. a stock BatchSpanProcessor in front of our gRPC transport).
 */
export function toSdkSpanExporter(exporter: TraceExporter): SpanExporter {
  return {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
      exporter.export(spans).then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: unknown) =>
          resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}
