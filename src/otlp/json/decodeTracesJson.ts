import type { Attributes, HrTime, SpanStatus } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace';
import { TracepipeError } from '../../errors.js';
import { idProblem, recordRejection, type DecodeResult } from '../DecodeResult.js';
import { nanosNumberToHrTime, nanosStringToHrTime } from '../hrTime.js';
import { OtlpDouble } from '../OtlpDouble.js';
import { OtlpResource } from '../OtlpResource.js';
import { OtlpSpan, type OtlpLink, type OtlpScope } from '../OtlpSpan.js';
import { OtlpTraceState } from '../OtlpTraceState.js';
import { setAttribute } from '../setAttribute.js';
import { JSON_KEY, MAX_DEPTH, SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../schema.js';

/**
 * Spans from OTLP/JSON (text, UTF-8 bytes or an already parsed value): a `TracesData` /
 * `ExportTraceServiceRequest` object `{"resourceSpans":[...]}`, or one bare `ResourceSpans`
 * object, as Teleport's file exporter writes per line. Both spellings of the OTLP/JSON mapping are accepted:
 * lowerCamelCase or snake_case keys; ids as hex (OTLP/JSON) or base64 (Go protojson's
 * default for bytes); enums as integers or names; 64-bit integers as strings or numbers.
 * The pre-1.0 `instrumentationLibrarySpans` form is read as scope spans. Unknown fields
 * are ignored, as OTLP requires of receivers. Spans with unusable ids are rejected and
 * counted; anything that is not such JSON throws TRACEPIPE_INVALID_OTLP.
 */
export function decodeTracesJson(value: string | Uint8Array | object): DecodeResult {
  let root: unknown = value;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    try {
      root = parseExact(typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
    } catch (error) {
      throw new TracepipeError('TRACEPIPE_INVALID_OTLP', `invalid OTLP/JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (!isObject(root)) fail('', 'expected a JSON object');
  const result: DecodeResult = { spans: [], rejected: 0, errors: [] };
  const list = field(root, 'resource_spans');
  if (list !== undefined) {
    const items = array(list, 'resourceSpans');
    for (let i = 0; i < items.length; i++) resourceSpans(items[i], `resourceSpans[${i}]`, result);
  } else if (isResourceSpans(root)) {
    resourceSpans(root, 'resourceSpans[0]', result);
  }
  return result;
}

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new TracepipeError('TRACEPIPE_INVALID_OTLP', `invalid OTLP/JSON: ${path ? `${path}: ` : ''}${message}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonInteger);
}

/**
 * An integer literal too long for a double, kept as its digits. proto3 JSON allows int64 and
 * fixed64 fields as numbers, and JSON.parse would round `1544712660123456789` to a double (Go's
 * protojson reads it exactly).
 */
class JsonInteger {
  constructor(readonly digits: string) {}
}

/** Any integer literal of 16 digits or more (2^53 has 16), with the quotes around strings, to skip them. */
const LONG_INTEGER = /[0-9]{16}/;

/**
 * JSON.parse, except that integer literals of 16 digits or more become JsonIntegers. Only text
 * that has such digits takes the slow path: long integers are quoted with a prefix the text does
 * not contain (so no string of the input can pass for one), and a reviver turns them back.
 * What it returns is for decodeTracesJson, which reads the JsonIntegers exactly; it throws what
 * JSON.parse throws.
 */
export function parseExact(text: string): unknown {
  if (!LONG_INTEGER.test(text)) return JSON.parse(text);
  // A prefix no string of the text has: valid JSON holds U+0001 only as the escape \u0001.
  let tag = 'int:';
  while (text.includes('\\u0001' + tag)) tag = '~' + tag;
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: to its closing quote, stepping over escapes.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      const next = text.charCodeAt(i);
      const digits = i - start - (c === 0x2d ? 1 : 0);
      if (next === 0x2e || next === 0x65 || next === 0x45) {
        // A fraction or an exponent: a double, left to JSON.parse.
        while (i < n && /[0-9.eE+-]/.test(text[i]!)) i++;
      } else if (digits >= 16) {
        parts.push(text.slice(from, start), '"\\u0001', tag, text.slice(start, i), '"');
        from = i;
      }
    } else i++;
  }
  if (from === 0) return JSON.parse(text);
  parts.push(text.slice(from));
  const prefix = '\u0001' + tag;
  return JSON.parse(parts.join(''), (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(prefix) ? new JsonInteger(value.slice(prefix.length)) : value,
  );
}

function isResourceSpans(value: Json): boolean {
  return (
    field(value, 'scope_spans') !== undefined ||
    field(value, 'instrumentation_library_spans') !== undefined ||
    field(value, 'resource') !== undefined
  );
}

type ProtoName = keyof typeof JSON_KEY;

/**
 * A field by its proto name, under its OTLP/JSON (lowerCamelCase) key or the proto name itself;
 * null counts as absent, as in proto3 JSON.
 */
function field(object: Json, name: ProtoName): unknown {
  const v = object[JSON_KEY[name]];
  if (v !== undefined && v !== null) return v;
  const s = object[name];
  return s === null ? undefined : s;
}

function object(value: unknown, path: string): Json {
  if (!isObject(value)) fail(path, 'expected an object');
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, 'expected an array');
  return value;
}

function string(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(path, 'expected a string');
  return value;
}

const UINT = /^[0-9]+$/;

function uint32(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (value instanceof JsonInteger) value = value.digits;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return value;
  if (typeof value === 'string' && UINT.test(value) && Number(value) <= 0xffffffff) return Number(value);
  return fail(path, 'expected an unsigned 32-bit integer');
}

function enumValue(value: unknown, names: Readonly<Record<string, number>>, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (value instanceof JsonInteger) return Number(value.digits);
  if (typeof value === 'string') {
    // Own names only: `toString` is no enum value.
    if (Object.hasOwn(names, value)) return names[value]!;
    if (/^-?[0-9]+$/.test(value)) return Number(value);
  }
  return fail(path, `expected one of ${Object.keys(names).join(', ')} or an integer`);
}

const ZERO_TIME: HrTime = Object.freeze([0, 0]) as unknown as HrTime;

function time(value: unknown, path: string): HrTime {
  if (value === undefined || value === null) return ZERO_TIME;
  if (value instanceof JsonInteger) value = value.digits;
  const t =
    typeof value === 'string' ? nanosStringToHrTime(value) : typeof value === 'number' ? nanosNumberToHrTime(value) : undefined;
  if (t === undefined) fail(path, 'expected unsigned 64-bit nanoseconds (a decimal string)');
  return t;
}

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * An id as lowercase hex, and its length in bytes (-1 when it is neither hex nor base64).
 * OTLP/JSON writes hex; Go's protojson writes bytes as base64 (24 characters for a trace
 * id, 12 for a span id). Text of only hex digits is hex unless it has exactly the base64
 * length, so a hex id of the wrong length is reported as such.
 */
