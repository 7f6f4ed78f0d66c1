import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { attributeText } from './matchesTags.js';
import type { TraceQuery } from './TraceQuery.js';

/**
 * What the catalog keeps of one trace: enough to list and filter it, never its spans.
 * Services and operations are interned ids, times are µs since the epoch (doubles: exact to
 * well under a µs for any date this century).
 */
export interface TraceEntry {
  readonly traceId: string;
  startUs: number;
  endUs: number;
  spanCount: number;
  errorCount: number;
  /** Operation id (see TraceCatalog.operation) of the span shown for the trace. */
  rootOp: number;
  /** 0: a span without a parent; 1: a span whose parent is remote (the local entry); 2: any other. */
  rootRank: number;
  rootStartUs: number;
  /** Distinct operation ids of the trace's spans. */
  ops: number[];
  /** Where the spans are: (file id, byte offset, byte length) triples of capture lines. */
  locations: number[];
  /**
   * A Bloom filter of the `key=value` pairs of the trace's span and resource attributes (and
   * `error=true`): an attribute search reads the spans only of traces that may match.
   */
  tagBits: Int32Array;
}

/** One row of a search result, as `/api/summaries` returns it. */
export interface TraceSummaryRow {
  traceID: string;
  rootService: string;
  rootOperation: string;
  /** False when the trace has no parentless span (shown: its local entry or earliest span). */
  rootIsTraceRoot: boolean;
  spanCount: number;
  errorCount: number;
  /** Every service with a span in the trace, sorted. */
  services: string[];
  /** µs since the epoch, and µs. */
  startTime: number;
  duration: number;
}

/** Microseconds since the epoch of an HrTime. */
export function hrTimeToUs(time: readonly [number, number]): number {
  return time[0] * 1e6 + time[1] / 1e3;
}

/** The `service.name` of a span's resource, or ''. */
export function serviceName(span: ReadableSpan): string {
  const name = span.resource.attributes['service.name'];
  return typeof name === 'string' ? name : '';
}

/**
 * A compact index of traces, fed span by span as a capture streams by (or as the forwarder
 * receives them): memory grows with traces and distinct operations, not with spans. Searches
 * filter on what it keeps; attribute filters need the spans, which the caller loads on demand.
 */
export class TraceCatalog {
  private readonly traces = new Map<string, TraceEntry>();
  private readonly opIds = new Map<string, number>();
  private readonly opService: number[] = [];
  private readonly opName: string[] = [];
  private readonly serviceIds = new Map<string, number>();
  private readonly serviceNames: string[] = [];
  spanCount = 0;

  get traceCount(): number {
    return this.traces.size;
  }

  get(traceId: string): TraceEntry | undefined {
    return this.traces.get(traceId);
  }

  /** Traces in the order they were first seen. */
  entries(): IterableIterator<TraceEntry> {
    return this.traces.values();
  }

  delete(traceId: string): TraceEntry | undefined {
    const entry = this.traces.get(traceId);
    if (entry !== undefined) {
      this.traces.delete(traceId);
      this.spanCount -= entry.spanCount;
    }
    return entry;
  }

  /** Folds one span into its trace's entry, which is returned for the caller to note where the span is. */
  add(span: ReadableSpan): TraceEntry {
    const traceId = span.spanContext().traceId;
    const start = hrTimeToUs(span.startTime);
    const end = hrTimeToUs(span.endTime);
    const op = this.operationId(serviceName(span), span.name);
    const parent = span.parentSpanContext;
    const rank = parent === undefined ? 0 : parent.isRemote === true ? 1 : 2;
    let t = this.traces.get(traceId);
    if (t === undefined) {
      t = {
        traceId, startUs: start, endUs: end, spanCount: 0, errorCount: 0, rootOp: op, rootRank: rank, rootStartUs: start, ops: [], locations: [],
        tagBits: new Int32Array(TAG_WORDS),
      };
      this.traces.set(traceId, t);
    }
    t.spanCount++;
    this.spanCount++;
    if (span.status.code === SpanStatusCode.ERROR) {
      t.errorCount++;
      setTag(t.tagBits, 'error', 'true');
    }
    addTags(t.tagBits, span.attributes);
    addTags(t.tagBits, span.resource.attributes);
    if (start < t.startUs) t.startUs = start;
    if (end > t.endUs) t.endUs = end;
    if (!t.ops.includes(op)) t.ops.push(op);
    if (rank < t.rootRank || (rank === t.rootRank && start < t.rootStartUs)) {
      t.rootOp = op;
      t.rootRank = rank;
      t.rootStartUs = start;
    }
    return t;
  }

  /** Every service seen, sorted. */
  services(): string[] {
    return [...this.serviceNames].sort();
  }

  /** The operations (span names) seen for `service`, sorted. */
  operations(service: string): string[] {
    const id = this.serviceIds.get(service);
    if (id === undefined) return [];
    const out: string[] = [];
    for (let op = 0; op < this.opName.length; op++) if (this.opService[op] === id) out.push(this.opName[op]!);
    return out.sort();
  }

