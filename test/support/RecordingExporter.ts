import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { DEFAULT_MAX_EXPORT_BATCH_BYTES } from '../../src/config/ExporterTarget.js';
import { ExportError } from '../../src/errors.js';
import type { TraceExporter } from '../../src/exporters/TraceExporter.js';
import { EncodedSpans, type WireForm } from '../../src/pipeline/EncodedSpans.js';

/**
 * A TraceExporter that keeps every batch it is given, for processor and queue tests. Exports can
 * be held (`hold()` / `release()`) to build up a backlog, or made to fail. Batches of spans go
 * to `batches`, batches of requests (in `wireForm`) to `encodedBatches`; `kinds` keeps their order.
 */
export class RecordingExporter<F extends WireForm = 'protobuf'> implements TraceExporter<F> {
  readonly batches: ReadableSpan[][] = [];
  readonly encodedBatches: EncodedSpans<F>[] = [];
  readonly kinds: Array<'spans' | 'encoded'> = [];
  /** Exports in progress right now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  shutdownCalls = 0;
  /** When set, each export rejects with this error instead of recording. */
  failWith: Error | undefined;
  private held: Array<() => void> | undefined;
  private isShutdown = false;

  constructor(
    readonly wireForm: F = 'protobuf' as F,
    readonly maxBatchBytes = DEFAULT_MAX_EXPORT_BATCH_BYTES,
  ) {}

  get spans(): ReadableSpan[] {
    return this.batches.flat();
  }

  /** Later exports wait until `release()`. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  async export(batch: readonly ReadableSpan[] | EncodedSpans<F>): Promise<void> {
    if (this.isShutdown) throw new ExportError('recording exporter is shut down', { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.held !== undefined) await new Promise<void>((go) => this.held!.push(go));
      else await new Promise<void>((go) => setImmediate(go));
      if (this.failWith !== undefined) throw this.failWith;
      if (batch instanceof EncodedSpans) this.encodedBatches.push(batch);
      else this.batches.push([...batch]);
      this.kinds.push(batch instanceof EncodedSpans ? 'encoded' : 'spans');
    } finally {
      this.inFlight--;
    }
  }

  async probe(): Promise<void> {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.shutdownCalls++;
    this.isShutdown = true;
  }

  toString(): string {
    return 'recording';
  }
}
