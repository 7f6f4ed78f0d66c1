import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { PipelineStats } from '../stats/PipelineStats.js';
import { estimateSpanBytes } from './estimateSpanBytes.js';
import type { ExportQueue } from './ExportQueue.js';

/**
 * The SDK span processor in front of an ExportQueue: each ended, sampled span is offered with an
 * estimate of the memory it holds (`estimateSpanBytes`). A span the queue refuses is counted as
 * dropped `queue_full`; one that ends after shutdown as dropped `shutdown`.
 */
export class QueueSpanProcessor implements SpanProcessor {
  private closed = false;

  constructor(
    private readonly queue: ExportQueue,
    private readonly stats: PipelineStats,
    private readonly shutdownTimeoutMs: number,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.closed) this.stats.drop('shutdown', 1);
    else if (!this.queue.offerSpan(span, estimateSpanBytes(span))) this.stats.drop('queue_full', 1);
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  shutdown(): Promise<void> {
    this.closed = true;
    return this.queue.shutdown(this.shutdownTimeoutMs);
  }
}
