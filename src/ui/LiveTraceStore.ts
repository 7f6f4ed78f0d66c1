import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { TraceCatalog } from './TraceCatalog.js';
import type { TraceSource, TraceSourceStatus } from './TraceSource.js';

/** Spans `serve --ui` keeps unless told otherwise. */
export const DEFAULT_LIVE_MAX_SPANS = 100_000;

/**
 * What the forwarder receives, kept in memory for the page: at most `maxSpans` spans. When more
 * arrive, whole traces are evicted, the oldest first seen first, and counted.
 */
export class LiveTraceStore implements TraceSource {
  readonly catalog = new TraceCatalog();
  private readonly byTrace = new Map<string, ReadableSpan[]>();
  private version = 0;
  readonly evicted = { traces: 0, spans: 0 };
  /** What the page names as the source: the receiver's addresses, once listening. */
  readonly sources: string[] = [];

  constructor(readonly maxSpans: number = DEFAULT_LIVE_MAX_SPANS) {}

  /** Takes received spans (the forwarder's observer). */
  readonly add = (spans: readonly ReadableSpan[]): void => {
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      this.catalog.add(span);
      let list = this.byTrace.get(traceId);
      if (list === undefined) this.byTrace.set(traceId, (list = []));
      list.push(span);
    }
    if (spans.length > 0) this.version++;
    this.evict();
  };

  private evict(): void {
    if (this.catalog.spanCount <= this.maxSpans) return;
    for (const entry of this.catalog.entries()) {
      if (this.catalog.spanCount <= this.maxSpans) break;
      this.catalog.delete(entry.traceId);
      this.byTrace.delete(entry.traceId);
      this.evicted.traces++;
      this.evicted.spans += entry.spanCount;
    }
  }

  /** Spans kept as received: `exact` changes nothing. */
  async spans(traceId: string): Promise<ReadableSpan[] | undefined> {
    const list = this.byTrace.get(traceId);
    return list === undefined ? undefined : [...list];
  }

  status(): TraceSourceStatus {
    return {
      mode: 'live',
      sources: [...this.sources],
      traces: this.catalog.traceCount,
      spans: this.catalog.spanCount,
      version: this.version,
      problems: { count: 0, messages: [] },
      evicted: { ...this.evicted },
      maxSpans: this.maxSpans,
    };
  }
}
