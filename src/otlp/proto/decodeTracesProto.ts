import type { Attributes, HrTime, SpanStatus } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace';
import { recordRejection, type DecodeResult } from '../DecodeResult.js';
import { fixed64ToHrTime } from '../hrTime.js';
import { OtlpDouble } from '../OtlpDouble.js';
import { OtlpResource } from '../OtlpResource.js';
import { OtlpSpan, type OtlpLink, type OtlpScope } from '../OtlpSpan.js';
import { OtlpTraceState } from '../OtlpTraceState.js';
import {
  buf,
  bytesAt,
  checkEnd,
  close,
  double,
  fail,
  fixed32,
  fixed64At,
  int64,
  lengthEnd,
  open,
  pos,
  seek,
  skip,
  spanIdsProblem,
  varint,
  view,
} from './ProtoReader.js';
import { setAttribute } from '../setAttribute.js';

/**
 * Spans from the protobuf bytes of an `ExportTraceServiceRequest` or `TracesData` (same
 * layout). A direct wire reader: it walks the bytes once and builds OtlpSpans, with no
 * intermediate message objects (several times faster than protobufjs decode + convert).
 * Unknown fields are skipped, as protobuf requires. A span with unusable ids is
 * rejected and counted; bytes that are not a valid message throw TRACEPIPE_INVALID_OTLP.
 */
export function decodeTracesProto(bytes: Uint8Array): DecodeResult {
  open(bytes);
  depth = 0;
  const result: DecodeResult = { spans: [], rejected: 0, errors: [] };
  try {
    const end = buf.length;
    let index = 0;
    while (pos < end) {
      const tag = varint();
      if (tag === 0x0a) resourceSpans(lengthEnd(end), index++, result);
      else skip(tag, end);
    }
  } finally {
    close();
  }
  return result;
}

function string(end: number): string {
  const at = bytesAt(end);
  return pos - at <= MAX_CACHED_LENGTH ? shortString(at, pos) : buf.toString('utf8', at, pos);
}

/**
 * Recently decoded short ASCII strings, by a hash of their length and a few sampled bytes.
 * Attribute keys and many values repeat in every span; returning the same string instance
 * skips the native decode and lets V8 reuse the interned key when it builds each
 * attributes object. A hit is confirmed byte by byte; only ASCII strings are cached, so a
 * match is always the exact decoding.
 */
const MAX_CACHED_LENGTH = 48;
const CACHE_SIZE = 4096;
const stringCache: string[] = new Array<string>(CACHE_SIZE).fill('');

function shortString(from: number, to: number): string {
  const length = to - from;
  if (length === 0) return '';
  const b = buf;
  let hash = Math.imul(length ^ b[from]!, 0x01000193);
  hash = Math.imul(hash ^ b[to - 1]!, 0x01000193);
  hash = Math.imul(hash ^ b[from + (length >> 1)]!, 0x01000193);
  hash = Math.imul(hash ^ b[from + (length >> 2)]!, 0x01000193);
  hash = Math.imul(hash ^ b[to - 1 - (length >> 2)]!, 0x01000193);
  const slot = (hash ^ (hash >>> 13)) & (CACHE_SIZE - 1);
  const cached = stringCache[slot]!;
  if (cached.length === length) {
    let i = 0;
    while (i < length && cached.charCodeAt(i) === b[from + i]) i++;
    if (i === length) return cached;
  }
  for (let i = from; i < to; i++) if (b[i]! >= 0x80) return b.toString('utf8', from, to);
  const text = b.latin1Slice(from, to);
  stringCache[slot] = text;
  return text;
}

function time(end: number): HrTime {
  const at = fixed64At(end);
  return fixed64ToHrTime(view.getUint32(at, true), view.getUint32(at + 4, true));
}

/** Position pairs [start, end) of sub-messages read after their parent's other fields. */
type Ranges = number[];

/**
 * The layout ResourceSpans and ScopeSpans share: 1 = the resource or scope (read by `header`,
 * which gets where it ends), 2 = the children (their ranges go into `children`, read later,
 * once the header is known), 3 = schema_url, which this returns.
 */
function envelope(end: number, header: (headerEnd: number) => void, children: Ranges): string {
  let schemaUrl = '';
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) {
      const headerEnd = lengthEnd(end);
      header(headerEnd);
      checkEnd(headerEnd);
    } else if (tag === 0x12) children.push(bytesAt(end), pos);
    else if (tag === 0x1a) schemaUrl = string(end);
    else skip(tag, end);
  }
  checkEnd(end);
  return schemaUrl;
}