function id(value: unknown, base64Length: number, path: string): { hex: string; bytes: number; zero: boolean } {
  const text = string(value, path);
  if (text === '') return { hex: '', bytes: 0, zero: true };
  let hex: string;
  if (HEX.test(text) && text.length % 2 === 0 && text.length !== base64Length) {
    hex = text.toLowerCase();
  } else if (BASE64.test(text) && text.length % 4 !== 1) {
    hex = Buffer.from(text, 'base64').toString('hex');
  } else {
    return { hex: '', bytes: -1, zero: false };
  }
  return { hex, bytes: hex.length / 2, zero: !/[^0]/.test(hex) };
}

function traceState(value: unknown, path: string): OtlpTraceState | undefined {
  const text = string(value, path);
  return text === '' ? undefined : new OtlpTraceState(text);
}

function resourceSpans(value: unknown, path: string, result: DecodeResult): void {
  const rs = object(value, path);
  const res = field(rs, 'resource');
  let attributes: Attributes = {};
  let dropped = 0;
  if (res !== undefined) {
    const r = object(res, `${path}.resource`);
    attributes = attributeMap(field(r, 'attributes'), `${path}.resource.attributes`);
    dropped = uint32(field(r, 'dropped_attributes_count'), `${path}.resource.droppedAttributesCount`);
  }
  const schemaUrl = string(field(rs, 'schema_url'), `${path}.schemaUrl`);
  const resource = new OtlpResource(attributes, schemaUrl || undefined, dropped);
  const scopes = array(field(rs, 'scope_spans'), `${path}.scopeSpans`);
  for (let i = 0; i < scopes.length; i++) scopeSpans(scopes[i], `${path}.scopeSpans[${i}]`, resource, result, 'scope');
  const legacy = array(
    field(rs, 'instrumentation_library_spans'),
    `${path}.instrumentationLibrarySpans`,
  );
  for (let i = 0; i < legacy.length; i++) {
    scopeSpans(legacy[i], `${path}.instrumentationLibrarySpans[${i}]`, resource, result, 'instrumentation_library');
  }
}

