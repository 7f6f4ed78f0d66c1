import type { Attributes, HrTime, Link } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { groupSpans } from '../groupSpans.js';
import {
  type Allocate,
  CLOSE_BRACE,
  COMMA,
  QUOTE,
  bytes,
  capture,
  copyFrom,
  pos,
  putAscii,
  putByte,
  putBytes,
  putDouble,
  putNumber,
  putString,
  putTime,
  begin,
  rewind,
  takeBytes,
  takeString,
} from './JsonWriter.js';
import { OtlpDouble } from '../OtlpDouble.js';
import type { OtlpScope } from '../OtlpSpan.js';
import { linkFlags, spanFlags } from '../spanFlags.js';
import { traceStateText } from '../TraceStateText.js';

/**
 * Ended spans as one OTLP/JSON `TracesData` object `{"resourceSpans":[...]}` (no newline),
 * following the OTLP/JSON mapping: lowerCamelCase keys, hex ids, enums as integers,
 * 64-bit integers as decimal strings, default values left out.
 */
export function encodeTracesJson(spans: readonly ReadableSpan[]): string {
  begin();
  encodeInto(spans);
  return takeString();
}

/**
 * The same JSON as UTF-8 bytes, optionally followed by `\n` (a capture-file line). Cheaper
 * than `Buffer.from(encodeTracesJson(spans))`: the text goes to bytes once. Given `allocate`
 * (a pool's, say), the JSON is written straight into a Buffer from it and a view of that is
 * returned; else into a new Buffer.
 */
export function encodeTracesJsonBytes(spans: readonly ReadableSpan[], newline = false, allocate?: Allocate): Buffer {
  begin(allocate);
  encodeInto(spans);
  return takeBytes(newline);
}

/**
 * Only the ResourceSpans of that JSON, comma-separated, with no `{"resourceSpans":[` around
 * them: the form transcodeResourceSpansJson writes, which the forwarder queues for capture files.
 */
export function encodeResourceSpansJson(spans: readonly ReadableSpan[], allocate?: Allocate): Buffer {
  begin(allocate);
  putResourceSpans(spans);
  return takeBytes(false);
}

/**
 * How it is fast: the JSON is written straight into jsonWriter's reused buffer, with no
 * intermediate strings (which also leaves little for the garbage collector). Everything that
 * repeats is kept as bytes and copied in with one call: field names, resource and scope parts,
 * the trace id, the parent id, per span name its name and kind, per attribute key its prefix
 * and the whole KeyValue of values seen before. Encoding is synchronous, so the module-level
 * caches are safe to share.
 */
function encodeInto(spans: readonly ReadableSpan[]): void {
  putBytes(RESOURCE_SPANS_OPEN);
  putResourceSpans(spans);
  putBytes(CLOSE_ARRAY_OBJECT);
}

function putResourceSpans(spans: readonly ReadableSpan[]): void {
  depth = 0;
  const groups = groupSpans(spans);
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const resourceParts = resourcePartsOf(group.resource);
    if (g > 0) putByte(COMMA);
    putBytes(resourceParts.open);
    for (let s = 0; s < group.scopes.length; s++) {
      const scopeGroup = group.scopes[s]!;
      const scopeParts = scopePartsOf(scopeGroup.scope);
      if (s > 0) putByte(COMMA);
      putBytes(scopeParts.open);
      const list = scopeGroup.spans;
      for (let i = 0; i < list.length; i++) {
        if (i > 0) putByte(COMMA);
        putSpan(list[i]!);
      }
      putBytes(scopeParts.close);
    }
    putBytes(resourceParts.close);
  }
}

const RESOURCE_SPANS_OPEN = bytes('{"resourceSpans":[');
const CLOSE_ARRAY_OBJECT = bytes(']}');
const CLOSE_ARRAY = bytes(']');
const TRACE_ID = bytes('{"traceId":"');
const SPAN_ID = bytes('","spanId":"');
const TRACE_STATE = bytes(',"traceState":');
const PARENT_SPAN_ID = bytes(',"parentSpanId":"');
const NAME = bytes(',"name":');
const START_TIME = bytes(',"startTimeUnixNano":');
const END_TIME = bytes(',"endTimeUnixNano":');
const TIME = bytes('"timeUnixNano":');
const ATTRIBUTES = bytes('"attributes":[');
const EVENTS = bytes(',"events":[');
const LINKS = bytes(',"links":[');
const STATUS = bytes(',"status":{');
const STATUS_MESSAGE = bytes('"message":');
const STATUS_CODE = bytes('"code":');
const FLAGS = bytes(',"flags":');
const KIND = bytes(',"kind":');
const SCHEMA_URL = bytes(',"schemaUrl":');
const DROPPED_ATTRIBUTES = bytes('"droppedAttributesCount":');
const DROPPED_EVENTS = bytes('"droppedEventsCount":');
const DROPPED_LINKS = bytes('"droppedLinksCount":');

