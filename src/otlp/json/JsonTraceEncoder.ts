import type { Attributes, HrTime, Link } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { groupSpans } from '../groupSpans.js';
import { type Allocate, CLOSE_BRACE, COMMA, JsonWriter, QUOTE, bytes } from './JsonWriter.js';
import { OtlpDouble } from '../OtlpDouble.js';
import type { OtlpScope } from '../OtlpSpan.js';
import { linkFlags, spanFlags } from '../spanFlags.js';
import { TraceStateText } from '../TraceStateText.js';
import { JSON_KEY, MAX_DEPTH } from '../schema.js';
import { CompactSpan } from '../../span/CompactSpan.js';
import type { SpanAttributes } from '../../span/SpanAttributes.js';

const RESOURCE_SPANS_OPEN = bytes(`{"${JSON_KEY.resource_spans}":[`);
const CLOSE_ARRAY_OBJECT = bytes(']}');
const CLOSE_ARRAY = bytes(']');
const TRACE_ID = bytes(`{"${JSON_KEY.trace_id}":"`);
const SPAN_ID = bytes(`","${JSON_KEY.span_id}":"`);
const TRACE_STATE = bytes(`,"${JSON_KEY.trace_state}":`);
const PARENT_SPAN_ID = bytes(`,"${JSON_KEY.parent_span_id}":"`);
const NAME = bytes(`,"${JSON_KEY.name}":`);
const START_TIME = bytes(`,"${JSON_KEY.start_time_unix_nano}":`);
const END_TIME = bytes(`,"${JSON_KEY.end_time_unix_nano}":`);
const TIME = bytes(`"${JSON_KEY.time_unix_nano}":`);
const ATTRIBUTES = bytes(`"${JSON_KEY.attributes}":[`);
const EVENTS = bytes(`,"${JSON_KEY.events}":[`);
const LINKS = bytes(`,"${JSON_KEY.links}":[`);
const STATUS = bytes(`,"${JSON_KEY.status}":{`);
const STATUS_MESSAGE = bytes(`"${JSON_KEY.message}":`);
const STATUS_CODE = bytes(`"${JSON_KEY.code}":`);
const FLAGS = bytes(`,"${JSON_KEY.flags}":`);
const KIND = bytes(`,"${JSON_KEY.kind}":`);
const SCHEMA_URL = bytes(`,"${JSON_KEY.schema_url}":`);
const DROPPED_ATTRIBUTES = bytes(`"${JSON_KEY.dropped_attributes_count}":`);
const DROPPED_EVENTS = bytes(`"${JSON_KEY.dropped_events_count}":`);
const DROPPED_LINKS = bytes(`"${JSON_KEY.dropped_links_count}":`);

/** `,"flags":N` for the flag values SDK spans use (W3C flags plus the remote-parent bits). */
const FLAGS_FIELD: readonly (Uint8Array | undefined)[] = Array.from({ length: 0x400 }, (_, flags) => bytes(`,"${JSON_KEY.flags}":` + flags));
const KIND_FIELD: readonly (Uint8Array | undefined)[] = Array.from({ length: 6 }, (_, kind) => bytes(`,"${JSON_KEY.kind}":` + kind));

interface Parts {
  readonly open: Uint8Array;
  readonly close: Uint8Array;
}

const RESOURCE_OPEN = bytes(`{"${JSON_KEY.resource}":{`);
const SCOPE_OPEN = bytes(`{"${JSON_KEY.scope}":{`);
const OPEN_BRACE = bytes('{');
const CLOSE_BRACE_COMMA = bytes('},');
const SCOPE_SPANS_OPEN = bytes(`"${JSON_KEY.scope_spans}":[`);
const SPANS_OPEN = bytes(`"${JSON_KEY.spans}":[`);
const VERSION = bytes(`,"${JSON_KEY.version}":`);

const QUOTE_BYTES = bytes('"');

