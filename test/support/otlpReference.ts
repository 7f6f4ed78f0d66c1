/**
 * An independent, deliberately plain model of what the OTLP encoders must produce:
 *
 *   expectedTracesObject(spans)   the TracesData that `spans` must encode to, in the shape of
 *                                 protobufjs `toObject(message, TO_OBJECT)` (ids base64,
 *                                 64-bit ints as decimal strings, enums as numbers, default
 *                                 values absent), built with BigInt/Buffer, not our encoders
 *   decodeWithProtobufjs(bytes)   protobufjs's view of protobuf bytes, in the same shape
 *   jsonToProtobufjsObject(json)  our OTLP/JSON text read back through protobufjs fromObject
 *                                 (hex ids turned into base64 first), verified, in the same shape
 *   assertOtlpJsonShape(json)     every key is a lowerCamelCase field OTLP defines at that place,
 *                                 and no non-oneof field holds its default value
 */
import assert from 'node:assert/strict';
import type { AttributeValue, Attributes, HrTime, Link } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import protobuf from 'protobufjs';
import { OtlpDouble } from '../../src/otlp/OtlpDouble.js';
import { OtlpSpan } from '../../src/otlp/OtlpSpan.js';
import { OtlpMessages } from '../../src/otlp/OtlpMessages.js';

const { TracesData } = new OtlpMessages();

export const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: String, enums: Number, defaults: false };

type Obj = Record<string, unknown>;

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
const nanos = (t: HrTime): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();

export function expectedTracesObject(spans: readonly ReadableSpan[]): Obj {
  const resources = new Map<unknown, Map<unknown, ReadableSpan[]>>();
  for (const span of spans) {
    if (!resources.has(span.resource)) resources.set(span.resource, new Map());
    const scopes = resources.get(span.resource)!;
    if (!scopes.has(span.instrumentationScope)) scopes.set(span.instrumentationScope, []);
    scopes.get(span.instrumentationScope)!.push(span);
  }
  const resourceSpans: Obj[] = [];
  for (const [, scopes] of resources) {
    const first = [...scopes.values()][0]![0]!;
    const resource = first.resource as typeof first.resource & { droppedAttributesCount?: number };
    const rs: Obj = {};
    const res: Obj = {};
    putAttributes(res, resource.attributes);
    if (resource.droppedAttributesCount) res.droppedAttributesCount = resource.droppedAttributesCount;
    if (Object.keys(res).length > 0) rs.resource = res;
    rs.scopeSpans = [...scopes.values()].map((list) => {
      const scope = list[0]!.instrumentationScope as { name: string; version?: string; schemaUrl?: string; attributes?: Attributes; droppedAttributesCount?: number };
      const ss: Obj = {};
      const sc: Obj = {};
      if (scope.name) sc.name = scope.name;
      if (scope.version) sc.version = scope.version;
      if (scope.attributes) putAttributes(sc, scope.attributes);
      if (scope.droppedAttributesCount) sc.droppedAttributesCount = scope.droppedAttributesCount;
      if (Object.keys(sc).length > 0) ss.scope = sc;
      ss.spans = list.map(expectedSpan);
      if (scope.schemaUrl) ss.schemaUrl = scope.schemaUrl;
      return ss;
    });
    if (resource.schemaUrl) rs.schemaUrl = resource.schemaUrl;
    resourceSpans.push(rs);
  }
  return resourceSpans.length > 0 ? { resourceSpans } : {};
}

function expectedFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

function expectedSpan(span: ReadableSpan): Obj {
  const ctx = span.spanContext();
  const out: Obj = { traceId: b64(ctx.traceId), spanId: b64(ctx.spanId) };
  const traceState = ctx.traceState?.serialize();
  if (traceState) out.traceState = traceState;
  if (span.parentSpanContext?.spanId) out.parentSpanId = b64(span.parentSpanContext.spanId);
  if (span.name) out.name = span.name;
  if (span.kind + 1 !== 0) out.kind = span.kind + 1;
  if (span.startTime[0] || span.startTime[1]) out.startTimeUnixNano = nanos(span.startTime);
  if (span.endTime[0] || span.endTime[1]) out.endTimeUnixNano = nanos(span.endTime);
  putAttributes(out, span.attributes);
  if (span.droppedAttributesCount) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events.length) {
    out.events = span.events.map((e) => {
      const ev: Obj = {};
      if (e.time[0] || e.time[1]) ev.timeUnixNano = nanos(e.time);
      if (e.name) ev.name = e.name;
      if (e.attributes) putAttributes(ev, e.attributes);
      if (e.droppedAttributesCount) ev.droppedAttributesCount = e.droppedAttributesCount;
      return ev;
    });
  }
  if (span.droppedEventsCount) out.droppedEventsCount = span.droppedEventsCount;
  if (span.links.length) out.links = span.links.map(expectedLink);
  if (span.droppedLinksCount) out.droppedLinksCount = span.droppedLinksCount;
  if (span.status.code || span.status.message) {
    const st: Obj = {};
    if (span.status.message) st.message = span.status.message;
    if (span.status.code) st.code = span.status.code;
    out.status = st;
  }
  const flags = span instanceof OtlpSpan ? span.flags : expectedFlags(ctx.traceFlags, span.parentSpanContext?.isRemote);
  if (flags) out.flags = flags;
  return out;
}

