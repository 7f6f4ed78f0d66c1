/**
 * Decodes OTLP trace requests (protobuf bytes or OTLP/JSON text) into plain objects that tests
 * compare with `assert.deepStrictEqual`: hex ids, timestamps as decimal nanosecond strings,
 * attributes as plain values. Decoding goes through protobufjs and the `.proto` files, not
 * through tracepipe's own decoders, so it checks them independently.
 *
 *   plainSpansFromProto(bytes)  ExportTraceServiceRequest / TracesData bytes → PlainSpan[]
 *   plainSpansFromJson(text)    OTLP/JSON → PlainSpan[]; throws on unknown keys or non-hex ids
 *   plainValue(anyValue)        one AnyValue (protobufjs object form) → plain JS value
 */
import type protobuf from 'protobufjs';
import { OtlpMessages } from '../../src/otlp/OtlpMessages.js';

const { ExportTraceServiceRequest } = new OtlpMessages();

/** An attribute value as plain JS: int64 is a number when safe, else a bigint; bytes a Buffer. */
export type PlainValue = string | number | bigint | boolean | Buffer | null | PlainValue[] | { [key: string]: PlainValue };
export type PlainAttributes = Record<string, PlainValue>;

export interface PlainSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: PlainAttributes;
  droppedAttributesCount: number;
  events: Array<{ name: string; timeUnixNano: string; attributes: PlainAttributes; droppedAttributesCount: number }>;
  droppedEventsCount: number;
  links: Array<{
    traceId: string;
    spanId: string;
    traceState: string;
    flags: number;
    attributes: PlainAttributes;
    droppedAttributesCount: number;
  }>;
  droppedLinksCount: number;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: PlainAttributes;
  scope: { name: string; version: string };
  /** The span as protobufjs decoded it (ids as Buffers), for checks on exact AnyValue types. */
  raw: Record<string, unknown>;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: true, arrays: true };

export function plainSpansFromProto(bytes: Uint8Array): PlainSpan[] {
  return fromMessage(ExportTraceServiceRequest.decode(bytes));
}

export function plainSpansFromJson(text: string): PlainSpan[] {
  const json = JSON.parse(text) as unknown;
  checkJson(json, ExportTraceServiceRequest, '$');
  return fromMessage(ExportTraceServiceRequest.fromObject(hexIdsToBytes(json) as Record<string, unknown>));
}

type Obj = Record<string, any>;

function fromMessage(message: protobuf.Message): PlainSpan[] {
  const request = ExportTraceServiceRequest.toObject(message, TO_OBJECT) as Obj;
  const out: PlainSpan[] = [];
  for (const rs of request.resourceSpans as Obj[]) {
    const resource = attributes(rs.resource?.attributes ?? []);
    for (const ss of rs.scopeSpans as Obj[]) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans as Obj[]) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState,
          flags: s.flags,
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: s.startTimeUnixNano,
          endTimeUnixNano: s.endTimeUnixNano,
          attributes: attributes(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount,
          events: (s.events as Obj[]).map((e) => ({
            name: e.name,
            timeUnixNano: e.timeUnixNano,
            attributes: attributes(e.attributes),
            droppedAttributesCount: e.droppedAttributesCount,
          })),
          droppedEventsCount: s.droppedEventsCount,
          links: (s.links as Obj[]).map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            traceState: l.traceState,
            flags: l.flags,
            attributes: attributes(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount,
          })),
          droppedLinksCount: s.droppedLinksCount,
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope,
          raw: s,
        });
      }
    }
  }
  return out;
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes).toString('hex');
}

function attributes(kvs: Obj[]): PlainAttributes {
  const out: PlainAttributes = {};
  for (const kv of kvs) out[kv.key] = plainValue(kv.value);
  return out;
}

export function plainValue(v: Obj | undefined | null): PlainValue {
  if (v === undefined || v === null) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const big = BigInt(v.intValue);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(plainValue);
  if (v.kvlistValue !== undefined) return attributes(v.kvlistValue.values ?? []);
  if (v.bytesValue !== undefined) return Buffer.from(v.bytesValue);
  return null;
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);
const HEX_ID = /^([0-9a-f]{2})*$/;

/** OTLP/JSON ids are hex (OTLP spec, "JSON Protobuf Encoding"), where protobuf JSON would be base64. */
function hexIdsToBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIdsToBytes);
  if (value === null || typeof value !== 'object') return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = ID_FIELDS.has(k) && typeof v === 'string' ? Buffer.from(v, 'hex') : hexIdsToBytes(v);
  return out;
}

/** Rejects keys the schema does not know (a snake_case or misspelt field would otherwise vanish) and non-hex ids. */
function checkJson(value: unknown, type: protobuf.Type, path: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path}: expected an object`);
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    if (field === undefined) throw new Error(`${path}.${key}: not a field of ${type.name}`);
    if (ID_FIELDS.has(key) && (typeof v !== 'string' || !HEX_ID.test(v))) throw new Error(`${path}.${key}: ids must be lowercase hex, got ${JSON.stringify(v)}`);
    const nested = field.resolvedType;
    if (nested === null || !('fields' in nested) || v === null) continue;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new Error(`${path}.${key}: expected an array`);
      v.forEach((item, i) => checkJson(item, nested as protobuf.Type, `${path}.${key}[${i}]`));
    } else {
      checkJson(v, nested as protobuf.Type, `${path}.${key}`);
    }
  }
}
