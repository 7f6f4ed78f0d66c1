import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { EncodedSpans } from '../otlp/EncodedSpans.js';
import type { TraceExporter } from './TraceExporter.js';

/**
 * A network exporter seen by the retry wrapper: `encode` once per batch, then `send` the same
 * payload once per attempt, so a retry does not encode again.
 */
export interface ExportTransport<Payload = unknown> extends TraceExporter {
  /** The request body for these spans (EncodedSpans: their requests, not decoded); throws only on spans it cannot encode. */
  encode(batch: readonly ReadableSpan[] | EncodedSpans): Payload;
  /**
   * One attempt that settles by `deadline` (a `performance.now()` time). Resolves with the
   * number of spans the server rejected in a partial success (already counted as dropped
   * `invalid` and logged); rejects with an ExportError whose `retryable` says whether
   * trying again can help.
   */
  send(payload: Payload, spanCount: number, deadline: number): Promise<number>;
}