/** `,"flags":N` for the flag values SDK spans use (W3C flags plus the remote-parent bits). */
const FLAGS_FIELD: readonly (Uint8Array | undefined)[] = Array.from({ length: 0x400 }, (_, flags) => bytes(',"flags":' + flags));
const KIND_FIELD: readonly (Uint8Array | undefined)[] = Array.from({ length: 6 }, (_, kind) => bytes(',"kind":' + kind));

interface Parts {
  readonly open: Uint8Array;
  readonly close: Uint8Array;
}

const resourceCache = new WeakMap<Resource, Parts>();
const scopeCache = new WeakMap<InstrumentationScope, Parts>();

function resourcePartsOf(resource: Resource): Parts {
  let parts = resourceCache.get(resource);
  if (parts === undefined) {
    const open = capture(() => {
      const start = pos;
      putBytes(RESOURCE_OPEN);
      let first = attributesField(true, resource.attributes, OTHER_SITE);
      first = countField(first, DROPPED_ATTRIBUTES, (resource as { droppedAttributesCount?: number }).droppedAttributesCount);
      // An empty resource is left out.
      if (first) rewind(start);
      putBytes(first ? OPEN_BRACE : CLOSE_BRACE_COMMA);
      putBytes(SCOPE_SPANS_OPEN);
    });
    parts = { open, close: schemaUrlClose(resource.schemaUrl) };
    // A resource whose detectors are still running may change; only settled ones are cached.
    if (resource.asyncAttributesPending !== true) resourceCache.set(resource, parts);
  }
  return parts;
}

function scopePartsOf(scope: OtlpScope): Parts {
  let parts = scopeCache.get(scope);
  if (parts === undefined) {
    const open = capture(() => {
      const start = pos;
      putBytes(SCOPE_OPEN);
      let first = true;
      if (scope.name) {
        putBytes(NAME.subarray(1));
        putString(scope.name);
        first = false;
      }
      if (scope.version) {
        putBytes(first ? VERSION.subarray(1) : VERSION);
        putString(scope.version);
        first = false;
      }
      if (scope.attributes !== undefined) first = attributesField(first, scope.attributes, OTHER_SITE);
      first = countField(first, DROPPED_ATTRIBUTES, scope.droppedAttributesCount);
      if (first) rewind(start);
      putBytes(first ? OPEN_BRACE : CLOSE_BRACE_COMMA);
      putBytes(SPANS_OPEN);
    });
    parts = { open, close: schemaUrlClose(scope.schemaUrl) };
    scopeCache.set(scope, parts);
  }
  return parts;
}

const RESOURCE_OPEN = bytes('{"resource":{');
const SCOPE_OPEN = bytes('{"scope":{');
const OPEN_BRACE = bytes('{');
const CLOSE_BRACE_COMMA = bytes('},');
const SCOPE_SPANS_OPEN = bytes('"scopeSpans":[');
const SPANS_OPEN = bytes('"spans":[');
const VERSION = bytes(',"version":');

/** `]` and the optional schema URL that close a ResourceSpans or ScopeSpans. */
function schemaUrlClose(schemaUrl: string | undefined): Uint8Array {
  return capture(() => {
    putBytes(CLOSE_ARRAY);
    if (schemaUrl) {
      putBytes(SCHEMA_URL);
      putString(schemaUrl);
    }
    putByte(CLOSE_BRACE);
  });
}

/** `{"traceId":"…","spanId":"` of the last trace: spans of one trace usually come together. */
let lastTraceId = '';
let traceIdPiece: Uint8Array = new Uint8Array(0);

/** `,"parentSpanId":"…"` of the last parent: siblings come together. */
let lastParentId = '';
let parentPiece: Uint8Array = new Uint8Array(0);
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

