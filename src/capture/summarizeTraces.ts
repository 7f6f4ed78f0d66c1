import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { hrTimeToNs } from './spanTime.js';

/** One trace of a capture, as `tracepipe view` lists it. */
export interface TraceSummary {
  traceId: string;
  /** The span without a parent; when the capture lacks it, the earliest span. */
  rootName: string;
  /** False when no span of the trace is a root (its root was not captured). */
  hasRoot: boolean;
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
    const isRoot = span.parentSpanContext === undefined;
    const error = span.status.code === SpanStatusCode.ERROR ? 1 : 0;
    let t = this.traces.get(traceId);
    if (t === undefined) {
      t = {
        summary: { traceId, rootName: span.name, hasRoot: isRoot, service, services: [], spanCount: 0, startNs: start, endNs: end, durationNs: 0n, errorCount: 0 },
        services: new Set(),
        rootStartNs: start,
      };
      this.traces.set(traceId, t);
    }
    const s = t.summary;
    s.spanCount++;
    s.errorCount += error;
    t.services.add(service);
    if (start < s.startNs) s.startNs = start;
    if (end > s.endNs) s.endNs = end;
    // A real root wins over any stand-in; among equals the earliest start wins.
    if ((isRoot && !s.hasRoot) || (isRoot === s.hasRoot && start < t.rootStartNs!)) {
      s.rootName = span.name;
      s.service = service;
      s.hasRoot = isRoot;
      t.rootStartNs = start;
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
