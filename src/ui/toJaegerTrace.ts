import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * Jaeger's query API JSON model (jaeger `model/json`, as its UI and `/api/traces` use it).
 * Times are µs since the epoch, durations µs.
 */
export interface JaegerKeyValue {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
  value: string | number | boolean;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerLog {
  timestamp: number;
  fields: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[];
  startTime: number;
  duration: number;
  tags: JaegerKeyValue[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
  flags: number;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerKeyValue[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

const KIND_NAMES: Record<number, string> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

function keyValue(key: string, value: unknown): JaegerKeyValue {
  if (typeof value === 'string') return { key, type: 'string', value };
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number') return { key, type: Number.isInteger(value) ? 'int64' : 'float64', value };
  if (typeof value === 'bigint') return { key, type: 'int64', value: Number(value) };
  if (value instanceof Uint8Array) return { key, type: 'binary', value: Buffer.from(value).toString('base64') };
  // Arrays and maps: as JSON text, as Jaeger's own OTLP translator does.
  return { key, type: 'string', value: JSON.stringify(value) ?? '' };
}

function keyValues(attributes: Attributes, skip?: string): JaegerKeyValue[] {
  const out: JaegerKeyValue[] = [];
  for (const [key, value] of Object.entries(attributes)) if (key !== skip && value !== undefined) out.push(keyValue(key, value));
  return out;
}

function micros(time: readonly [number, number]): number {
  return time[0] * 1_000_000 + Math.floor(time[1] / 1000);
}

/**
 * One trace in Jaeger's model, with OTLP's extra fields as tags the way Jaeger's own OTLP
 * translator writes them: `span.kind`, `otel.status_code` and `otel.status_description`,
 * `error=true` on error spans, `otel.scope.name` / `otel.scope.version`, `w3c.tracestate`.
 * Events become logs (the name in an `event` field); links become FOLLOWS_FROM references.
 * Processes are the distinct resources, `p1`, `p2`... in order of first use.
 */
export function toJaegerTrace(traceId: string, spans: readonly ReadableSpan[]): JaegerTrace {
  const processIds = new Map<object, string>();
  const processes: Record<string, JaegerProcess> = {};
  const out: JaegerSpan[] = [];
  const sorted = [...spans].sort((a, b) => micros(a.startTime) - micros(b.startTime));
  for (const span of sorted) {
    let processID = processIds.get(span.resource);
    if (processID === undefined) {
      processID = `p${processIds.size + 1}`;
      processIds.set(span.resource, processID);
      const name = span.resource.attributes['service.name'];
      processes[processID] = { serviceName: typeof name === 'string' ? name : '', tags: keyValues(span.resource.attributes, 'service.name') };
    }
    const ctx = span.spanContext();
    const references: JaegerReference[] = [];
    if (span.parentSpanContext !== undefined) references.push({ refType: 'CHILD_OF', traceID: ctx.traceId, spanID: span.parentSpanContext.spanId });
    for (const link of span.links) references.push({ refType: 'FOLLOWS_FROM', traceID: link.context.traceId, spanID: link.context.spanId });
    const tags = keyValues(span.attributes);
    const kind = KIND_NAMES[span.kind];
    if (kind !== undefined) tags.push({ key: 'span.kind', type: 'string', value: kind });
    if (span.status.code === SpanStatusCode.ERROR) {
      tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' }, { key: 'error', type: 'bool', value: true });
    } else if (span.status.code === SpanStatusCode.OK) {
      tags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
    }
    if (span.status.message) tags.push({ key: 'otel.status_description', type: 'string', value: span.status.message });
    const scope = span.instrumentationScope;
    if (scope.name) tags.push({ key: 'otel.scope.name', type: 'string', value: scope.name });
    if (scope.version) tags.push({ key: 'otel.scope.version', type: 'string', value: scope.version });
    const traceState = ctx.traceState?.serialize();
    if (traceState) tags.push({ key: 'w3c.tracestate', type: 'string', value: traceState });
    out.push({
      traceID: ctx.traceId,
      spanID: ctx.spanId,
      operationName: span.name,
      references,
      startTime: micros(span.startTime),
      duration: Math.max(0, micros(span.endTime) - micros(span.startTime)),
      tags,
      logs: span.events.map((e) => ({ timestamp: micros(e.time as [number, number]), fields: [{ key: 'event', type: 'string', value: e.name }, ...keyValues(e.attributes ?? {})] })),
      processID,
      warnings: null,
      flags: ctx.traceFlags,
    });
  }
  return { traceID: traceId, spans: out, processes, warnings: null };
}
