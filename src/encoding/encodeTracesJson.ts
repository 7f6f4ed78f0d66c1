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
 * 64-bit integers as decimal strings, default values left out. The text is built
 * directly (no intermediate objects, no JSON.stringify of the whole); the resource and
 * scope parts are cached per object, since a provider reuses them for every span.
 */
export function encodeTracesJson(spans: readonly ReadableSpan[]): string {
  let out = '{"resourceSpans":[';
  const groups = groupSpans(spans);
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const resourceParts = resourcePartsOf(group.resource);
    if (g > 0) out += ',';
    out += resourceParts.open;
    for (let s = 0; s < group.scopes.length; s++) {
      const scopeGroup = group.scopes[s]!;
      const scopeParts = scopePartsOf(scopeGroup.scope);
      if (s > 0) out += ',';
      out += scopeParts.open;
      const list = scopeGroup.spans;
      for (let i = 0; i < list.length; i++) {
        if (i > 0) out += ',';
        out += spanJson(list[i]!);
      }
      out += scopeParts.close;
    }
    out += resourceParts.close;
  }
  return out + ']}';
}

interface Parts {
  readonly open: string;
  readonly close: string;
}

const resourceCache = new WeakMap<Resource, Parts>();
const scopeCache = new WeakMap<InstrumentationScope, Parts>();

function resourcePartsOf(resource: Resource): Parts {
  let parts = resourceCache.get(resource);
  if (parts !== undefined) return parts;
  let body = attributesField('', resource.attributes);
  body = countField(body, 'droppedAttributesCount', (resource as { droppedAttributesCount?: number }).droppedAttributesCount);
  parts = {
    open: (body === '' ? '{' : '{"resource":{' + body + '},') + '"scopeSpans":[',
    close: ']' + (resource.schemaUrl ? ',"schemaUrl":' + quote(resource.schemaUrl) : '') + '}',
  };
  // A resource whose detectors are still running may change; only settled ones are cached.
  if (resource.asyncAttributesPending !== true) resourceCache.set(resource, parts);
  return parts;
}

function scopePartsOf(scope: OtlpScope): Parts {
  let parts = scopeCache.get(scope);
  if (parts !== undefined) return parts;
  let body = scope.name ? '"name":' + quote(scope.name) : '';
  if (scope.version) body += (body === '' ? '' : ',') + '"version":' + quote(scope.version);
  if (scope.attributes !== undefined) body = attributesField(body, scope.attributes);
  body = countField(body, 'droppedAttributesCount', scope.droppedAttributesCount);
  parts = {
    open: (body === '' ? '{' : '{"scope":{' + body + '},') + '"spans":[',
    close: ']' + (scope.schemaUrl ? ',"schemaUrl":' + quote(scope.schemaUrl) : '') + '}',
  };
  scopeCache.set(scope, parts);
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
  if (flags !== 0) out += ',"flags":' + flags;
  if (span.name) out += ',"name":' + quote(span.name);
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) out += ',"kind":' + kind;
  out = timeField(out, 'startTimeUnixNano', span.startTime);
  out = timeField(out, 'endTimeUnixNano', span.endTime);
  out = attributesField(out, span.attributes);
  out = countField(out, 'droppedAttributesCount', span.droppedAttributesCount);
  const events = span.events;
  if (events.length > 0) {
    out += ',"events":[';
    for (let i = 0; i < events.length; i++) out += (i > 0 ? ',' : '') + eventJson(events[i]!);
    out += ']';
  }
  out = countField(out, 'droppedEventsCount', span.droppedEventsCount);
  const links = span.links;
  if (links.length > 0) {
    out += ',"links":[';
    for (let i = 0; i < links.length; i++) out += (i > 0 ? ',' : '') + linkJson(links[i]!);
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

function eventJson(event: TimedEvent): string {
  let out = timeField('', 'timeUnixNano', event.time);
  if (event.name) out += (out === '' ? '' : ',') + '"name":' + quote(event.name);
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

/** `out` plus `,"name":"<nanos>"`, or `out` unchanged for a zero time. */
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
    list += (list === '' ? '[' : ',') + keyValueJson(key, attributes[key]);
  }
  if (list === '') return out;
  return out + (out === '' ? '"attributes":' : ',"attributes":') + list + ']';
}

function keyValueJson(key: string, value: unknown): string {
  return (key === '' ? '{"value":' : '{"key":' + quote(key) + ',"value":') + anyValueJson(value) + '}';
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
      if (value instanceof Uint8Array) return '{"bytesValue":"' + base64(value) + '"}';
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
  if (Number.isInteger(value) && value < MAX_INT64 && value >= -MAX_INT64) {
    return '{"intValue":"' + BigInt(value) + '"}';
  }
  return '{"doubleValue":' + doubleJson(value) + '}';
}

/** OTLP/JSON (proto3 JSON) spells non-finite doubles as strings. */
function doubleJson(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
  if (value !== value) return '"NaN"';
  return value > 0 ? '"Infinity"' : '"-Infinity"';
}

function arrayJson(values: readonly unknown[]): string {
  if (values.length === 0) return '{"arrayValue":{}}';
  let out = '{"arrayValue":{"values":[';
  for (let i = 0; i < values.length; i++) out += (i > 0 ? ',' : '') + anyValueJson(values[i]);
  return out + ']}}';
}

function kvlistJson(map: Record<string, unknown>): string {
  let out = '';
  for (const key of Object.keys(map)) out += (out === '' ? '' : ',') + keyValueJson(key, map[key]);
  return out === '' ? '{"kvlistValue":{}}' : '{"kvlistValue":{"values":[' + out + ']}}';
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Characters JSON needs escaped, plus surrogates (a lone one must be written as \uXXXX). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"';
}
