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
 * than `Buffer.from(encodeTracesJson(spans))`: the text is written as bytes to begin with.
 */
export function encodeTracesJsonBytes(spans: readonly ReadableSpan[], newline = false): Buffer {
  encodeInto(spans);
  if (newline) {
    ensure(1);
    buf[pos++] = 0x0a;
  }
  const out = Buffer.allocUnsafeSlow(pos);
  buf.copy(out, 0, 0, pos);
  releaseLargeBuffer();
  return out;
}

/**
 * Writes the JSON as bytes into one reused buffer: building it from string pieces makes
 * a rope of tens of thousands of short-lived strings per batch, and the garbage collector
 * then costs more than the encoding. ASCII is copied by a loop; a string with anything
 * JSON must escape, or non-ASCII text, goes through JSON.stringify and Buffer.write.
 * The resource and scope parts are cached per object, since a provider reuses them for
 * every span. Encoding is synchronous, so the module-level buffer is safe to reuse.
 */
function encodeInto(spans: readonly ReadableSpan[]): void {
  pos = 0;
  ascii('{"resourceSpans":[');
  const groups = groupSpans(spans);
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const resourceParts = resourcePartsOf(group.resource);
    if (g > 0) comma();
    bytes(resourceParts.open);
    for (let s = 0; s < group.scopes.length; s++) {
      const scopeGroup = group.scopes[s]!;
      const scopeParts = scopePartsOf(scopeGroup.scope);
      if (s > 0) comma();
      bytes(scopeParts.open);
      const list = scopeGroup.spans;
      for (let i = 0; i < list.length; i++) {
        if (i > 0) comma();
        writeSpan(list[i]!);
      }
      bytes(scopeParts.close);
    }
    bytes(resourceParts.close);
  }
  ascii(']}');
}

const INITIAL_BUFFER = 512 * 1024;
/** A huge batch grows the buffer; afterwards it is not kept around. */
const MAX_KEPT_BUFFER = 16 * 1024 * 1024;

let buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER);
let pos = 0;

function releaseLargeBuffer(): void {
  if (buf.length > MAX_KEPT_BUFFER) buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER);
}

function ensure(n: number): void {
  if (pos + n > buf.length) grow(n);
}

function grow(n: number): void {
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const next = Buffer.allocUnsafeSlow(size);
  buf.copy(next, 0, 0, pos);
  buf = next;
}

function comma(): void {
  ensure(1);
  buf[pos++] = 0x2c;
}

/** Text known to be ASCII that needs no escaping (our own keys, ids, numbers). */
function ascii(text: string): void {
  const n = text.length;
  ensure(n);
  const b = buf;
  let p = pos;
  for (let i = 0; i < n; i++) b[p++] = text.charCodeAt(i);
  pos = p;
}

function bytes(data: Uint8Array): void {
  ensure(data.length);
  buf.set(data, pos);
  pos += data.length;
}

/** A JSON string literal. */
function quoted(text: string): void {
  const n = text.length;
  ensure(n + 2);
  const b = buf;
  let p = pos;
  b[p++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) {
      quotedSlow(text);
      return;
    }
    b[p++] = c;
  }
  b[p++] = 0x22;
  pos = p;
}

/** JSON.stringify escapes what JSON needs and writes lone surrogates as \uXXXX, so the UTF-8 is lossless. */
function quotedSlow(text: string): void {
  const literal = JSON.stringify(text);
  ensure(literal.length * 3);
  pos += buf.write(literal, pos, 'utf8');
}

interface Parts {
  readonly open: Uint8Array;
  readonly close: Uint8Array;
}

const resourceCache = new WeakMap<Resource, Parts>();
const scopeCache = new WeakMap<InstrumentationScope, Parts>();

/** Writes `write()`'s output to the buffer, then takes a copy of it out again. */
function capture(write: () => void): Uint8Array {
  const from = pos;
  write();
  const copy = Uint8Array.prototype.slice.call(buf, from, pos);
  pos = from;
  return copy;
}