function scopeSpans(
  value: unknown,
  path: string,
  resource: OtlpResource,
  result: DecodeResult,
  scopeKey: 'scope' | 'instrumentation_library',
): void {
  const ss = object(value, path);
  const raw = field(ss, scopeKey);
  let name = '';
  let version = '';
  let attributes: Attributes | undefined;
  let dropped = 0;
  if (raw !== undefined) {
    const at = `${path}.${JSON_KEY[scopeKey]}`;
    const s = object(raw, at);
    name = string(field(s, 'name'), `${at}.name`);
    version = string(field(s, 'version'), `${at}.version`);
    const attrs = field(s, 'attributes');
    if (attrs !== undefined) attributes = attributeMap(attrs, `${at}.attributes`);
    dropped = uint32(field(s, 'dropped_attributes_count'), `${at}.droppedAttributesCount`);
  }
  const scope: OtlpScope = {
    name,
    version: version || undefined,
    schemaUrl: string(field(ss, 'schema_url'), `${path}.schemaUrl`) || undefined,
    attributes,
    droppedAttributesCount: dropped,
  };
  const spans = array(field(ss, 'spans'), `${path}.spans`);
  for (let i = 0; i < spans.length; i++) span(spans[i], `${path}.spans[${i}]`, resource, scope, result);
}

