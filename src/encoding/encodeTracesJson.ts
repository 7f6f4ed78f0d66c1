import type { Attributes, HrTime, Link } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { groupSpans } from './groupSpans.js';
import { hrTimeToNanosString } from './hrTime.js';
import { OtlpDouble } from './OtlpDouble.js';
import type { OtlpScope } from './OtlpSpan.js';
import { linkFlags, spanFlags } from './spanFlags.js';

/**
 * Ended spans as one OTLP/JSON `TracesData` object `{"resourceSpans":[...]}` (no newline),
 * following the OTLP/JSON mapping: lowerCamelCase keys, hex ids, enums as integers,
 * 64-bit integers as decimal strings, default values left out.
 */
export function encodeTracesJson(spans: readonly ReadableSpan[]): string {
  encodeInto(spans);
  const text = buf.toString('utf8', 0, pos);
  releaseLargeBuffer();
  return text;
}

/**
 * The same JSON as UTF-8 bytes, optionally followed by `\n` (a capture-file line). Cheaper
 * than `Buffer.from(encodeTracesJson(spans))`: the text goes to bytes once.
 */
export function encodeTracesJsonBytes(spans: readonly ReadableSpan[], newline = false): Buffer {
  encodeInto(spans);
  if (newline) write('\n');
  const out = Buffer.allocUnsafe(pos);
  buf.copy(out, 0, 0, pos);
  releaseLargeBuffer();
  return out;
}

/**
 * How it is fast: each span is built as one string from a few dozen pieces and copied
 * into a reused byte buffer by a single native write (a plain memory copy when the span
 * is ASCII). Building the whole batch as one string instead leaves a rope of tens of
 * thousands of pieces for the garbage collector; copying byte by byte in JS is slower
 * than both. Copying a rope costs per piece, so the pieces that repeat are cached and
 * flattened once: the resource and scope parts per object; per attribute key its
 * `{"key":…,"value":` prefix and the KeyValue of its last value (most attributes, like a
 * method or a route, repeat from span to span); names; flags and kinds.
 * Encoding is synchronous, so the module-level buffer and caches are safe to share.
 */
function encodeInto(spans: readonly ReadableSpan[]): void {
  pos = 0;
  depth = 0;
  write('{"resourceSpans":[');
  const groups = groupSpans(spans);
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const resourceParts = resourcePartsOf(group.resource);
    write(g > 0 ? ',' + resourceParts.open : resourceParts.open);
    for (let s = 0; s < group.scopes.length; s++) {
      const scopeGroup = group.scopes[s]!;
      const scopeParts = scopePartsOf(scopeGroup.scope);
      write(s > 0 ? ',' + scopeParts.open : scopeParts.open);
      const list = scopeGroup.spans;
      for (let i = 0; i < list.length; i++) write(i > 0 ? ',' + spanJson(list[i]!) : spanJson(list[i]!));
      nonAscii = scopeParts.nonAscii;
      write(scopeParts.close);
    }
    nonAscii = resourceParts.nonAscii;
    write(resourceParts.close);
  }
  write(']}');
}

/** Node's Buffer has these methods on every version we support; @types/node does not declare them. */
type NodeBuffer = Buffer & {
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
};

const INITIAL_BUFFER = 512 * 1024;
/** A huge batch grows the buffer; afterwards it is not kept around. */
const MAX_KEPT_BUFFER = 16 * 1024 * 1024;

let buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER) as NodeBuffer;
let pos = 0;
/** Whether the text built since the last write holds characters beyond ASCII. */
let nonAscii = false;

function releaseLargeBuffer(): void {
  if (buf.length > MAX_KEPT_BUFFER) buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER) as NodeBuffer;
}

/** Appends text to the buffer: Latin-1 (a copy) when it is ASCII, else UTF-8. */
function write(text: string): void {
  const room = nonAscii ? text.length * 3 : text.length;
  if (pos + room > buf.length) grow(room);
  if (nonAscii) {
    pos += buf.utf8Write(text, pos);
    nonAscii = false;
  } else {
    pos += buf.latin1Write(text, pos);
  }
}

function grow(bytes: number): void {
  let size = buf.length * 2;
  while (size < pos + bytes) size *= 2;
  const next = Buffer.allocUnsafeSlow(size) as NodeBuffer;
  buf.copy(next, 0, 0, pos);
  buf = next;
}

