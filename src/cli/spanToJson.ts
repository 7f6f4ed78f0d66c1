import { SpanKind, SpanStatusCode, type AttributeValue, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { OtlpDouble } from '../otlp/OtlpDouble.js';
import { hrTimeToNs } from '../capture/spanTime.js';

function value(v: unknown): unknown {
  if (v instanceof OtlpDouble) return v.value;
  // An int64 beyond 2^53 (decoded as a bigint): a decimal string, exactly; JSON numbers would round it.
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map(value);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]));
  return v;
}

function attrs(a: Attributes | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a === undefined) return out;
  for (const [k, v] of Object.entries(a)) out[k] = value(v as AttributeValue);
  return out;
}

/**
 * A span as one flat JSON object for `view --json` (for scripts and `jq`): hex ids, kind and
 * status by name, times as decimal nanosecond strings (exact), attributes as plain JSON.
 */
export function spanToJson(span: ReadableSpan): string {
  const ctx = span.spanContext();
  const start = hrTimeToNs(span.startTime);
  const end = hrTimeToNs(span.endTime);
  return JSON.stringify({
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: span.name,
    kind: SpanKind[span.kind] ?? 'UNSPECIFIED',
    service: span.resource.attributes['service.name'] ?? '',
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(end),
    durationNano: String(end - start),
    status: { code: SpanStatusCode[span.status.code] ?? 'UNSET', ...(span.status.message ? { message: span.status.message } : {}) },
    attributes: attrs(span.attributes),
    events: span.events.map((e) => ({ name: e.name, timeUnixNano: String(hrTimeToNs(e.time)), attributes: attrs(e.attributes) })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: attrs(l.attributes) })),
    resource: attrs(span.resource.attributes),
    scope: { name: span.instrumentationScope.name, ...(span.instrumentationScope.version ? { version: span.instrumentationScope.version } : {}) },
  });
}
