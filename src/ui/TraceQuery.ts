/** A trace search, as the Jaeger-style query parameters give it (parseTraceQuery). */
export interface TraceQuery {
  /** A trace matches when one of its spans is of this service (and, with `operation`, has that name). */
  service?: string | undefined;
  operation?: string | undefined;
  /** Each `[key, value]` must be matched by some span: a span or resource attribute, as text. */
  tags: [string, string][];
  /** Bounds on the trace's duration (earliest start to latest end), µs. */
  minDurationUs?: number | undefined;
  maxDurationUs?: number | undefined;
  /** Bounds on the trace's start, µs since the epoch. */
  startUs?: number | undefined;
  endUs?: number | undefined;
  /** Only traces with a span whose status is ERROR. */
  errorsOnly: boolean;
  limit: number;
  sort: 'recent' | 'oldest' | 'longest' | 'shortest';
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 10_000;
export const SORTS: readonly TraceQuery['sort'][] = ['recent', 'oldest', 'longest', 'shortest'];
