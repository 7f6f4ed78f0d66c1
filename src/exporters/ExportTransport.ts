import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { EncodedSpans, WireForm } from '../pipeline/EncodedSpans.js';
import type { TraceExporter } from './TraceExporter.js';

/**
 * A network exporter seen by the retry wrapper: `encode` once per batch, then `send` the same
 * payload once per attempt, so a retry does not encode again.
 */
export interface ExportTransport<F extends WireForm = WireForm> extends TraceExporter<F> {
  /** The request body for these spans (EncodedSpans: their requests, not decoded); throws only on spans it cannot encode. */
  encode(batch: readonly ReadableSpan[] | EncodedSpans<F>): Buffer;
  /**
   * One attempt that settles by `deadline` (a `performance.now()` time). Resolves with the
   * number of spans the server rejected in a partial success (already counted as dropped
   * `invalid` and logged); rejects with an ExportError whose `retryable` says whether
   * trying again can help.
   */
  send(payload: Buffer, spanCount: number, deadline: number): Promise<number>;
}
