import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { hrTimeToNs } from './spanTime.js';

/** One trace of a capture, as `tracepipe view` lists it. */
export interface TraceSummary {
  traceId: string;
  /**
   * The span without a parent; in a trace continued from an upstream caller, its local entry
   * span (remote parent, else a server or consumer span); otherwise the earliest span.
   */
  rootName: string;
  /** False when no span of the trace is a root (its root is upstream, or was not captured). */
  hasRoot: boolean;
  /** No root, but `rootName` is an entry span: the trace came from an upstream caller. */
  continued: boolean;
  /** `service.name` of the root span's resource ('' when unset). */
  service: string;
  /** Every service with a span in the trace, sorted. */
  services: string[];
  spanCount: number;
  /** Earliest start and latest end over all spans, in ns since the epoch. */
  startNs: bigint;
  endNs: bigint;
  durationNs: bigint;
  /** Spans with status ERROR. */
  errorCount: number;
}

interface Pending {
  summary: TraceSummary;
  services: Set<string>;
  rootStartNs: bigint | undefined;
  rootRank: number;
}

/** How well a span names its trace: a root, an entry span under a remote parent, a server or consumer span, any span. */
function rank(span: ReadableSpan): number {
  const parent = span.parentSpanContext;
  if (parent === undefined) return 3;
  if (parent.isRemote === true) return 2;
  return span.kind === SpanKind.SERVER || span.kind === SpanKind.CONSUMER ? 1 : 0;
}

/** The `service.name` of a span's resource, or ''. */
export function serviceOf(span: ReadableSpan): string {
  const name = span.resource.attributes['service.name'];
  return typeof name === 'string' ? name : '';
}

/**
 * Folds spans into per-trace summaries as they stream by: memory grows with the number of
 * traces, not spans, so a large capture can be listed.
 */
export class TraceSummarizer {
  private readonly traces = new Map<string, Pending>();

  add(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const start = hrTimeToNs(span.startTime);
    const end = hrTimeToNs(span.endTime);
    const service = serviceOf(span);
    const spanRank = rank(span);
    const error = span.status.code === SpanStatusCode.ERROR ? 1 : 0;
    let t = this.traces.get(traceId);
    if (t === undefined) {
      t = {
        summary: {
          traceId,
          rootName: span.name,
          hasRoot: spanRank === 3,
          continued: spanRank === 2 || spanRank === 1,
          service,
          services: [],
          spanCount: 0,
          startNs: start,
          endNs: end,
          durationNs: 0n,
          errorCount: 0,
        },
        services: new Set(),
        rootStartNs: start,
        rootRank: spanRank,
      };
      this.traces.set(traceId, t);
    }
    const s = t.summary;
    s.spanCount++;
    s.errorCount += error;
    t.services.add(service);
    if (start < s.startNs) s.startNs = start;
    if (end > s.endNs) s.endNs = end;
    // A real root wins over an entry span, which wins over any other stand-in; among equals the earliest start.
    if (spanRank > t.rootRank || (spanRank === t.rootRank && start < t.rootStartNs!)) {
      s.rootName = span.name;
      s.service = service;
      s.hasRoot = spanRank === 3;
      s.continued = spanRank === 2 || spanRank === 1;
      t.rootStartNs = start;
      t.rootRank = spanRank;
    }
  }

  /** The traces so far, sorted by start time (then trace id). */
  summaries(): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const t of this.traces.values()) {
      out.push({ ...t.summary, services: [...t.services].sort(), durationNs: t.summary.endNs - t.summary.startNs });
    }
    return out.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.traceId < b.traceId ? -1 : 1));
  }
}

/** Summaries of the traces in `spans`, sorted by start time. */
export function summarizeTraces(spans: Iterable<ReadableSpan>): TraceSummary[] {
  const summarizer = new TraceSummarizer();
  for (const span of spans) summarizer.add(span);
  return summarizer.summaries();
}
