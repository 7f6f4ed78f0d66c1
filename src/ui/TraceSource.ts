import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { TraceCatalog } from './TraceCatalog.js';

/** What the UI shows: a catalog to search, and the spans of one trace on demand. */
export interface TraceSource {
  readonly catalog: TraceCatalog;
  /**
   * The spans of a trace in the catalog, or undefined when it is not (or no longer) there.
   * `exact: false` lets a capture be read faster, with integers past 2^53 written as JSON
   * numbers rounded (enough to check a search, not to show or download the trace).
   */
  spans(traceId: string, options?: { exact?: boolean }): Promise<ReadableSpan[] | undefined>;
  /** State for the page: what is shown, problems met, and a version that changes with the content. */
  status(): TraceSourceStatus;
}

export interface TraceSourceStatus {
  /** `capture` (files, read once) or `live` (what `serve` receives). */
  mode: 'capture' | 'live';
  /** The capture paths, or the receiver's addresses. */
  sources: string[];
  traces: number;
  spans: number;
  /** Changes whenever traces are added or evicted: the page polls it to refresh. */
  version: number;
  /** Capture lines that could not be read (first few messages) and their total. */
  problems: { count: number; messages: string[] };
  /** Live only: traces and spans evicted to stay within the store's size. */
  evicted?: { traces: number; spans: number };
  maxSpans?: number;
}
