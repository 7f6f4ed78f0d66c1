import type { TraceEntry } from './TraceCatalog.js';
import { matchesTags } from './matchesTags.js';
import type { TraceQuery } from './TraceQuery.js';
import type { TraceSource } from './TraceSource.js';

/** A value only an exact read of a long integer literal can match. */
const LONG_INTEGER = /^-?\d{16,}$/;

/**
 * Runs a search: the catalog filters and sorts on what it keeps; attribute filters then read the
 * spans of the candidates in that order until `limit` traces match. They are read the fast way;
 * a trace that does not match then is read exactly again when a searched value is an integer past
 * 2^53, which the fast read may have rounded.
 */
export async function searchTraces(source: TraceSource, query: TraceQuery): Promise<TraceEntry[]> {
  const candidates = source.catalog.candidates(query);
  if (query.tags.length === 0) return candidates.slice(0, query.limit);
  const longValues = query.tags.some(([, value]) => LONG_INTEGER.test(value));
  const entries: TraceEntry[] = [];
  for (const entry of candidates) {
    let spans = await source.spans(entry.traceId, { exact: false });
    if (spans !== undefined && !matchesTags(spans, query.tags) && longValues) spans = await source.spans(entry.traceId);
    if (spans === undefined || !matchesTags(spans, query.tags)) continue;
    entries.push(entry);
    if (entries.length === query.limit) break;
  }
  return entries;
}