function resourceSpans(end: number, index: number, result: DecodeResult): void {
  const attributes: Attributes = {};
  let dropped = 0;
  const scopes: Ranges = [];
  const schemaUrl = envelope(
    end,
    (resourceEnd) => {
      while (pos < resourceEnd) {
        const t = varint();
        if (t === 0x0a) keyValue(lengthEnd(resourceEnd), attributes);
        else if (t === 0x10) dropped = varint();
        else skip(t, resourceEnd);
      }
    },
    scopes,
  );
  const resource = new OtlpResource(attributes, schemaUrl || undefined, dropped);
  for (let i = 0; i < scopes.length; i += 2) {
    seek(scopes[i]!);
    scopeSpans(scopes[i + 1]!, resource, index, i >> 1, result);
  }
  seek(end);
}

function scopeSpans(end: number, resource: OtlpResource, r: number, s: number, result: DecodeResult): void {
  let name = '';
  let version = '';
  let attributes: Attributes | undefined;
  let dropped = 0;
  const spans: Ranges = [];
  const schemaUrl = envelope(
    end,
    (scopeEnd) => {
      while (pos < scopeEnd) {
        const t = varint();
        if (t === 0x0a) name = string(scopeEnd);
        else if (t === 0x12) version = string(scopeEnd);
        else if (t === 0x1a) keyValue(lengthEnd(scopeEnd), (attributes ??= {}));
        else if (t === 0x20) dropped = varint();
        else skip(t, scopeEnd);
      }
    },
    spans,
  );
  const scope: OtlpScope = {
    name,
    version: version || undefined,
    schemaUrl: schemaUrl || undefined,
    attributes,
    droppedAttributesCount: dropped,
  };
  for (let i = 0; i < spans.length; i += 2) {
    seek(spans[i]!);
    span(spans[i + 1]!, resource, scope, result, r, s, i >> 1);
  }
  seek(end);
}

const UNSET_STATUS: SpanStatus = Object.freeze({ code: 0 });
const ZERO_TIME: HrTime = Object.freeze([0, 0]) as unknown as HrTime;

function span(
  end: number,
  resource: OtlpResource,
  scope: OtlpScope,
  result: DecodeResult,
  r: number,
  s: number,
  index: number,
): void {
  let traceIdAt = 0;
  let traceIdEnd = 0;
  let spanIdAt = 0;
  let spanIdEnd = 0;
  let parentAt = 0;
  let parentEnd = 0;
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTime = ZERO_TIME;
  let endTime = ZERO_TIME;
  const attributes: Attributes = {};
  let droppedAttributes = 0;
  const events: TimedEvent[] = [];
  let droppedEvents = 0;
  const links: OtlpLink[] = [];
  let droppedLinks = 0;
  let status = UNSET_STATUS;
  while (pos < end) {
    const tag = varint();
    switch (tag) {
      case 0x0a:
        traceIdAt = bytesAt(end);
        traceIdEnd = pos;
        break;
      case 0x12:
        spanIdAt = bytesAt(end);
        spanIdEnd = pos;
        break;
      case 0x1a:
        traceState = string(end);
        break;
      case 0x22:
        parentAt = bytesAt(end);
        parentEnd = pos;
        break;
      case 0x2a:
        name = string(end);
        break;
      case 0x30:
        kind = varint() | 0;
        break;
      case 0x39:
        startTime = time(end);
        break;
      case 0x41:
        endTime = time(end);
        break;
      case 0x4a:
        keyValue(lengthEnd(end), attributes);
        break;
      case 0x50:
        droppedAttributes = varint();
        break;
      case 0x5a:
        events.push(event(lengthEnd(end)));
        break;
      case 0x60:
        droppedEvents = varint();
        break;
      case 0x6a:
        links.push(link(lengthEnd(end)));
        break;
      case 0x70:
        droppedLinks = varint();
        break;
      case 0x7a:
        status = spanStatus(lengthEnd(end));
        break;
      case 0x85: // field 16 (flags), fixed32
        flags = fixed32(end);
        break;
      default:
        skip(tag, end);
    }
  }
  checkEnd(end);
  const problem = spanIdsProblem(traceIdAt, traceIdEnd, spanIdAt, spanIdEnd, parentEnd - parentAt);
  if (problem !== undefined) {
    recordRejection(result, `resource_spans[${r}].scope_spans[${s}].spans[${index}]: ${problem}`);
    return;
  }
  result.spans.push(
    new OtlpSpan({
      traceId: buf.toString('hex', traceIdAt, traceIdEnd),
      spanId: buf.toString('hex', spanIdAt, spanIdEnd),
      parentSpanId: parentEnd === parentAt ? '' : buf.toString('hex', parentAt, parentEnd),
      traceState: traceState === '' ? undefined : new OtlpTraceState(traceState),
      flags,
      name,
      kind: kind - 1,
      startTime,
      endTime,
      attributes,
      droppedAttributesCount: droppedAttributes,
      events,
      droppedEventsCount: droppedEvents,
      links,
      droppedLinksCount: droppedLinks,
      status,
      resource,
      instrumentationScope: scope,
    }),
  );
}