/** Text that JSON must escape, or that is not ASCII. */
const SLOW_PATH = /["\\\u0000-\u001f\u0080-\uffff]/;
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * A JSON string literal. JSON.stringify escapes what JSON needs and writes lone surrogates
 * as \uXXXX, so the UTF-8 written later is lossless.
 */
function quote(text: string): string {
  if (!SLOW_PATH.test(text)) return '"' + text + '"';
  const literal = JSON.stringify(text);
  if (NON_ASCII.test(literal)) nonAscii = true;
  return literal;
}

interface Parts {
  readonly open: string;
  readonly close: string;
  readonly nonAscii: boolean;
}

const resourceCache = new WeakMap<Resource, Parts>();
const scopeCache = new WeakMap<InstrumentationScope, Parts>();

function resourcePartsOf(resource: Resource): Parts {
  let parts = resourceCache.get(resource);
  if (parts === undefined) {
    nonAscii = false;
    let body = attributesField('', resource.attributes);
    body = countField(body, 'droppedAttributesCount', (resource as { droppedAttributesCount?: number }).droppedAttributesCount);
    parts = {
      open: (body === '' ? '{' : '{"resource":{' + body + '},') + '"scopeSpans":[',
      close: ']' + (resource.schemaUrl ? ',"schemaUrl":' + quote(resource.schemaUrl) : '') + '}',
      nonAscii,
    };
    // A resource whose detectors are still running may change; only settled ones are cached.
    if (resource.asyncAttributesPending !== true) resourceCache.set(resource, parts);
  }
  nonAscii = parts.nonAscii;
  return parts;
}

function scopePartsOf(scope: OtlpScope): Parts {
  let parts = scopeCache.get(scope);
  if (parts === undefined) {
    nonAscii = false;
    let body = scope.name ? '"name":' + quote(scope.name) : '';
    if (scope.version) body += (body === '' ? '' : ',') + '"version":' + quote(scope.version);
    if (scope.attributes !== undefined) body = attributesField(body, scope.attributes);
    body = countField(body, 'droppedAttributesCount', scope.droppedAttributesCount);
    parts = {
      open: (body === '' ? '{' : '{"scope":{' + body + '},') + '"spans":[',
      close: ']' + (scope.schemaUrl ? ',"schemaUrl":' + quote(scope.schemaUrl) : '') + '}',
      nonAscii,
    };
    scopeCache.set(scope, parts);
  }
  nonAscii = parts.nonAscii;
  return parts;
}

function spanJson(span: ReadableSpan): string {
  const ctx = span.spanContext();
  let out = '{"traceId":"' + ctx.traceId + '","spanId":"' + ctx.spanId + '"';
  const traceState = ctx.traceState?.serialize();
  if (traceState) out += ',"traceState":' + quote(traceState);
  const parentId = span.parentSpanContext?.spanId;
  if (parentId) out += ',"parentSpanId":"' + parentId + '"';
  const flags = spanFlags(span);
  if (flags !== 0) out += flags < FLAGS_TEXT.length ? FLAGS_TEXT[flags]! : ',"flags":' + flags;
  if (span.name) out += nameField(span.name);
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) out += kind > 0 && kind < KIND_TEXT.length ? KIND_TEXT[kind]! : ',"kind":' + kind;
  const start = span.startTime;
  const end = span.endTime;
  if ((start[0] !== 0 || start[1] !== 0) && (end[0] !== 0 || end[1] !== 0)) {
    out += ',"startTimeUnixNano":"' + hrTimeToNanosString(start) + '","endTimeUnixNano":"' + hrTimeToNanosString(end) + '"';
  } else {
    out = timeField(out, 'startTimeUnixNano', start);
    out = timeField(out, 'endTimeUnixNano', end);
  }
  out = attributesField(out, span.attributes);
  out = countField(out, 'droppedAttributesCount', span.droppedAttributesCount);
  const events = span.events;
  if (events.length > 0) {
    out += ',"events":[' + eventJson(events[0]!);
    for (let i = 1; i < events.length; i++) out += ',' + eventJson(events[i]!);
    out += ']';
  }
  out = countField(out, 'droppedEventsCount', span.droppedEventsCount);
  const links = span.links;
  if (links.length > 0) {
    out += ',"links":[' + linkJson(links[0]!);
    for (let i = 1; i < links.length; i++) out += ',' + linkJson(links[i]!);
    out += ']';
  }
  out = countField(out, 'droppedLinksCount', span.droppedLinksCount);
  const status = span.status;
  if (status.code || status.message) {
    out += ',"status":{';
    if (status.message) out += '"message":' + quote(status.message) + (status.code ? ',' : '');
    if (status.code) out += '"code":' + status.code;
    out += '}';
  }
  return out + '}';
}

