import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** Sends spans through an exporter (an official OpenTelemetry one), shuts it down and resolves with its result. */
export async function sendWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  return result;
}