function event(end: number): TimedEvent {
  let eventTime = ZERO_TIME;
  let name = '';
  let attributes: Attributes | undefined;
  let dropped = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x09) eventTime = time(end);
    else if (tag === 0x12) name = string(end);
    else if (tag === 0x1a) keyValue(lengthEnd(end), (attributes ??= {}));
    else if (tag === 0x20) dropped = varint();
    else skip(tag, end);
  }
  checkEnd(end);
  return { time: eventTime, name, attributes: attributes ?? {}, droppedAttributesCount: dropped };
}

function link(end: number): OtlpLink {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let attributes: Attributes | undefined;
  let dropped = 0;
  let flags = 0;
  while (pos < end) {
    const tag = varint();
    switch (tag) {
      case 0x0a:
        traceId = hex(end);
        break;
      case 0x12:
        spanId = hex(end);
        break;
      case 0x1a:
        traceState = string(end);
        break;
      case 0x22:
        keyValue(lengthEnd(end), (attributes ??= {}));
        break;
      case 0x28:
        dropped = varint();
        break;
      case 0x35:
        flags = fixed32(end);
        break;
      default:
        skip(tag, end);
    }
  }
  checkEnd(end);
  return {
    context: {
      traceId,
      spanId,
      traceFlags: flags & 0xff,
      isRemote: (flags & 0x200) !== 0,
      traceState: traceState === '' ? undefined : new OtlpTraceState(traceState),
    },
    attributes: attributes ?? {},
    droppedAttributesCount: dropped,
    flags,
  };
}

function hex(end: number): string {
  const at = bytesAt(end);
  return buf.toString('hex', at, pos);
}

function spanStatus(end: number): SpanStatus {
  let message = '';
  let code = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) message = string(end);
    else if (tag === 0x18) code = varint() | 0;
    else skip(tag, end);
  }
  checkEnd(end);
  return message === '' ? { code } : { code, message };
}

/** One KeyValue into `into` (a later duplicate key wins, as in a JS object). */
function keyValue(end: number, into: Record<string, unknown>): void {
  let key = '';
  let value: unknown = null;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) key = string(end);
    else if (tag === 0x12) value = anyValue(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
  setAttribute(into, key, value);
}

/** An AnyValue's body: the member of the oneof that is set, or null for the empty value. */
function anyValue(end: number): unknown {
  let value: unknown = null;
  while (pos < end) {
    const tag = varint();
    switch (tag) {
      case 0x0a:
        value = string(end);
        break;
      case 0x10:
        value = varint() !== 0;
        break;
      case 0x18:
        value = int64();
        break;
      case 0x21: {
        const d = double(end);
        value = Number.isInteger(d) ? new OtlpDouble(d) : d;
        break;
      }
      case 0x2a:
        value = arrayValue(lengthEnd(end));
        break;
      case 0x32:
        value = kvlistValue(lengthEnd(end));
        break;
      case 0x3a: {
        const at = bytesAt(end);
        value = new Uint8Array(buf.subarray(at, pos));
        break;
      }
      default:
        skip(tag, end);
    }
  }
  checkEnd(end);
  return value;
}

/** Arrays and maps nest; a limit keeps hostile input from exhausting the stack (protobuf's default is 100). */
const MAX_DEPTH = 100;
let depth = 0;

function enter(): void {
  if (++depth > MAX_DEPTH) fail(`values nested more than ${MAX_DEPTH} deep`);
}

function arrayValue(end: number): unknown[] {
  enter();
  const values: unknown[] = [];
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) values.push(anyValue(lengthEnd(end)));
    else skip(tag, end);
  }
  checkEnd(end);
  depth--;
  return values;
}

function kvlistValue(end: number): Record<string, unknown> {
  enter();
  const map: Record<string, unknown> = {};
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) keyValue(lengthEnd(end), map);
    else skip(tag, end);
  }
  checkEnd(end);
  depth--;
  return map;
}
