import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { EncodedSpans } from '../otlp/EncodedSpans.js';

/**
 * What every tracepipe exporter is: promise-based, so the queue in front of it can await,
 * count and retry. `export` resolves when the batch is delivered and rejects with an
 * ExportError (its `retryable` flag set) when it is not. It may resolve with the number of
 * spans the destination refused in a partial success (the exporter has counted them as dropped
 * `invalid`), so the caller counts only the rest as exported; nothing means all were taken.
 * A batch is span objects or, from the forwarder, protobuf requests passed on as they are.
 */
export interface TraceExporter {
  export(batch: readonly ReadableSpan[] | EncodedSpans): Promise<number | void>;
  /** A cheap check that the destination is reachable/writable, for readiness heartbeats. */
  probe(): Promise<void>;
  forceFlush(): Promise<void>;
  /** Idempotent; later exports reject with code TRACEPIPE_EXPORTER_SHUTDOWN. */
  shutdown(): Promise<void>;
  /** Describes the destination (`grpc collector:4317`), for logs and `toString()`. */
  toString(): string;
}