function resourcePartsOf(resource: Resource): Parts {
  let parts = resourceCache.get(resource);
  if (parts !== undefined) return parts;
  const dropped = (resource as { droppedAttributesCount?: number }).droppedAttributesCount;
  parts = {
    open: capture(() => {
      if (hasKeys(resource.attributes) || dropped) {
        ascii('{"resource":{');
        let first = attributesField(true, resource.attributes);
        first = countField(first, 'droppedAttributesCount', dropped);
        ascii('},"scopeSpans":[');
      } else {
        ascii('{"scopeSpans":[');
      }
    }),
    close: capture(() => closeWithSchemaUrl(resource.schemaUrl)),
  };
  // A resource whose detectors are still running may change; only settled ones are cached.
  if (resource.asyncAttributesPending !== true) resourceCache.set(resource, parts);
  return parts;
}

function scopePartsOf(scope: OtlpScope): Parts {
  let parts = scopeCache.get(scope);
  if (parts !== undefined) return parts;
  const hasScope =
    scope.name || scope.version || (scope.attributes && hasKeys(scope.attributes)) || scope.droppedAttributesCount;
  parts = {
    open: capture(() => {
      if (!hasScope) {
        ascii('{"spans":[');
        return;
      }
      ascii('{"scope":{');
      let first = true;
      if (scope.name) {
        ascii('"name":');
        quoted(scope.name);
        first = false;
      }
      if (scope.version) {
        ascii(first ? '"version":' : ',"version":');
        quoted(scope.version);
        first = false;
      }
      if (scope.attributes !== undefined) first = attributesField(first, scope.attributes);
      countField(first, 'droppedAttributesCount', scope.droppedAttributesCount);
      ascii('},"spans":[');
    }),
    close: capture(() => closeWithSchemaUrl(scope.schemaUrl)),
  };
  scopeCache.set(scope, parts);
  return parts;
}

function closeWithSchemaUrl(schemaUrl: string | undefined): void {
  if (schemaUrl) {
    ascii('],"schemaUrl":');
    quoted(schemaUrl);
    ascii('}');
  } else {
    ascii(']}');
  }
}

function hasKeys(attributes: Attributes): boolean {
  for (const _ in attributes) return true;
  return false;
}

function writeSpan(span: ReadableSpan): void {
  const ctx = span.spanContext();
  ascii('{"traceId":"');
  ascii(ctx.traceId);
  ascii('","spanId":"');
  ascii(ctx.spanId);
  ascii('"');
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    ascii(',"traceState":');
    quoted(traceState);
  }
  const parentId = span.parentSpanContext?.spanId;
  if (parentId) {
    ascii(',"parentSpanId":"');
    ascii(parentId);
    ascii('"');
  }
  const flags = spanFlags(span);
  if (flags !== 0) {
    ascii(',"flags":');
    ascii(String(flags));
  }
  if (span.name) {
    ascii(',"name":');
    quoted(span.name);
  }
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    ascii(',"kind":');
    ascii(String(kind));
  }
  timeField(false, 'startTimeUnixNano', span.startTime);
  timeField(false, 'endTimeUnixNano', span.endTime);
  attributesField(false, span.attributes);
  countField(false, 'droppedAttributesCount', span.droppedAttributesCount);
  const events = span.events;
  if (events.length > 0) {
    ascii(',"events":[');
    for (let i = 0; i < events.length; i++) {
      if (i > 0) comma();
      writeEvent(events[i]!);
    }
    ascii(']');
  }
  countField(false, 'droppedEventsCount', span.droppedEventsCount);
  const links = span.links;
  if (links.length > 0) {
    ascii(',"links":[');
    for (let i = 0; i < links.length; i++) {
      if (i > 0) comma();
      writeLink(links[i]!);
    }
    ascii(']');
  }
  countField(false, 'droppedLinksCount', span.droppedLinksCount);
  const status = span.status;
  if (status.code || status.message) {
    ascii(',"status":{');
    if (status.message) {
      ascii('"message":');
      quoted(status.message);
      if (status.code) comma();
    }
    if (status.code) {
      ascii('"code":');
      ascii(String(status.code));
    }
    ascii('}');
  }
  ascii('}');
}

function writeEvent(event: TimedEvent): void {
  ascii('{');
  let first = timeField(true, 'timeUnixNano', event.time);
  if (event.name) {
    ascii(first ? '"name":' : ',"name":');
    quoted(event.name);
    first = false;
  }
  if (event.attributes !== undefined) first = attributesField(first, event.attributes);
  countField(first, 'droppedAttributesCount', event.droppedAttributesCount);
  ascii('}');
}