function expectedLink(link: Link): Obj {
  const out: Obj = { traceId: b64(link.context.traceId), spanId: b64(link.context.spanId) };
  const traceState = link.context.traceState?.serialize();
  if (traceState) out.traceState = traceState;
  if (link.attributes) putAttributes(out, link.attributes);
  if (link.droppedAttributesCount) out.droppedAttributesCount = link.droppedAttributesCount;
  const raw = (link as { flags?: number }).flags;
  const flags = raw ?? expectedFlags(link.context.traceFlags, link.context.isRemote);
  if (flags) out.flags = flags;
  return out;
}

function putAttributes(into: Obj, attributes: Attributes): void {
  const list = Object.entries(attributes).map(([key, value]) => expectedKeyValue(key, value));
  if (list.length > 0) into.attributes = list;
}

function expectedKeyValue(key: string, value: unknown): Obj {
  return key === '' ? { value: expectedAnyValue(value) } : { key, value: expectedAnyValue(value) };
}

export function expectedAnyValue(value: AttributeValue | unknown): Obj {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (typeof value === 'number') {
    return Number.isInteger(value) && Math.abs(value) < 2 ** 63 ? { intValue: BigInt(value).toString() } : { doubleValue: value };
  }
  if (value instanceof OtlpDouble) return { doubleValue: value.value };
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: value.length ? { values: value.map(expectedAnyValue) } : {} };
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return { kvlistValue: entries.length ? { values: entries.map(([k, v]) => expectedKeyValue(k, v)) } : {} };
  }
  return {};
}

export function decodeWithProtobufjs(bytes: Uint8Array): Obj {
  return TracesData.toObject(TracesData.decode(bytes), TO_OBJECT);
}

/** Hex id fields (OTLP/JSON) to base64 (protobufjs's JSON form of bytes), everywhere they occur. */
function hexIdsToBase64(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIdsToBase64);
  if (value === null || typeof value !== 'object') return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof v === 'string' ? b64(v) : hexIdsToBase64(v);
  }
  return out;
}

export function jsonToProtobufjsObject(json: string): Obj {
  const message = TracesData.fromObject(hexIdsToBase64(JSON.parse(json)) as Obj);
  assert.equal(TracesData.verify(message), null);
  return TracesData.toObject(message, TO_OBJECT);
}

const HEX_ID = { traceId: /^[0-9a-f]{32}$/, spanId: /^[0-9a-f]{16}$/, parentSpanId: /^[0-9a-f]{16}$/ } as Record<string, RegExp>;

export function assertOtlpJsonShape(json: string): void {
  walk(JSON.parse(json), TracesData, '$');
}

function walk(value: unknown, type: protobuf.Type, path: string): void {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${path} is an object`);
  for (const [key, v] of Object.entries(value as Obj)) {
    const field = type.fields[key];
    assert.ok(field, `${path}.${key} is a field of ${type.name}`);
    assert.ok(!key.includes('_'), `${path}.${key} is lowerCamelCase`);
    const where = `${path}.${key}`;
    if (field.repeated) {
      assert.ok(Array.isArray(v) && v.length > 0, `${where} is a non-empty array`);
      (v as unknown[]).forEach((item, i) => check(item, field, `${where}[${i}]`));
    } else {
      check(v, field, where);
    }
  }
}

function check(value: unknown, field: protobuf.Field, path: string): void {
  const inOneof = field.partOf !== null && field.partOf !== undefined;
  if (field.resolvedType instanceof protobuf.Type) {
    walk(value, field.resolvedType, path);
    return;
  }
  if (HEX_ID[field.name] && field.type === 'bytes') {
    assert.match(value as string, HEX_ID[field.name]!, `${path} is lowercase hex`);
    return;
  }
  switch (field.type) {
    case 'string':
    case 'bytes':
      assert.equal(typeof value, 'string', `${path} is a string`);
      if (!inOneof) assert.notEqual(value, '', `${path} is not the default`);
      break;
    case 'int64':
    case 'fixed64':
      assert.match(value as string, /^-?[0-9]+$/, `${path} is a decimal string`);
      if (!inOneof) assert.notEqual(value, '0', `${path} is not the default`);
      break;
    case 'bool':
      assert.equal(typeof value, 'boolean', `${path} is a boolean`);
      break;
    case 'double':
      assert.ok(typeof value === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(value as string), `${path} is a double`);
      break;
    default:
      // uint32, fixed32 and enums: JSON numbers, never the default 0.
      assert.ok(Number.isInteger(value), `${path} is an integer`);
      assert.notEqual(value, 0, `${path} is not the default`);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Protobuf strings are UTF-8, which cannot hold a lone surrogate: it becomes U+FFFD on the wire. */
export function asUtf8(value: unknown): any {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\ufffd');
  if (Array.isArray(value)) return value.map(asUtf8);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asUtf8(v)]));
}