/**
 * `head`, the ASCII `text` (an id), `tail`: written over `piece` when it has the length (ids
 * have fixed lengths, so after the first span nothing is allocated), else into a new array.
 */
function refill(piece: Uint8Array, head: Uint8Array, text: string, tail: Uint8Array): Uint8Array {
  const n = head.length + text.length + tail.length;
  const out = piece.length === n ? piece : new Uint8Array(n);
  out.set(head);
  for (let i = 0; i < text.length; i++) out[head.length + i] = text.charCodeAt(i);
  out.set(tail, n - tail.length);
  return out;
}

interface Header {
  readonly kind: number;
  /** `,"name":"…","kind":…,"startTimeUnixNano":` */
  readonly bytes: Uint8Array;
}

/** Names are cached up to this many, as `,"name":"…"` (span and event names repeat). */
const MAX_CACHED_NAMES = 10_000;

function isZeroTime(time: HrTime): boolean {
  return time[0] === 0 && time[1] === 0;
}

/**
 * Attribute lists from one place in the code have the same keys in the same order, span after
 * span, so the key seen at each position of each kind of list (a site) is remembered with its
 * entry: a repeated key costs a comparison of string identities instead of a map lookup.
 */
const SPAN_SITE = 0;
const EVENT_SITE = 1;
const OTHER_SITE = 2;
const SITE_POSITIONS = 64;

/** Per attribute key: the bytes before its value, and the KeyValue bytes of values seen before. */
interface KeyEntry {
  /** `{"key":"k","value":` */
  readonly prefix: Uint8Array;
  /** `{"key":"k","value":{"stringValue":` */
  readonly stringPrefix: Uint8Array;
  /** `{"key":"k","value":{"intValue":"` */
  readonly intPrefix: Uint8Array;
  /** Whole KeyValues by primitive value: methods, routes, status codes repeat from span to span. */
  readonly keyValues: Map<unknown, Uint8Array>;
  /** The last value found in `keyValues`: checking it first skips a lookup when a value stays the same. */
  lastValue: unknown;
  lastKeyValue: Uint8Array | undefined;
  /** The last array of primitives seen (a copy) and its KeyValue: lists of tags or flags repeat too. */
  array: unknown[] | undefined;
  arrayKeyValue: Uint8Array;
  /** Values not found once `keyValues` is full; past GIVE_UP_AFTER the key's values are not looked up any more. */
  misses: number;
}

/**
 * A key whose values keep missing a full cache (URLs, ids, amounts) is one whose values do not
 * repeat: looking them up only costs a string comparison and a hash per span, so it stops.
 */
const GIVE_UP_AFTER = 256;

/** Keys are cached up to this many; beyond it (unbounded key sets) they are encoded each time. */
const MAX_CACHED_KEYS = 10_000;
/** Longer string values (SQL, stack traces) are not kept, so the cache stays small. */
const MAX_CACHED_VALUE_LENGTH = 256;
/** Values kept per key; a key whose values never repeat (a URL, an id) stops filling up here. */
const MAX_CACHED_VALUES = 32;
/** And in all, so that many keys with many values cannot hold on to much memory. */
const MAX_CACHED_VALUE_BYTES = 4 * 1024 * 1024;
const MAX_CACHED_ARRAY_BYTES = 1024;
const NO_BYTES = new Uint8Array(0);

