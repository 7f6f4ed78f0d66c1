import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { EncodedSpans, WireForm } from '../pipeline/EncodedSpans.js';

/**
 * What every tracepipe exporter is: promise-based, so the queue in front of it can await,
 * count and retry. `export` resolves when the batch is delivered and rejects with an
 * ExportError (its `retryable` flag set) when it is not; an ExportError with `failedSpans` set
 * says that only those spans failed (the rest were delivered). It may resolve with the number of
 * spans the destination refused in a partial success (the exporter has counted them as dropped
 * `invalid`), so the caller counts only the rest as exported; nothing means all were taken.
 * A batch is span objects or, from the forwarder, requests in the exporter's wire form, passed on
 * as they are.
 */
export interface TraceExporter<F extends WireForm = WireForm> {
  /** The form of the requests it takes from a forwarder's queue: the forwarder encodes for it. */
  readonly wireForm: F;
  /**
   * The largest document it sends or writes (a request body, a capture line), in bytes: what the
   * destination accepts. A forwarder's queue seals batches of requests below it; span batches are
   * split when they encode larger.
   */
  readonly maxBatchBytes: number;
  export(batch: readonly ReadableSpan[] | EncodedSpans<F>): Promise<number | void>;
  /** A cheap check that the destination is reachable/writable, for readiness heartbeats. */
  probe(): Promise<void>;
  forceFlush(): Promise<void>;
  /** Idempotent; later exports reject with code TRACEPIPE_EXPORTER_SHUTDOWN. */
  shutdown(): Promise<void>;
  /** Describes the destination (`grpc collector:4317`), for logs and `toString()`. */
  toString(): string;
}