function putSpan(span: ReadableSpan): void {
  const ctx = span.spanContext();
  if (ctx.traceId !== lastTraceId) {
    traceIdPiece = refill(traceIdPiece, TRACE_ID, ctx.traceId, SPAN_ID);
    lastTraceId = ctx.traceId;
  }
  putBytes(traceIdPiece);
  putAscii(ctx.spanId);
  putByte(QUOTE);
  const traceState = traceStateText(ctx.traceState);
  if (traceState) {
    putBytes(TRACE_STATE);
    putString(traceState);
  }
  const parentId = span.parentSpanContext?.spanId;
  if (parentId) {
    if (parentId !== lastParentId) {
      parentPiece = refill(parentPiece, PARENT_SPAN_ID, parentId, QUOTE_BYTES);
      lastParentId = parentId;
    }
    putBytes(parentPiece);
  }
  putHeader(span);
  if (!isZeroTime(span.startTime)) putTime(span.startTime);
  if (!isZeroTime(span.endTime)) {
    putBytes(END_TIME);
    putTime(span.endTime);
  }
  attributesField(false, span.attributes, SPAN_SITE);
  countField(false, DROPPED_ATTRIBUTES, span.droppedAttributesCount);
  const events = span.events;
  if (events.length > 0) {
    putBytes(EVENTS);
    for (let i = 0; i < events.length; i++) {
      if (i > 0) putByte(COMMA);
      putEvent(events[i]!);
    }
    putBytes(CLOSE_ARRAY);
  }
  countField(false, DROPPED_EVENTS, span.droppedEventsCount);
  const links = span.links;
  if (links.length > 0) {
    putBytes(LINKS);
    for (let i = 0; i < links.length; i++) {
      if (i > 0) putByte(COMMA);
      putLink(links[i]!);
    }
    putBytes(CLOSE_ARRAY);
  }
  countField(false, DROPPED_LINKS, span.droppedLinksCount);
  const status = span.status;
  if (status.code || status.message) {
    putBytes(STATUS);
    if (status.message) {
      putBytes(STATUS_MESSAGE);
      putString(status.message);
      if (status.code) putByte(COMMA);
    }
    if (status.code) {
      putBytes(STATUS_CODE);
      putNumber(status.code);
    }
    putByte(CLOSE_BRACE);
  }
  putFlags(spanFlags(span));
  putByte(CLOSE_BRACE);
}

interface Header {
  readonly kind: number;
  /** `,"name":"…","kind":…,"startTimeUnixNano":` */
  readonly bytes: Uint8Array;
}

/** Spans of one name nearly always share their kind, so that run of fields is kept per name. */
const headerCache = new Map<string, Header>();

/** Name, kind and the start time's key, up to its value. */
function putHeader(span: ReadableSpan): void {
  const kind = span.kind == null ? 0 : span.kind + 1;
  const name = span.name;
  const hasStart = !isZeroTime(span.startTime);
  const cached = hasStart ? headerCache.get(name) : undefined;
  if (cached !== undefined && cached.kind === kind) return putBytes(cached.bytes);
  const start = pos;
  if (name) putBytes(nameField(name));
  if (kind !== 0) {
    const field = KIND_FIELD[kind];
    if (field !== undefined) putBytes(field);
    else {
      putBytes(KIND);
      putNumber(kind);
    }
  }
  if (!hasStart) return;
  putBytes(START_TIME);
  if (headerCache.size < MAX_CACHED_NAMES && name.length <= MAX_CACHED_VALUE_LENGTH) {
    headerCache.set(name, { kind, bytes: copyFrom(start) });
  }
}

function putFlags(flags: number): void {
  if (flags === 0) return;
  const field = FLAGS_FIELD[flags];
  if (field !== undefined) return putBytes(field);
  putBytes(FLAGS);
  putNumber(flags);
}

/** Names are cached up to this many, as `,"name":"…"` (span and event names repeat). */
const MAX_CACHED_NAMES = 10_000;
const nameCache = new Map<string, Uint8Array>();

function nameField(name: string): Uint8Array {
  return nameCache.get(name) ?? cacheNameField(name);
}

/**
 * Apart from nameField because a closure over `name` there would make V8 allocate its context on
 * every call, hit or miss.
 */
function cacheNameField(name: string): Uint8Array {
  const field = capture(() => {
    putBytes(NAME);
    putString(name);
  });
  if (nameCache.size < MAX_CACHED_NAMES && name.length <= MAX_CACHED_VALUE_LENGTH) nameCache.set(name, field);
  return field;
}

function isZeroTime(time: HrTime): boolean {
  return time[0] === 0 && time[1] === 0;
}

function putEvent(event: TimedEvent): void {
  putByte(0x7b);
  let first = true;
  if (!isZeroTime(event.time)) {
    putBytes(TIME);
    putTime(event.time);
    first = false;
  }
  if (event.name) {
    const field = nameField(event.name);
    putBytes(first ? field.subarray(1) : field);
    first = false;
  }
  if (event.attributes !== undefined) first = attributesField(first, event.attributes, EVENT_SITE);
  countField(first, DROPPED_ATTRIBUTES, event.droppedAttributesCount);
  putByte(CLOSE_BRACE);
}

