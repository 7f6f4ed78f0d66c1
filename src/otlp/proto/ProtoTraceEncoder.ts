import type { Attributes, HrTime, Link } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { groupSpans } from '../groupSpans.js';
import { hrTimeToFixed64 } from '../hrTime.js';
import { OtlpDouble } from '../OtlpDouble.js';
import type { OtlpScope } from '../OtlpSpan.js';
import { linkFlags, spanFlags } from '../spanFlags.js';
import { traceStateText } from '../TraceStateText.js';

/**
 * Ended spans as the protobuf bytes of an `ExportTraceServiceRequest` (the same layout as
 * `TracesData`), written straight into one reused buffer: no message objects, fields in
 * field-number order, defaults left out. A nested message reserves room for its length
 * and slides its body when the length needs a different number of bytes, so the output
 * is canonical. Encoding is synchronous, so one module-level buffer is safe to reuse.
 */
export function encodeTracesProto(spans: readonly ReadableSpan[]): Uint8Array {
  pos = 0;
  depth = 0;
  const groups = groupSpans(spans);
  for (const group of groups) {
    const resourceSpans = openField(0x0a, 3); // TracesData.resource_spans
    const resource = group.resource;
    writeCached(resourceCache, resource, writeResource, resource.asyncAttributesPending !== true);
    for (const scopeGroup of group.scopes) {
      const scopeSpans = openField(0x12, 3); // ResourceSpans.scope_spans
      writeCached(scopeCache, scopeGroup.scope, writeScope, true);
      const list = scopeGroup.spans;
      for (let i = 0; i < list.length; i++) writeSpan(list[i]!);
      if (scopeGroup.scope.schemaUrl) writeString(0x1a, scopeGroup.scope.schemaUrl); // ScopeSpans.schema_url
      close(scopeSpans, 3);
    }
    if (group.resource.schemaUrl) writeString(0x1a, group.resource.schemaUrl); // ResourceSpans.schema_url
    close(resourceSpans, 3);
  }
  const out = Buffer.allocUnsafeSlow(pos);
  buf.copy(out, 0, 0, pos);
  if (buf.length > MAX_KEPT_BUFFER) buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER);
  return out;
}

const INITIAL_BUFFER = 256 * 1024;
/** A huge batch grows the buffer; afterwards it is not kept around. */
const MAX_KEPT_BUFFER = 16 * 1024 * 1024;

let buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER);
let pos = 0;

function ensure(bytes: number): void {
  if (pos + bytes > buf.length) grow(bytes);
}

function grow(bytes: number): void {
  let size = buf.length * 2;
  while (size < pos + bytes) size *= 2;
  const next = Buffer.allocUnsafeSlow(size);
  buf.copy(next, 0, 0, pos);
  buf = next;
}

/** Writes a nested message's tag, reserves `reserved` bytes for its length and returns where the body starts. */
function openField(tag: number, reserved: number): number {
  ensure(reserved + 1);
  buf[pos++] = tag;
  pos += reserved;
  return pos;
}