  /**
   * The traces matching everything in `query` the catalog can decide alone (service, operation,
   * durations, time range, errors), and that may match its attribute filters, sorted as it asks.
   * Whether they do match those is the caller's to check, on the spans.
   */
  candidates(query: TraceQuery): TraceEntry[] {
    let serviceId: number | undefined;
    let opId: number | undefined;
    if (query.service !== undefined) {
      serviceId = this.serviceIds.get(query.service);
      if (serviceId === undefined) return [];
      if (query.operation !== undefined) {
        opId = this.opIds.get(opKey(query.service, query.operation));
        if (opId === undefined) return [];
      }
    }
    const tagHashes = query.tags.map(([key, value]) => tagHash(key, value));
    const out: TraceEntry[] = [];
    for (const t of this.traces.values()) {
      if (tagHashes.length > 0 && !tagHashes.every((h) => mayHaveTag(t.tagBits, h))) continue;
      const duration = t.endUs - t.startUs;
      if (query.errorsOnly && t.errorCount === 0) continue;
      if (query.minDurationUs !== undefined && duration < query.minDurationUs) continue;
      if (query.maxDurationUs !== undefined && duration > query.maxDurationUs) continue;
      if (query.startUs !== undefined && t.startUs < query.startUs) continue;
      if (query.endUs !== undefined && t.startUs > query.endUs) continue;
      if (opId !== undefined) {
        if (!t.ops.includes(opId)) continue;
      } else if (serviceId !== undefined) {
        if (!t.ops.some((op) => this.opService[op] === serviceId)) continue;
      } else if (query.operation !== undefined) {
        if (!t.ops.some((op) => this.opName[op] === query.operation)) continue;
      }
      out.push(t);
    }
    const order = ORDER[query.sort];
    // Without attribute filters only the first `limit` are needed: keep those, not sort them all.
    return tagHashes.length === 0 ? firstInOrder(out, query.limit, order) : out.sort(order);
  }

  summary(t: TraceEntry): TraceSummaryRow {
    const services = new Set<string>();
    for (const op of t.ops) services.add(this.serviceNames[this.opService[op]!]!);
    return {
      traceID: t.traceId,
      rootService: this.serviceNames[this.opService[t.rootOp]!]!,
      rootOperation: this.opName[t.rootOp]!,
      rootIsTraceRoot: t.rootRank === 0,
      spanCount: t.spanCount,
      errorCount: t.errorCount,
      services: [...services].sort(),
      startTime: Math.floor(t.startUs),
      duration: Math.round(t.endUs - t.startUs),
    };
  }

  private operationId(service: string, name: string): number {
    const key = opKey(service, name);
    let id = this.opIds.get(key);
    if (id === undefined) {
      let sid = this.serviceIds.get(service);
      if (sid === undefined) {
        sid = this.serviceNames.length;
        this.serviceIds.set(service, sid);
        this.serviceNames.push(service);
      }
      id = this.opName.length;
      this.opIds.set(key, id);
      this.opService.push(sid);
      this.opName.push(name);
    }
    return id;
  }
}

function opKey(service: string, name: string): string {
  return `${service}\u0000${name}`;
}

const ORDER: Record<TraceQuery['sort'], (a: TraceEntry, b: TraceEntry) => number> = {
  recent: (a, b) => b.startUs - a.startUs || (a.traceId < b.traceId ? -1 : 1),
  oldest: (a, b) => a.startUs - b.startUs || (a.traceId < b.traceId ? -1 : 1),
  longest: (a, b) => b.endUs - b.startUs - (a.endUs - a.startUs) || (a.traceId < b.traceId ? -1 : 1),
  shortest: (a, b) => a.endUs - a.startUs - (b.endUs - b.startUs) || (a.traceId < b.traceId ? -1 : 1),
};

/** 512 bits per trace: about 10% false positives at 100 distinct pairs. */
const TAG_WORDS = 16;
const TAG_BITS = TAG_WORDS * 32;

/** FNV-1a of `key=value`. */
function tagHash(key: string, value: string): number {
  let h = 0x811c9dc5;
  const text = `${key}=${value}`;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Two bits per pair, from two parts of its hash. */
function setHash(bits: Int32Array, h: number): void {
  const a = h % TAG_BITS;
  const b = (h >>> 16) % TAG_BITS;
  bits[a >>> 5]! |= 1 << (a & 31);
  bits[b >>> 5]! |= 1 << (b & 31);
}

function mayHaveTag(bits: Int32Array, h: number): boolean {
  const a = h % TAG_BITS;
  const b = (h >>> 16) % TAG_BITS;
  return (bits[a >>> 5]! & (1 << (a & 31))) !== 0 && (bits[b >>> 5]! & (1 << (b & 31))) !== 0;
}

function setTag(bits: Int32Array, key: string, value: string): void {
  setHash(bits, tagHash(key, value));
}

function addTags(bits: Int32Array, attributes: Readonly<Record<string, unknown>>): void {
  for (const key in attributes) {
    const text = attributeText(attributes[key]);
    if (text !== undefined) setTag(bits, key, text);
  }
}

/** The first `k` of `items` in `order`, sorted: one pass with a sorted buffer of k, O(n log k) for small k. */
function firstInOrder<T>(items: T[], k: number, order: (a: T, b: T) => number): T[] {
  if (items.length <= k * 4) return items.sort(order).slice(0, k);
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && order(item, best[k - 1]!) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order(best[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, item);
    if (best.length > k) best.pop();
  }
  return best;
}