function putLink(link: Link): void {
  const ctx = link.context;
  putBytes(TRACE_ID);
  putAscii(ctx.traceId);
  putBytes(SPAN_ID);
  putAscii(ctx.spanId);
  putByte(QUOTE);
  const traceState = traceStateText(ctx.traceState);
  if (traceState) {
    putBytes(TRACE_STATE);
    putString(traceState);
  }
  if (link.attributes !== undefined) attributesField(false, link.attributes, OTHER_SITE);
  countField(false, DROPPED_ATTRIBUTES, link.droppedAttributesCount);
  putFlags(linkFlags(link));
  putByte(CLOSE_BRACE);
}

/**
 * The field writers append `"name":value` to an object, preceded by a comma unless it is the
 * object's first field, or nothing for a default value; they return whether the object is still empty.
 */
function countField(first: boolean, name: Uint8Array, count: number | undefined): boolean {
  if (!count) return first;
  if (!first) putByte(COMMA);
  putBytes(name);
  putNumber(count);
  return false;
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
const siteKeys: (string | undefined)[] = new Array<string | undefined>(3 * SITE_POSITIONS).fill(undefined);
const siteEntries: (KeyEntry | undefined)[] = new Array<KeyEntry | undefined>(3 * SITE_POSITIONS).fill(undefined);

function attributesField(first: boolean, attributes: Attributes, site: number): boolean {
  let empty = true;
  let slot = site * SITE_POSITIONS;
  const lastSlot = slot + SITE_POSITIONS - 1;
  for (const key in attributes) {
    if (empty) {
      if (!first) putByte(COMMA);
      putBytes(ATTRIBUTES);
      empty = false;
    } else {
      putByte(COMMA);
    }
    let entry = siteEntries[slot];
    if (siteKeys[slot] !== key || entry === undefined) {
      entry = keyCache.get(key) ?? keyEntry(key);
      siteKeys[slot] = key;
      siteEntries[slot] = entry;
    }
    if (slot < lastSlot) slot++;
    putKeyValue(entry, attributes[key]);
  }
  if (empty) return first;
  putBytes(CLOSE_ARRAY);
  return false;
}

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
let cachedValueBytes = 0;
const MAX_CACHED_ARRAY_BYTES = 1024;
const NO_BYTES = new Uint8Array(0);
const keyCache = new Map<string, KeyEntry>();

const VALUE = bytes('{"value":');
const KEY = bytes('{"key":');
const COMMA_VALUE = bytes(',"value":');
const STRING_VALUE = bytes('{"stringValue":');
const INT_VALUE = bytes('{"intValue":"');
const QUOTE_BRACE = bytes('"}');
const EMPTY_VALUE = bytes('{}');
const TRUE_VALUE = bytes('{"boolValue":true}');
const FALSE_VALUE = bytes('{"boolValue":false}');
const BYTES_VALUE = bytes('{"bytesValue":"');
const EMPTY_ARRAY = bytes('{"arrayValue":{}}');
const ARRAY_OPEN = bytes('{"arrayValue":{"values":[');
const EMPTY_KVLIST = bytes('{"kvlistValue":{}}');
const KVLIST_OPEN = bytes('{"kvlistValue":{"values":[');
const CLOSE_VALUES = bytes(']}}');

function keyEntry(key: string): KeyEntry {
  const prefix = capture(() => putKeyPrefix(key));
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
  if (keyCache.size < MAX_CACHED_KEYS) keyCache.set(key, entry);
  return entry;
}

function putArrayKeyValue(entry: KeyEntry, values: unknown[]): void {
  if (entry.array !== undefined && sameElements(values, entry.array)) return putBytes(entry.arrayKeyValue);
  const start = pos;
  putBytes(entry.prefix);
  putArray(values);
  putByte(CLOSE_BRACE);
  const size = pos - start;
  if (size <= MAX_CACHED_ARRAY_BYTES && cachedValueBytes < MAX_CACHED_VALUE_BYTES && values.every(isCacheable)) {
    cachedValueBytes += size - entry.arrayKeyValue.length;
    entry.array = values.slice();
    entry.arrayKeyValue = copyFrom(start);
  }
}

function isCacheable(value: unknown): boolean {
  const t = typeof value;
  return t === 'number' || t === 'boolean' || (t === 'string' && (value as string).length <= MAX_CACHED_VALUE_LENGTH);
}

function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function putKeyPrefix(key: string): void {
  if (key === '') return putBytes(VALUE);
  putBytes(KEY);
  putString(key);
  putBytes(COMMA_VALUE);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** One KeyValue; primitive values are kept with their bytes, up to a limit per key. */
function putKeyValue(entry: KeyEntry, value: unknown): void {
  const lookUp = entry.misses <= GIVE_UP_AFTER;
  if (lookUp) {
    if (value === entry.lastValue && entry.lastKeyValue !== undefined) return putBytes(entry.lastKeyValue);
    const cached = entry.keyValues.get(value);
    if (cached !== undefined) {
      entry.lastValue = value;
      entry.lastKeyValue = cached;
      return putBytes(cached);
    }
  }
  if (Array.isArray(value)) return putArrayKeyValue(entry, value);
  const start = pos;
  const t = typeof value;
  if (t === 'string') {
    putBytes(entry.stringPrefix);
    putString(value as string);
    putBytes(CLOSE_VALUE);
    if ((value as string).length > MAX_CACHED_VALUE_LENGTH) return;
  } else if (t === 'number' && Number.isSafeInteger(value)) {
    putBytes(entry.intPrefix);
    putNumber(value as number);
    putByte(QUOTE);
    putBytes(CLOSE_VALUE);
  } else {
    putBytes(entry.prefix);
    putAnyValue(value);
    putByte(CLOSE_BRACE);
    if (t !== 'number' && t !== 'boolean') return;
  }
  if (!lookUp) return;
  if (entry.keyValues.size < MAX_CACHED_VALUES && cachedValueBytes < MAX_CACHED_VALUE_BYTES) {
    entry.keyValues.set(value, copyFrom(start));
    cachedValueBytes += pos - start;
  } else {
    entry.misses++;
  }
}

const CLOSE_VALUE = bytes('}}');

/** An attribute value as an OTLP AnyValue. Anything OTLP cannot hold (undefined, functions) is the empty value. */
function putAnyValue(value: unknown): void {
  switch (typeof value) {
    case 'string':
      putBytes(STRING_VALUE);
      putString(value);
      return putByte(CLOSE_BRACE);
    case 'number':
      return putNumberValue(value);
    case 'boolean':
      return putBytes(value ? TRUE_VALUE : FALSE_VALUE);
    case 'bigint':
      putBytes(INT_VALUE);
      putAscii(BigInt.asIntN(64, value).toString());
      return putBytes(QUOTE_BRACE);
    case 'object':
      if (value === null) return putBytes(EMPTY_VALUE);
      if (value instanceof Uint8Array) {
        putBytes(BYTES_VALUE);
        putAscii(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
        return putBytes(QUOTE_BRACE);
      }
      if (Array.isArray(value)) return putArray(value);
      if (value instanceof OtlpDouble) return putDouble(value.value);
      return putKvlist(value as Record<string, unknown>);
    default:
      return putBytes(EMPTY_VALUE);
  }
}

const MAX_INT64 = 2 ** 63;

/** Integral numbers that fit int64 are `intValue` (as the SDK's own exporters do); the rest are doubles. */
function putNumberValue(value: number): void {
  if (Number.isSafeInteger(value)) {
    putBytes(INT_VALUE);
    putNumber(value);
    return putBytes(QUOTE_BRACE);
  }
  if (Number.isInteger(value) && value < MAX_INT64 && value >= -MAX_INT64) {
    putBytes(INT_VALUE);
    putAscii(BigInt(value).toString());
    return putBytes(QUOTE_BRACE);
  }
  putDouble(value);
}

/**
 * Values nested deeper than this (in practice: an attribute that contains itself) are
 * written as the empty value rather than recursing until the stack runs out.
 */
const MAX_DEPTH = 100;
let depth = 0;

function putArray(values: readonly unknown[]): void {
  if (values.length === 0) return putBytes(EMPTY_ARRAY);
  if (depth >= MAX_DEPTH) return putBytes(EMPTY_VALUE);
  depth++;
  putBytes(ARRAY_OPEN);
  for (let i = 0; i < values.length; i++) {
    if (i > 0) putByte(COMMA);
    putAnyValue(values[i]);
  }
  depth--;
  putBytes(CLOSE_VALUES);
}

function putKvlist(map: Record<string, unknown>): void {
  const keys = Object.keys(map);
  if (keys.length === 0) return putBytes(EMPTY_KVLIST);
  if (depth >= MAX_DEPTH) return putBytes(EMPTY_VALUE);
  depth++;
  putBytes(KVLIST_OPEN);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) putByte(COMMA);
    putKeyPrefix(key);
    putAnyValue(map[key]);
    putByte(CLOSE_BRACE);
  }
  depth--;
  putBytes(CLOSE_VALUES);
}