/** `,"flags":N` for the flag values SDK spans use (W3C flags plus the remote-parent bits). */
const FLAGS_TEXT: readonly string[] = Array.from({ length: 0x400 }, (_, flags) => flat(',"flags":' + flags));
const KIND_TEXT: readonly string[] = Array.from({ length: 6 }, (_, kind) => flat(',"kind":' + kind));

interface CachedText {
  readonly text: string;
  readonly nonAscii: boolean;
}

/** Names are cached up to this many, as `,"name":"…"` (span and event names repeat). */
const MAX_CACHED_NAMES = 10_000;
const nameCache = new Map<string, CachedText>();

function nameField(name: string): string {
  let cached = nameCache.get(name);
  if (cached === undefined) {
    const before = nonAscii;
    nonAscii = false;
    cached = { text: flat(',"name":' + quote(name)), nonAscii };
    nonAscii ||= before;
    if (nameCache.size < MAX_CACHED_NAMES && name.length <= MAX_CACHED_VALUE_LENGTH) nameCache.set(name, cached);
  }
  if (cached.nonAscii) nonAscii = true;
  return cached.text;
}

function eventJson(event: TimedEvent): string {
  const time = event.time;
  let out = time[0] !== 0 || time[1] !== 0 ? '"timeUnixNano":"' + hrTimeToNanosString(time) + '"' : '';
  if (event.name) out += out === '' ? nameField(event.name).slice(1) : nameField(event.name);
  if (event.attributes !== undefined) out = attributesField(out, event.attributes);
  out = countField(out, 'droppedAttributesCount', event.droppedAttributesCount);
  return '{' + out + '}';
}

function linkJson(link: Link): string {
  const ctx = link.context;
  let out = '{"traceId":"' + ctx.traceId + '","spanId":"' + ctx.spanId + '"';
  const traceState = ctx.traceState?.serialize();
  if (traceState) out += ',"traceState":' + quote(traceState);
  if (link.attributes !== undefined) out = attributesField(out, link.attributes);
  out = countField(out, 'droppedAttributesCount', link.droppedAttributesCount);
  const flags = linkFlags(link);
  if (flags !== 0) out += ',"flags":' + flags;
  return out + '}';
}

/** The field helpers append `"name":value` to an object body, with a comma unless it is empty, or nothing for a default. */
function timeField(out: string, name: string, time: HrTime): string {
  if (time[0] === 0 && time[1] === 0) return out;
  return out + (out === '' ? '"' : ',"') + name + '":"' + hrTimeToNanosString(time) + '"';
}

function countField(out: string, name: string, count: number | undefined): string {
  if (!count) return out;
  return out + (out === '' ? '"' : ',"') + name + '":' + count;
}

function attributesField(out: string, attributes: Attributes): string {
  let list = '';
  for (const key in attributes) {
    const keyValue = keyValueJson(key, attributes[key], list !== '');
    list = list === '' ? keyValue : list + keyValue;
  }
  if (list === '') return out;
  return out + (out === '' ? '"attributes":[' : ',"attributes":[') + list + ']';
}

/**
 * V8 builds `a + b` as a rope and copies it flat only when it is written out; a string
 * reused in many spans is best flattened once, in place, which any character access does.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** Per attribute key: the text before its value, and the last primitive value seen with its KeyValue JSON. */
interface KeyEntry {
  /** `{"key":"k","value":` */
  readonly prefix: string;
  /** `{"key":"k","value":{"stringValue":"` */
  readonly stringPrefix: string;
  /** `{"key":"k","value":{"intValue":"` */
  readonly intPrefix: string;
  readonly keyNonAscii: boolean;
  value: unknown;
  json: string;
  /** `,` + json, made (flat) the first time it is needed. */
  commaJson: string;
  jsonNonAscii: boolean;
  reused: boolean;
}

/** Keys are cached up to this many; beyond it (unbounded key sets) they are encoded each time. */
const MAX_CACHED_KEYS = 10_000;
/** Longer string values (SQL, stack traces) are not kept, so the cache stays small. */
const MAX_CACHED_VALUE_LENGTH = 256;
const keyCache = new Map<string, KeyEntry>();

function keyEntry(key: string): KeyEntry {
  const before = nonAscii;
  nonAscii = false;
  const prefix = flat(key === '' ? '{"value":' : '{"key":' + quote(key) + ',"value":');
  const entry: KeyEntry = {
    prefix,
    stringPrefix: flat(prefix + '{"stringValue":"'),
    intPrefix: flat(prefix + '{"intValue":"'),
    keyNonAscii: nonAscii,
    value: undefined,
    json: '',
    commaJson: '',
    jsonNonAscii: false,
    reused: false,
  };
  nonAscii ||= before;
  if (keyCache.size < MAX_CACHED_KEYS) keyCache.set(key, entry);
  return entry;
}