const VALUE = bytes(`{"${JSON_KEY.value}":`);
const KEY = bytes(`{"${JSON_KEY.key}":`);
const COMMA_VALUE = bytes(`,"${JSON_KEY.value}":`);
const STRING_VALUE = bytes(`{"${JSON_KEY.string_value}":`);
const INT_VALUE = bytes(`{"${JSON_KEY.int_value}":"`);
const QUOTE_BRACE = bytes('"}');
const EMPTY_VALUE = bytes('{}');
const TRUE_VALUE = bytes(`{"${JSON_KEY.bool_value}":true}`);
const FALSE_VALUE = bytes(`{"${JSON_KEY.bool_value}":false}`);
const BYTES_VALUE = bytes(`{"${JSON_KEY.bytes_value}":"`);
const EMPTY_ARRAY = bytes(`{"${JSON_KEY.array_value}":{}}`);
const ARRAY_OPEN = bytes(`{"${JSON_KEY.array_value}":{"${JSON_KEY.values}":[`);
const EMPTY_KVLIST = bytes(`{"${JSON_KEY.kvlist_value}":{}}`);
const KVLIST_OPEN = bytes(`{"${JSON_KEY.kvlist_value}":{"${JSON_KEY.values}":[`);
const CLOSE_VALUES = bytes(']}}');

function isCacheable(value: unknown): boolean {
  const t = typeof value;
  return t === 'number' || t === 'boolean' || (t === 'string' && (value as string).length <= MAX_CACHED_VALUE_LENGTH);
}

function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

const CLOSE_VALUE = bytes('}}');

const MAX_INT64 = 2 ** 63;

/**
 * Ended spans as OTLP/JSON. An exporter creates one and keeps it: the encoder owns its writer and
 * its caches (no module state, which ESM loader hooks such as import-in-the-middle break).
 *
 * How it is fast: the JSON is written straight into the writer's reused buffer, with no
 * intermediate strings (which also leaves little for the garbage collector). Everything that
 * repeats is kept as bytes and copied in with one call: field names, resource and scope parts,
 * the trace id, the parent id, per span name its name and kind, per attribute key its prefix
 * and the whole KeyValue of values seen before.
 *
 * The caches are bounded, so a long-lived exporter fed unbounded names, keys or values holds a
 * fixed amount: resource and scope parts live in WeakMaps (as long as those objects do); names
 * up to MAX_CACHED_NAMES and keys up to MAX_CACHED_KEYS, each at most MAX_CACHED_VALUE_LENGTH
 * characters; values up to MAX_CACHED_VALUES per key and MAX_CACHED_VALUE_BYTES (4 MiB) in all,
 * which is what keeps the hit rate of real workloads (a few hundred distinct keys and names).
 */
export class JsonTraceEncoder {
  private readonly w = new JsonWriter();
  private readonly traceStates = new TraceStateText();
  private readonly resourceCache = new WeakMap<Resource, Parts>();
  private readonly scopeCache = new WeakMap<InstrumentationScope, Parts>();
  /** `{"traceId":"…","spanId":"` of the last trace: spans of one trace usually come together. */
  private lastTraceId = '';
  private traceIdPiece: Uint8Array = new Uint8Array(0);
  /** `,"parentSpanId":"…"` of the last parent: siblings come together. */
  private lastParentId = '';
  private parentPiece: Uint8Array = new Uint8Array(0);
  /** Spans of one name nearly always share their kind, so that run of fields is kept per name. */
  private readonly headerCache = new Map<string, Header>();
  private readonly nameCache = new Map<string, Uint8Array>();
  private siteKeys: (string | undefined)[] = new Array<string | undefined>(3 * SITE_POSITIONS).fill(undefined);
  private siteEntries: (KeyEntry | undefined)[] = new Array<KeyEntry | undefined>(3 * SITE_POSITIONS).fill(undefined);
  private cachedValueBytes = 0;
  private readonly keyCache = new Map<string, KeyEntry>();
  private depth = 0;

  /**
   * Ended spans as one OTLP/JSON `TracesData` object `{"resourceSpans":[...]}` (no newline),
   * following the OTLP/JSON mapping: lowerCamelCase keys, hex ids, enums as integers,
   * 64-bit integers as decimal strings, default values left out.
   */
  encode(spans: readonly ReadableSpan[]): string {
    this.w.begin();
    this.encodeInto(spans);
    return this.w.takeString();
  }