function span(value: unknown, path: string, resource: OtlpResource, scope: OtlpScope, result: DecodeResult): void {
  const s = object(value, path);
  const traceId = id(field(s, 'trace_id'), 24, `${path}.traceId`);
  const spanId = id(field(s, 'span_id'), 12, `${path}.spanId`);
  const parentId = id(field(s, 'parent_span_id'), 12, `${path}.parentSpanId`);
  const kind = enumValue(field(s, 'kind'), SPAN_KIND_NAMES, `${path}.kind`);
  const statusValue = field(s, 'status');
  let status: SpanStatus = { code: 0 };
  if (statusValue !== undefined) {
    const st = object(statusValue, `${path}.status`);
    const code = enumValue(field(st, 'code'), STATUS_CODE_NAMES, `${path}.status.code`);
    const message = string(field(st, 'message'), `${path}.status.message`);
    status = message === '' ? { code } : { code, message };
  }
  const events = array(field(s, 'events'), `${path}.events`).map((e, i) => event(e, `${path}.events[${i}]`));
  const links = array(field(s, 'links'), `${path}.links`).map((l, i) => link(l, `${path}.links[${i}]`));
  const init = {
    traceId: traceId.hex,
    spanId: spanId.hex,
    parentSpanId: parentId.hex,
    traceState: traceState(field(s, 'trace_state'), `${path}.traceState`),
    flags: uint32(field(s, 'flags'), `${path}.flags`),
    name: string(field(s, 'name'), `${path}.name`),
    kind: kind - 1,
    startTime: time(field(s, 'start_time_unix_nano'), `${path}.startTimeUnixNano`),
    endTime: time(field(s, 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    attributes: attributeMap(field(s, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(s, 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
    events,
    droppedEventsCount: uint32(field(s, 'dropped_events_count'), `${path}.droppedEventsCount`),
    links,
    droppedLinksCount: uint32(field(s, 'dropped_links_count'), `${path}.droppedLinksCount`),
    status,
    resource,
    instrumentationScope: scope,
  };
  const problem = idProblem(traceId.bytes, traceId.zero, spanId.bytes, spanId.zero, parentId.bytes);
  if (problem !== undefined) {
    recordRejection(result, `${path}: ${problem}`);
    return;
  }
  result.spans.push(new OtlpSpan(init));
}

function event(value: unknown, path: string): TimedEvent {
  const e = object(value, path);
  return {
    time: time(field(e, 'time_unix_nano'), `${path}.timeUnixNano`),
    name: string(field(e, 'name'), `${path}.name`),
    attributes: attributeMap(field(e, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(e, 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
  };
}

function link(value: unknown, path: string): OtlpLink {
  const l = object(value, path);
  const flags = uint32(field(l, 'flags'), `${path}.flags`);
  return {
    context: {
      traceId: id(field(l, 'trace_id'), 24, `${path}.traceId`).hex,
      spanId: id(field(l, 'span_id'), 12, `${path}.spanId`).hex,
      traceFlags: flags & 0xff,
      isRemote: (flags & 0x200) !== 0,
      traceState: traceState(field(l, 'trace_state'), `${path}.traceState`),
    },
    attributes: attributeMap(field(l, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(l, 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
    flags,
  };
}

/** A repeated KeyValue as an attributes object (a later duplicate key wins). */
function attributeMap(value: unknown, path: string, depth = 0): Attributes {
  const map: Attributes = {};
  const list = array(value, path);
  for (let i = 0; i < list.length; i++) {
    const kv = object(list[i], `${path}[${i}]`);
    const v = field(kv, 'value');
    setAttribute(map, string(field(kv, 'key'), `${path}[${i}].key`), v === undefined ? null : anyValue(v, `${path}[${i}].value`, depth));
  }
  return map;
}

/** The depth inside an array or map at `depth`. */
function enter(path: string, depth: number): number {
  if (depth + 1 > MAX_DEPTH) fail(path, `values nested more than ${MAX_DEPTH} deep`);
  return depth + 1;
}

const INT64 = /^-?[0-9]+$/;

function anyValue(value: unknown, path: string, depth: number): unknown {
  const v = object(value, path);
  let x: unknown;
  if ((x = field(v, 'string_value')) !== undefined) return string(x, `${path}.stringValue`);
  if ((x = field(v, 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') fail(`${path}.boolValue`, 'expected a boolean');
    return x;
  }
  if ((x = field(v, 'int_value')) !== undefined) return int64(x, `${path}.intValue`);
  if ((x = field(v, 'double_value')) !== undefined) return double(x, `${path}.doubleValue`);
  if ((x = field(v, 'array_value')) !== undefined) {
    const inner = enter(path, depth);
    const values = array(field(object(x, `${path}.arrayValue`), 'values'), `${path}.arrayValue.values`);
    return values.map((item, i) => (item === null ? null : anyValue(item, `${path}.arrayValue.values[${i}]`, inner)));
  }
  if ((x = field(v, 'kvlist_value')) !== undefined) {
    return attributeMap(field(object(x, `${path}.kvlistValue`), 'values'), `${path}.kvlistValue.values`, enter(path, depth));
  }
  if ((x = field(v, 'bytes_value')) !== undefined) {
    const text = string(x, `${path}.bytesValue`);
    if (!BASE64.test(text) || text.length % 4 === 1) fail(`${path}.bytesValue`, 'expected base64');
    return new Uint8Array(Buffer.from(text, 'base64'));
  }
  return null;
}

function int64(value: unknown, path: string): number | bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (value instanceof JsonInteger) value = value.digits;
  if (typeof value === 'string' && INT64.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
    const big = BigInt(value);
    if (big >= -(2n ** 63n) && big < 2n ** 63n) return big;
  }
  return fail(path, 'expected a 64-bit integer');
}

function double(value: unknown, path: string): number | OtlpDouble {
  let d: number;
  if (typeof value === 'number') d = value;
  else if (value instanceof JsonInteger) d = Number(value.digits);
  else if (value === 'NaN') d = NaN;
  else if (value === 'Infinity') d = Infinity;
  else if (value === '-Infinity') d = -Infinity;
  else if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) d = Number(value);
  else return fail(path, 'expected a number');
  return Number.isInteger(d) ? new OtlpDouble(d) : d;
}