function writeLink(link: Link): void {
  const ctx = link.context;
  ascii('{"traceId":"');
  ascii(ctx.traceId);
  ascii('","spanId":"');
  ascii(ctx.spanId);
  ascii('"');
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    ascii(',"traceState":');
    quoted(traceState);
  }
  if (link.attributes !== undefined) attributesField(false, link.attributes);
  countField(false, 'droppedAttributesCount', link.droppedAttributesCount);
  const flags = linkFlags(link);
  if (flags !== 0) {
    ascii(',"flags":');
    ascii(String(flags));
  }
  ascii('}');
}

/**
 * The field helpers take and return `first`: whether nothing has been written in the
 * current object yet (so no comma is due). They write nothing for a default value.
 */
function timeField(first: boolean, name: string, time: HrTime): boolean {
  if (time[0] === 0 && time[1] === 0) return first;
  ascii(first ? '"' : ',"');
  ascii(name);
  ascii('":"');
  ascii(hrTimeToNanosString(time));
  ascii('"');
  return false;
}

function countField(first: boolean, name: string, count: number | undefined): boolean {
  if (!count) return first;
  ascii(first ? '"' : ',"');
  ascii(name);
  ascii('":');
  ascii(String(count));
  return false;
}

function attributesField(first: boolean, attributes: Attributes): boolean {
  let none = true;
  for (const key in attributes) {
    if (none) {
      ascii(first ? '"attributes":[' : ',"attributes":[');
      none = false;
    } else {
      comma();
    }
    keyValue(key, attributes[key]);
  }
  if (none) return first;
  ascii(']');
  return false;
}

function keyValue(key: string, value: unknown): void {
  if (key === '') {
    ascii('{"value":');
  } else {
    ascii('{"key":');
    quoted(key);
    ascii(',"value":');
  }
  anyValue(value);
  ascii('}');
}

/** An attribute value as an OTLP AnyValue. Anything OTLP cannot hold (undefined, functions) is the empty value. */
function anyValue(value: unknown): void {
  switch (typeof value) {
    case 'string':
      ascii('{"stringValue":');
      quoted(value);
      ascii('}');
      return;
    case 'number':
      numberValue(value);
      return;
    case 'boolean':
      ascii(value ? '{"boolValue":true}' : '{"boolValue":false}');
      return;
    case 'bigint':
      ascii('{"intValue":"');
      ascii(String(BigInt.asIntN(64, value)));
      ascii('"}');
      return;
    case 'object':
      if (value === null) break;
      if (value instanceof Uint8Array) {
        ascii('{"bytesValue":"');
        ascii(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
        ascii('"}');
        return;
      }
      if (Array.isArray(value)) {
        arrayValue(value);
        return;
      }
      if (value instanceof OtlpDouble) {
        ascii('{"doubleValue":');
        ascii(doubleText(value.value));
        ascii('}');
        return;
      }
      kvlistValue(value as Record<string, unknown>);
      return;
  }
  ascii('{}');
}

const MAX_INT64 = 2 ** 63;

/** Integral numbers that fit int64 are `intValue` (as the SDK's own exporters do); the rest are doubles. */
function numberValue(value: number): void {
  if (Number.isInteger(value) && value < MAX_INT64 && value >= -MAX_INT64) {
    ascii('{"intValue":"');
    ascii(Number.isSafeInteger(value) ? String(value) : String(BigInt(value)));
    ascii('"}');
    return;
  }
  ascii('{"doubleValue":');
  ascii(doubleText(value));
  ascii('}');
}

/** OTLP/JSON (proto3 JSON) spells non-finite doubles as strings; -0 keeps its sign. */
function doubleText(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
  if (value !== value) return '"NaN"';
  return value > 0 ? '"Infinity"' : '"-Infinity"';
}

function arrayValue(values: readonly unknown[]): void {
  if (values.length === 0) {
    ascii('{"arrayValue":{}}');
    return;
  }
  ascii('{"arrayValue":{"values":[');
  for (let i = 0; i < values.length; i++) {
    if (i > 0) comma();
    anyValue(values[i]);
  }
  ascii(']}}');
}

function kvlistValue(map: Record<string, unknown>): void {
  const keys = Object.keys(map);
  if (keys.length === 0) {
    ascii('{"kvlistValue":{}}');
    return;
  }
  ascii('{"kvlistValue":{"values":[');
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) comma();
    keyValue(keys[i]!, map[keys[i]!]);
  }
  ascii(']}}');
}