  /**
   * The same JSON as UTF-8 bytes, optionally followed by `\n` (a capture-file line). Cheaper
   * than `Buffer.from(encode(spans))`: the text goes to bytes once. Given `allocate`
   * (a pool's, say), the JSON is written straight into a Buffer from it and a view of that is
   * returned; else into a new Buffer.
   */
  encodeBytes(spans: readonly ReadableSpan[], newline = false, allocate?: Allocate): Buffer {
    this.w.begin(allocate);
    this.encodeInto(spans);
    return this.w.takeBytes(newline);
  }

  /**
   * Only the ResourceSpans of that JSON, comma-separated, with no `{"resourceSpans":[` around
   * them: the form JsonTranscoder.transcodeResourceSpans writes, which the forwarder queues for capture files.
   */
  encodeResourceSpans(spans: readonly ReadableSpan[], allocate?: Allocate): Buffer {
    this.w.begin(allocate);
    this.putResourceSpans(spans);
    return this.w.takeBytes(false);
  }

  private encodeInto(spans: readonly ReadableSpan[]): void {
    this.w.putBytes(RESOURCE_SPANS_OPEN);
    this.putResourceSpans(spans);
    this.w.putBytes(CLOSE_ARRAY_OBJECT);
  }

  private putResourceSpans(spans: readonly ReadableSpan[]): void {
    this.depth = 0;
    const groups = groupSpans(spans);
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!;
      const resourceParts = this.resourcePartsOf(group.resource);
      if (g > 0) this.w.putByte(COMMA);
      this.w.putBytes(resourceParts.open);
      for (let s = 0; s < group.scopes.length; s++) {
        const scopeGroup = group.scopes[s]!;
        const scopeParts = this.scopePartsOf(scopeGroup.scope);
        if (s > 0) this.w.putByte(COMMA);
        this.w.putBytes(scopeParts.open);
        const list = scopeGroup.spans;
        for (let i = 0; i < list.length; i++) {
          if (i > 0) this.w.putByte(COMMA);
          this.putSpan(list[i]!);
        }
        this.w.putBytes(scopeParts.close);
      }
      this.w.putBytes(resourceParts.close);
    }
  }

  private resourcePartsOf(resource: Resource): Parts {
    let parts = this.resourceCache.get(resource);
    if (parts === undefined) {
      const open = this.w.capture(() => {
        const start = this.w.pos;
        this.w.putBytes(RESOURCE_OPEN);
        let first = this.attributesField(true, resource.attributes, OTHER_SITE);
        first = this.countField(first, DROPPED_ATTRIBUTES, (resource as { droppedAttributesCount?: number }).droppedAttributesCount);
        // An empty resource is left out.
        if (first) this.w.rewind(start);
        this.w.putBytes(first ? OPEN_BRACE : CLOSE_BRACE_COMMA);
        this.w.putBytes(SCOPE_SPANS_OPEN);
      });
      parts = { open, close: this.schemaUrlClose(resource.schemaUrl) };
      // A resource whose detectors are still running may change; only settled ones are cached.
      if (resource.asyncAttributesPending !== true) this.resourceCache.set(resource, parts);
    }
    return parts;
  }

  private scopePartsOf(scope: OtlpScope): Parts {
    let parts = this.scopeCache.get(scope);
    if (parts === undefined) {
      const open = this.w.capture(() => {
        const start = this.w.pos;
        this.w.putBytes(SCOPE_OPEN);
        let first = true;
        if (scope.name) {
          this.w.putBytes(NAME.subarray(1));
          this.w.putString(scope.name);
          first = false;
        }
        if (scope.version) {
          this.w.putBytes(first ? VERSION.subarray(1) : VERSION);
          this.w.putString(scope.version);
          first = false;
        }
        if (scope.attributes !== undefined) first = this.attributesField(first, scope.attributes, OTHER_SITE);
        first = this.countField(first, DROPPED_ATTRIBUTES, scope.droppedAttributesCount);
        if (first) this.w.rewind(start);
        this.w.putBytes(first ? OPEN_BRACE : CLOSE_BRACE_COMMA);
        this.w.putBytes(SPANS_OPEN);
      });
      parts = { open, close: this.schemaUrlClose(scope.schemaUrl) };
      this.scopeCache.set(scope, parts);
    }
    return parts;
  }

  /** `]` and the optional schema URL that close a ResourceSpans or ScopeSpans. */
  private schemaUrlClose(schemaUrl: string | undefined): Uint8Array {
    return this.w.capture(() => {
      this.w.putBytes(CLOSE_ARRAY);
      if (schemaUrl) {
        this.w.putBytes(SCHEMA_URL);
        this.w.putString(schemaUrl);
      }
      this.w.putByte(CLOSE_BRACE);
    });
  }

  private putSpan(span: ReadableSpan): void {
    const ctx = span.spanContext();
    if (ctx.traceId !== this.lastTraceId) {
      this.traceIdPiece = refill(this.traceIdPiece, TRACE_ID, ctx.traceId, SPAN_ID);
      this.lastTraceId = ctx.traceId;
    }
    this.w.putBytes(this.traceIdPiece);
    this.w.putAscii(ctx.spanId);
    this.w.putByte(QUOTE);
    const traceState = this.traceStates.text(ctx.traceState);
    if (traceState) {
      this.w.putBytes(TRACE_STATE);
      this.w.putString(traceState);
    }
    const parentId = span.parentSpanContext?.spanId;
    if (parentId) {
      if (parentId !== this.lastParentId) {
        this.parentPiece = refill(this.parentPiece, PARENT_SPAN_ID, parentId, QUOTE_BYTES);
        this.lastParentId = parentId;
      }
      this.w.putBytes(this.parentPiece);
    }
    this.putHeader(span);
    if (!isZeroTime(span.startTime)) this.w.putTime(span.startTime);
    if (!isZeroTime(span.endTime)) {
      this.w.putBytes(END_TIME);
      this.w.putTime(span.endTime);
    }
    // A CompactSpan's attributes are read from its arrays: no object is built for them.
    if (span instanceof CompactSpan) this.recordedAttributesField(span.recorded);
    else this.attributesField(false, span.attributes, SPAN_SITE);
    this.countField(false, DROPPED_ATTRIBUTES, span.droppedAttributesCount);
    const events = span.events;
    if (events.length > 0) {
      this.w.putBytes(EVENTS);
      for (let i = 0; i < events.length; i++) {
        if (i > 0) this.w.putByte(COMMA);
        this.putEvent(events[i]!);
      }
      this.w.putBytes(CLOSE_ARRAY);
    }
    this.countField(false, DROPPED_EVENTS, span.droppedEventsCount);
    const links = span.links;
    if (links.length > 0) {
      this.w.putBytes(LINKS);
      for (let i = 0; i < links.length; i++) {
        if (i > 0) this.w.putByte(COMMA);
        this.putLink(links[i]!);
      }
      this.w.putBytes(CLOSE_ARRAY);
    }
    this.countField(false, DROPPED_LINKS, span.droppedLinksCount);
    const status = span.status;
    if (status.code || status.message) {
      this.w.putBytes(STATUS);
      if (status.message) {
        this.w.putBytes(STATUS_MESSAGE);
        this.w.putString(status.message);
        if (status.code) this.w.putByte(COMMA);
      }
      if (status.code) {
        this.w.putBytes(STATUS_CODE);
        this.w.putNumber(status.code);
      }
      this.w.putByte(CLOSE_BRACE);
    }
    this.putFlags(spanFlags(span));
    this.w.putByte(CLOSE_BRACE);
  }

  /** Name, kind and the start time's key, up to its value. */
  private putHeader(span: ReadableSpan): void {
    const kind = span.kind == null ? 0 : span.kind + 1;
    const name = span.name;
    const hasStart = !isZeroTime(span.startTime);
    const cached = hasStart ? this.headerCache.get(name) : undefined;
    if (cached !== undefined && cached.kind === kind) return this.w.putBytes(cached.bytes);
    const start = this.w.pos;
    if (name) this.w.putBytes(this.nameField(name));
    if (kind !== 0) {
      const field = KIND_FIELD[kind];
      if (field !== undefined) this.w.putBytes(field);
      else {
        this.w.putBytes(KIND);
        this.w.putNumber(kind);
      }
    }
    if (!hasStart) return;
    this.w.putBytes(START_TIME);
    if (this.headerCache.size < MAX_CACHED_NAMES && name.length <= MAX_CACHED_VALUE_LENGTH) {
      this.headerCache.set(name, { kind, bytes: this.w.copyFrom(start) });
    }
  }

  private putFlags(flags: number): void {
    if (flags === 0) return;
    const field = FLAGS_FIELD[flags];
    if (field !== undefined) return this.w.putBytes(field);
    this.w.putBytes(FLAGS);
    this.w.putNumber(flags);
  }

  private nameField(name: string): Uint8Array {
    return this.nameCache.get(name) ?? this.cacheNameField(name);
  }

  /**
   * Apart from nameField because a closure over `name` there would make V8 allocate its context on
   * every call, hit or miss.
   */
  private cacheNameField(name: string): Uint8Array {
    const field = this.w.capture(() => {
      this.w.putBytes(NAME);
      this.w.putString(name);
    });
    if (this.nameCache.size < MAX_CACHED_NAMES && name.length <= MAX_CACHED_VALUE_LENGTH) this.nameCache.set(name, field);
    return field;
  }

  private putEvent(event: TimedEvent): void {
    this.w.putByte(0x7b);
    let first = true;
    if (!isZeroTime(event.time)) {
      this.w.putBytes(TIME);
      this.w.putTime(event.time);
      first = false;
    }
    if (event.name) {
      const field = this.nameField(event.name);
      this.w.putBytes(first ? field.subarray(1) : field);
      first = false;
    }
    if (event.attributes !== undefined) first = this.attributesField(first, event.attributes, EVENT_SITE);
    this.countField(first, DROPPED_ATTRIBUTES, event.droppedAttributesCount);
    this.w.putByte(CLOSE_BRACE);
  }

  private putLink(link: Link): void {
    const ctx = link.context;
    this.w.putBytes(TRACE_ID);
    this.w.putAscii(ctx.traceId);
    this.w.putBytes(SPAN_ID);
    this.w.putAscii(ctx.spanId);
    this.w.putByte(QUOTE);
    const traceState = this.traceStates.text(ctx.traceState);
    if (traceState) {
      this.w.putBytes(TRACE_STATE);
      this.w.putString(traceState);
    }
    if (link.attributes !== undefined) this.attributesField(false, link.attributes, OTHER_SITE);
    this.countField(false, DROPPED_ATTRIBUTES, link.droppedAttributesCount);
    this.putFlags(linkFlags(link));
    this.w.putByte(CLOSE_BRACE);
  }

  /**
   * The field writers append `"name":value` to an object, preceded by a comma unless it is the
   * object's first field, or nothing for a default value; they return whether the object is still empty.
   */
  private countField(first: boolean, name: Uint8Array, count: number | undefined): boolean {
    if (!count) return first;
    if (!first) this.w.putByte(COMMA);
    this.w.putBytes(name);
    this.w.putNumber(count);
    return false;
  }

  private attributesField(first: boolean, attributes: Attributes, site: number): boolean {
    let empty = true;
    let slot = site * SITE_POSITIONS;
    const lastSlot = slot + SITE_POSITIONS - 1;
    for (const key in attributes) {
      if (empty) {
        if (!first) this.w.putByte(COMMA);
        this.w.putBytes(ATTRIBUTES);
        empty = false;
      } else {
        this.w.putByte(COMMA);
      }
      this.putKeyValue(this.siteEntry(slot, key), attributes[key]);
      if (slot < lastSlot) slot++;
    }
    if (empty) return first;
    this.w.putBytes(CLOSE_ARRAY);
    return false;
  }

  /** `attributesField` for a span's attributes held as a SpanAttributes (never the object's first field). */
  private recordedAttributesField(recorded: SpanAttributes): void {
    const n = recorded.size;
    if (n === 0) return;
    this.w.putByte(COMMA);
    this.w.putBytes(ATTRIBUTES);
    const lastSlot = SPAN_SITE * SITE_POSITIONS + SITE_POSITIONS - 1;
    for (let i = 0, slot = SPAN_SITE * SITE_POSITIONS; i < n; i++) {
      if (i > 0) this.w.putByte(COMMA);
      this.putKeyValue(this.siteEntry(slot, recorded.keyAt(i)), recorded.valueAt(i));
      if (slot < lastSlot) slot++;
    }
    this.w.putBytes(CLOSE_ARRAY);
  }

  /** The entry of `key`, remembered for its site position `slot`. */
  private siteEntry(slot: number, key: string): KeyEntry {
    const entry = this.siteEntries[slot];
    if (this.siteKeys[slot] === key && entry !== undefined) return entry;
    const found = this.keyCache.get(key) ?? this.keyEntry(key);
    this.siteKeys[slot] = key;
    this.siteEntries[slot] = found;
    return found;
  }

  private keyEntry(key: string): KeyEntry {
    const prefix = this.w.capture(() => this.putKeyPrefix(key));
    const entry: KeyEntry = {
      prefix,
      stringPrefix: concat(prefix, STRING_VALUE),
      intPrefix: concat(prefix, INT_VALUE),
      keyValues: new Map(),
      lastValue: undefined,
      lastKeyValue: undefined,
      array: undefined,
      arrayKeyValue: NO_BYTES,
      misses: 0,
    };
    if (this.keyCache.size < MAX_CACHED_KEYS && key.length <= MAX_CACHED_VALUE_LENGTH) this.keyCache.set(key, entry);
    return entry;
  }

  private putArrayKeyValue(entry: KeyEntry, values: unknown[]): void {
    if (entry.array !== undefined && sameElements(values, entry.array)) return this.w.putBytes(entry.arrayKeyValue);
    const start = this.w.pos;
    this.w.putBytes(entry.prefix);
    this.putArray(values);
    this.w.putByte(CLOSE_BRACE);
    const size = this.w.pos - start;
    if (size <= MAX_CACHED_ARRAY_BYTES && this.cachedValueBytes < MAX_CACHED_VALUE_BYTES && values.every(isCacheable)) {
      this.cachedValueBytes += size - entry.arrayKeyValue.length;
      entry.array = values.slice();
      entry.arrayKeyValue = this.w.copyFrom(start);
    }
  }

  private putKeyPrefix(key: string): void {
    if (key === '') return this.w.putBytes(VALUE);
    this.w.putBytes(KEY);
    this.w.putString(key);
    this.w.putBytes(COMMA_VALUE);
  }

  /** One KeyValue; primitive values are kept with their bytes, up to a limit per key. */
  private putKeyValue(entry: KeyEntry, value: unknown): void {
    const lookUp = entry.misses <= GIVE_UP_AFTER;
    if (lookUp) {
      if (value === entry.lastValue && entry.lastKeyValue !== undefined) return this.w.putBytes(entry.lastKeyValue);
      const cached = entry.keyValues.get(value);
      if (cached !== undefined) {
        entry.lastValue = value;
        entry.lastKeyValue = cached;
        return this.w.putBytes(cached);
      }
    }
    if (Array.isArray(value)) return this.putArrayKeyValue(entry, value);
    const start = this.w.pos;
    const t = typeof value;
    if (t === 'string') {
      this.w.putBytes(entry.stringPrefix);
      this.w.putString(value as string);
      this.w.putBytes(CLOSE_VALUE);
      if ((value as string).length > MAX_CACHED_VALUE_LENGTH) return;
    } else if (t === 'number' && Number.isSafeInteger(value)) {
      this.w.putBytes(entry.intPrefix);
      this.w.putNumber(value as number);
      this.w.putByte(QUOTE);
      this.w.putBytes(CLOSE_VALUE);
    } else {
      this.w.putBytes(entry.prefix);
      this.putAnyValue(value);
      this.w.putByte(CLOSE_BRACE);
      if (t !== 'number' && t !== 'boolean') return;
    }
    if (!lookUp) return;
    if (entry.keyValues.size < MAX_CACHED_VALUES && this.cachedValueBytes < MAX_CACHED_VALUE_BYTES) {
      entry.keyValues.set(value, this.w.copyFrom(start));
      this.cachedValueBytes += this.w.pos - start;
    } else {
      entry.misses++;
    }
  }

  /** An attribute value as an OTLP AnyValue. Anything OTLP cannot hold (undefined, functions) is the empty value. */
  private putAnyValue(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.w.putBytes(STRING_VALUE);
        this.w.putString(value);
        return this.w.putByte(CLOSE_BRACE);
      case 'number':
        return this.putNumberValue(value);
      case 'boolean':
        return this.w.putBytes(value ? TRUE_VALUE : FALSE_VALUE);
      case 'bigint':
        this.w.putBytes(INT_VALUE);
        this.w.putAscii(BigInt.asIntN(64, value).toString());
        return this.w.putBytes(QUOTE_BRACE);
      case 'object':
        if (value === null) return this.w.putBytes(EMPTY_VALUE);
        if (value instanceof Uint8Array) {
          this.w.putBytes(BYTES_VALUE);
          this.w.putAscii(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
          return this.w.putBytes(QUOTE_BRACE);
        }
        if (Array.isArray(value)) return this.putArray(value);
        if (value instanceof OtlpDouble) return this.w.putDouble(value.value);
        return this.putKvlist(value as Record<string, unknown>);
      default:
        return this.w.putBytes(EMPTY_VALUE);
    }
  }

  /** Integral numbers that fit int64 are `intValue` (as the SDK's own exporters do); the rest are doubles. */
  private putNumberValue(value: number): void {
    if (Number.isSafeInteger(value)) {
      this.w.putBytes(INT_VALUE);
      this.w.putNumber(value);
      return this.w.putBytes(QUOTE_BRACE);
    }
    if (Number.isInteger(value) && value < MAX_INT64 && value >= -MAX_INT64) {
      this.w.putBytes(INT_VALUE);
      this.w.putAscii(BigInt(value).toString());
      return this.w.putBytes(QUOTE_BRACE);
    }
    this.w.putDouble(value);
  }

  private putArray(values: readonly unknown[]): void {
    if (values.length === 0) return this.w.putBytes(EMPTY_ARRAY);
    if (this.depth >= MAX_DEPTH) return this.w.putBytes(EMPTY_VALUE);
    this.depth++;
    this.w.putBytes(ARRAY_OPEN);
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.w.putByte(COMMA);
      this.putAnyValue(values[i]);
    }
    this.depth--;
    this.w.putBytes(CLOSE_VALUES);
  }

  private putKvlist(map: Record<string, unknown>): void {
    const keys = Object.keys(map);
    if (keys.length === 0) return this.w.putBytes(EMPTY_KVLIST);
    if (this.depth >= MAX_DEPTH) return this.w.putBytes(EMPTY_VALUE);
    this.depth++;
    this.w.putBytes(KVLIST_OPEN);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i > 0) this.w.putByte(COMMA);
      this.putKeyPrefix(key);
      this.putAnyValue(map[key]);
      this.w.putByte(CLOSE_BRACE);
    }
    this.depth--;
    this.w.putBytes(CLOSE_VALUES);
  }
}