/** Writes the body's length before it, moving the body if the length takes other than `reserved` bytes. */
function close(bodyStart: number, reserved: number): void {
  const length = pos - bodyStart;
  const size = varintSize(length);
  let at = bodyStart - reserved;
  if (size !== reserved) {
    if (size > reserved) ensure(size - reserved);
    buf.copyWithin(at + size, bodyStart, pos);
    pos += size - reserved;
  }
  let v = length;
  while (v > 127) {
    buf[at++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[at] = v;
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** A uint32 varint; callers have ensured room. */
function varint(v: number): void {
  while (v > 127) {
    buf[pos++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[pos++] = v;
}

/** An int64 varint from its two's-complement halves (10 bytes when negative). */
function varint64(low: number, high: number): void {
  while (high !== 0 || low > 127) {
    buf[pos++] = (low & 127) | 128;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  buf[pos++] = low;
}

/** An enum value: int32, so a negative one is a sign-extended 10-byte varint. */
function int32(v: number): void {
  if (v >= 0) varint(v);
  else varint64(v >>> 0, 0xffffffff);
}

function fixed32(v: number): void {
  buf[pos++] = v & 255;
  buf[pos++] = (v >>> 8) & 255;
  buf[pos++] = (v >>> 16) & 255;
  buf[pos++] = v >>> 24;
}

/** Signed: a uint32 over 2^31 passed on to fixed32 would be a boxed number, an int32 never is. */
const timeHalves = new Int32Array(2);

function writeTime(tag: number, time: HrTime): void {
  if (time[0] === 0 && time[1] === 0) return;
  ensure(9);
  buf[pos++] = tag;
  hrTimeToFixed64(time, timeHalves);
  fixed32(timeHalves[0]!);
  fixed32(timeHalves[1]!);
}

/** A uint32 field, left out when zero. */
function writeCount(tag: number, count: number | undefined): void {
  if (!count) return;
  ensure(6);
  buf[pos++] = tag;
  varint(count >>> 0);
}

/** A length-delimited UTF-8 string field. Short ASCII strings take a copying loop; the rest Buffer.write. */
function writeString(tag: number, text: string): void {
  const n = text.length;
  ensure(n * 3 + 6);
  buf[pos++] = tag;
  if (n < 43) {
    const lengthAt = pos++;
    const start = pos;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        pos = start + buf.write(text, start, 'utf8');
        break;
      }
      buf[pos++] = c;
    }
    buf[lengthAt] = pos - start;
    return;
  }
  const length = Buffer.byteLength(text, 'utf8');
  varint(length);
  pos += buf.write(text, pos, 'utf8');
}

const NIBBLE = new Int8Array(128).fill(0);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

/** A trace or span id field: hex text to raw bytes. */
function writeId(tag: number, hex: string): void {
  const n = hex.length >>> 1;
  ensure(n + 2);
  buf[pos++] = tag;
  buf[pos++] = n;
  for (let i = 0; i < n; i++) {
    buf[pos++] = (NIBBLE[hex.charCodeAt(2 * i) & 127]! << 4) | NIBBLE[hex.charCodeAt(2 * i + 1) & 127]!;
  }
}

/** Resources and scopes recur in every batch and do not change (a resource once settled): their bytes are kept per object. */
const resourceCache = new WeakMap<Resource, Uint8Array>();
const scopeCache = new WeakMap<InstrumentationScope, Uint8Array>();

/** Copies the bytes `write` produced for `key` before, or runs it (keeping a copy when `cacheable`). */
function writeCached<K extends object>(cache: WeakMap<K, Uint8Array>, key: K, write: (key: K) => void, cacheable: boolean): void {
  const cached = cache.get(key);
  if (cached !== undefined) {
    writeRaw(cached);
    return;
  }
  const from = pos;
  write(key);
  if (cacheable) cache.set(key, Uint8Array.prototype.slice.call(buf, from, pos));
}

function writeRaw(bytes: Uint8Array): void {
  ensure(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

/** ResourceSpans.resource. */
function writeResource(resource: Resource): void {
  const dropped = (resource as { droppedAttributesCount?: number }).droppedAttributesCount;
  if (!hasKeys(resource.attributes) && !dropped) return;
  const body = openField(0x0a, 2);
  writeAttributes(0x0a, resource.attributes);
  writeCount(0x10, dropped);
  close(body, 2);
}

/** ScopeSpans.scope. */
function writeScope(scope: OtlpScope): void {
  if (!scope.name && !scope.version && !(scope.attributes && hasKeys(scope.attributes)) && !scope.droppedAttributesCount) return;
  const body = openField(0x0a, 2);
  if (scope.name) writeString(0x0a, scope.name);
  if (scope.version) writeString(0x12, scope.version);
  if (scope.attributes !== undefined) writeAttributes(0x1a, scope.attributes);
  writeCount(0x20, scope.droppedAttributesCount);
  close(body, 2);
}

function hasKeys(attributes: Attributes): boolean {
  for (const _ in attributes) return true;
  return false;
}

function writeSpan(span: ReadableSpan): void {
  const ctx = span.spanContext();
  const body = openField(0x12, 2); // ScopeSpans.spans
  writeId(0x0a, ctx.traceId);
  writeId(0x12, ctx.spanId);
  const traceState = traceStateText(ctx.traceState);
  if (traceState) writeString(0x1a, traceState);
  const parentId = span.parentSpanContext?.spanId;
  if (parentId) writeId(0x22, parentId);
  if (span.name) writeString(0x2a, span.name);
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    ensure(11);
    buf[pos++] = 0x30;
    int32(kind);
  }
  writeTime(0x39, span.startTime);
  writeTime(0x41, span.endTime);
  writeAttributes(0x4a, span.attributes);
  writeCount(0x50, span.droppedAttributesCount);
  const events = span.events;
  for (let i = 0; i < events.length; i++) writeEvent(events[i]!);
  writeCount(0x60, span.droppedEventsCount);
  const links = span.links;
  for (let i = 0; i < links.length; i++) writeLink(links[i]!);
  writeCount(0x70, span.droppedLinksCount);
  const status = span.status;
  if (status.code || status.message) {
    const statusBody = openField(0x7a, 1);
    if (status.message) writeString(0x12, status.message);
    ensure(6);
    if (status.code) {
      buf[pos++] = 0x18;
      int32(status.code);
    }
    close(statusBody, 1);
  }
  const flags = spanFlags(span);
  if (flags !== 0) {
    ensure(6);
    buf[pos++] = 0x85; // field 16, fixed32: a two-byte tag
    buf[pos++] = 0x01;
    fixed32(flags);
  }
  close(body, 2);
}

function writeEvent(event: TimedEvent): void {
  const body = openField(0x5a, 2); // Span.events
  writeTime(0x09, event.time);
  if (event.name) writeString(0x12, event.name);
  if (event.attributes !== undefined) writeAttributes(0x1a, event.attributes);
  writeCount(0x20, event.droppedAttributesCount);
  close(body, 2);
}

function writeLink(link: Link): void {
  const ctx = link.context;
  const body = openField(0x6a, 2); // Span.links
  writeId(0x0a, ctx.traceId);
  writeId(0x12, ctx.spanId);
  const traceState = traceStateText(ctx.traceState);
  if (traceState) writeString(0x1a, traceState);
  if (link.attributes !== undefined) writeAttributes(0x22, link.attributes);
  writeCount(0x28, link.droppedAttributesCount);
  const flags = linkFlags(link);
  if (flags !== 0) {
    ensure(5);
    buf[pos++] = 0x35;
    fixed32(flags);
  }
  close(body, 2);
}

function writeAttributes(tag: number, attributes: Attributes): void {
  for (const key in attributes) writeKeyValue(tag, key, attributes[key]);
}

function writeKeyValue(tag: number, key: string, value: unknown): void {
  const body = openField(tag, 1);
  if (key !== '') writeString(0x0a, key);
  const valueBody = openField(0x12, 1); // KeyValue.value
  writeAnyValue(value);
  close(valueBody, 1);
  close(body, 1);
}

const MAX_INT64 = 2 ** 63;
const TWO_POW_32 = 4294967296;

/**
 * Arrays and maps nested deeper than this (in practice: an attribute that contains itself)
 * are written as the empty value rather than recursing until the stack runs out.
 */
const MAX_DEPTH = 100;
let depth = 0;

/** The body of an AnyValue; the same mapping as encodeTracesJson. */
function writeAnyValue(value: unknown): void {
  switch (typeof value) {
    case 'string':
      writeString(0x0a, value);
      return;
    case 'number':
      writeNumber(value);
      return;
    case 'boolean':
      ensure(2);
      buf[pos++] = 0x10;
      buf[pos++] = value ? 1 : 0;
      return;
    case 'bigint': {
      const v = BigInt.asUintN(64, value);
      ensure(11);
      buf[pos++] = 0x18;
      varint64(Number(v & 0xffffffffn), Number(v >> 32n));
      return;
    }
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        ensure(6);
        buf[pos++] = 0x3a;
        varint(value.length);
        writeRaw(value);
        return;
      }
      if (value instanceof OtlpDouble) {
        writeDouble(value.value);
        return;
      }
      if (depth >= MAX_DEPTH) return; // the empty value
      depth++;
      if (Array.isArray(value)) writeArray(value);
      else writeKvlist(value as Record<string, unknown>);
      depth--;
      return;
    default:
      return;
  }
}

function writeArray(values: readonly unknown[]): void {
  const body = openField(0x2a, 1); // AnyValue.array_value
  for (let i = 0; i < values.length; i++) {
    const element = openField(0x0a, 1); // ArrayValue.values
    writeAnyValue(values[i]);
    close(element, 1);
  }
  close(body, 1);
}

function writeKvlist(map: Record<string, unknown>): void {
  const body = openField(0x32, 1); // AnyValue.kvlist_value
  for (const key of Object.keys(map)) writeKeyValue(0x0a, key, map[key]);
  close(body, 1);
}

function writeNumber(value: number): void {
  if (Number.isInteger(value) && value < MAX_INT64 && value >= -MAX_INT64) {
    ensure(11);
    buf[pos++] = 0x18;
    if (value >= 0 && value < TWO_POW_32) varint(value);
    else if (Number.isSafeInteger(value)) varint64(value >>> 0, Math.floor(value / TWO_POW_32) >>> 0);
    else {
      const v = BigInt.asUintN(64, BigInt(value));
      varint64(Number(v & 0xffffffffn), Number(v >> 32n));
    }
    return;
  }
  writeDouble(value);
}

function writeDouble(value: number): void {
  ensure(9);
  buf[pos++] = 0x21;
  buf.writeDoubleLE(value, pos);
  pos += 8;
}
