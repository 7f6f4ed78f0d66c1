import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { TraceEntry } from './TraceCatalog.js';
import { matchesTags } from './matchesTags.js';
import type { TraceQuery } from './TraceQuery.js';
import type { TraceSource } from './TraceSource.js';

export interface SearchResult {
  /** The matching traces, sorted, at most `query.limit`. */
  entries: TraceEntry[];
  /** With attribute filters, the spans read to check them (so `/api/traces` need not read them again). */
  spans: Map<string, ReadableSpan[]>;
}

/**
 * Runs a search: the catalog filters and sorts on what it keeps; attribute filters then read the
 * spans of the candidates in that order until `limit` traces match.
 */
export async function searchTraces(source: TraceSource, query: TraceQuery): Promise<SearchResult> {
  const candidates = source.catalog.candidates(query);
  const spans = new Map<string, ReadableSpan[]>();
  if (query.tags.length === 0) return { entries: candidates.slice(0, query.limit), spans };
  const entries: TraceEntry[] = [];
  for (const entry of candidates) {
    const traceSpans = await source.spans(entry.traceId);
    if (traceSpans === undefined || !matchesTags(traceSpans, query.tags)) continue;
    entries.push(entry);
    spans.set(entry.traceId, traceSpans);
    if (entries.length === query.limit) break;
  }
  return { entries, spans };
}