/** One KeyValue, preceded by a comma when `comma`. Repeated primitive values reuse their cached text. */
function keyValueJson(key: string, value: unknown, comma: boolean): string {
  const entry = keyCache.get(key) ?? keyEntry(key);
  const t = typeof value;
  if (t !== 'string' && t !== 'number' && t !== 'boolean') {
    if (entry.keyNonAscii) nonAscii = true;
    const json = entry.prefix + anyValueJson(value) + '}';
    return comma ? ',' + json : json;
  }
  if (value === entry.value && entry.json !== '') {
    if (entry.jsonNonAscii) nonAscii = true;
    if (!entry.reused) {
      entry.json = flat(entry.json);
      entry.reused = true;
    }
    if (!comma) return entry.json;
    if (entry.commaJson === '') entry.commaJson = flat(',' + entry.json);
    return entry.commaJson;
  }
  const before = nonAscii;
  nonAscii = entry.keyNonAscii;
  let json: string;
  if (t === 'string' && !SLOW_PATH.test(value as string)) json = entry.stringPrefix + (value as string) + '"}}';
  else if (t === 'number' && Number.isSafeInteger(value)) json = entry.intPrefix + (value as number) + '"}}';
  else json = entry.prefix + anyValueJson(value) + '}';
  if (t === 'string' && (value as string).length > MAX_CACHED_VALUE_LENGTH) {
    nonAscii ||= before;
    return comma ? ',' + json : json;
  }
  entry.value = value;
  entry.json = json;
  entry.commaJson = '';
  entry.jsonNonAscii = nonAscii;
  entry.reused = false;
  nonAscii ||= before;
  return comma ? ',' + json : json;
}

/** An attribute value as an OTLP AnyValue. Anything OTLP cannot hold (undefined, functions) is the empty value. */
function anyValueJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return '{"stringValue":' + quote(value) + '}';
    case 'number':
      return numberJson(value);
    case 'boolean':
      return value ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'bigint':
      return '{"intValue":"' + BigInt.asIntN(64, value) + '"}';
    case 'object':
      if (value === null) return '{}';
      if (value instanceof Uint8Array) {
        return '{"bytesValue":"' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') + '"}';
      }
      if (Array.isArray(value)) return arrayJson(value);
      if (value instanceof OtlpDouble) return '{"doubleValue":' + doubleJson(value.value) + '}';
      return kvlistJson(value as Record<string, unknown>);
    default:
      return '{}';
  }
}

const MAX_INT64 = 2 ** 63;

/** Integral numbers that fit int64 are `intValue` (as the SDK's own exporters do); the rest are doubles. */
function numberJson(value: number): string {
  if (Number.isSafeInteger(value)) return '{"intValue":"' + value + '"}';
  if (Number.isInteger(value) && value < MAX_INT64 && value >= -MAX_INT64) return '{"intValue":"' + BigInt(value) + '"}';
  return '{"doubleValue":' + doubleJson(value) + '}';
}

/** OTLP/JSON (proto3 JSON) spells non-finite doubles as strings; -0 keeps its sign. */
function doubleJson(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
  if (value !== value) return '"NaN"';
  return value > 0 ? '"Infinity"' : '"-Infinity"';
}

/**
 * Values nested deeper than this (in practice: an attribute that contains itself) are
 * written as the empty value rather than recursing until the stack runs out.
 */
const MAX_DEPTH = 100;
let depth = 0;

function arrayJson(values: readonly unknown[]): string {
  if (values.length === 0) return '{"arrayValue":{}}';
  if (depth >= MAX_DEPTH) return '{}';
  depth++;
  let out = '{"arrayValue":{"values":[' + anyValueJson(values[0]);
  for (let i = 1; i < values.length; i++) out += ',' + anyValueJson(values[i]);
  depth--;
  return out + ']}}';
}

function kvlistJson(map: Record<string, unknown>): string {
  const keys = Object.keys(map);
  if (keys.length === 0) return '{"kvlistValue":{}}';
  if (depth >= MAX_DEPTH) return '{}';
  depth++;
  let out = '{"kvlistValue":{"values":[';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    out += (i > 0 ? ',' : '') + (key === '' ? '{"value":' : '{"key":' + quote(key) + ',"value":') + anyValueJson(map[key]) + '}';
  }
  depth--;
  return out + ']}}';
}
