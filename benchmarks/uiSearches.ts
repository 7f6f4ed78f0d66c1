import type { Summary } from '../src/bench/summarize.js';

/** What one indexing run measured (printed as JSON by the worker, read by run.ts). */
export interface UiIndexSample {
  bytes: number;
  spans: number;
  traces: number;
  indexSec: number;
  /** The worker's peak resident set (it only indexes and serves), MB. */
  peakRssMB: number;
  /** Latency of each search through the HTTP API, ms. */
  searchMs: Record<string, Summary>;
  /** Opening one trace (`/api/traces/{id}`: its spans read back from the capture), ms. */
  openTraceMs: Summary;
}

/** The searches measured: the page's default, filters the index answers, and an attribute filter that reads spans. */
export const UI_SEARCHES: Record<string, string> = {
  'recent 20': '',
  'service + operation': `service=payments&operation=${encodeURIComponent('POST charge')}`,
  'errors, longest first': 'errors=true&sort=longest',
  'min duration': 'minDuration=9ms&limit=100',
  'attribute (reads spans)': `tags=${encodeURIComponent('{"app.customer.id":"c-31"}')}`,
};
/** Times each search is answered in one run. */
export const UI_SEARCH_RUNS = 7;
