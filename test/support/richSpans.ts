/**
 * Spans that use every part of the OTLP span model, made by the stock SDK with fixed times,
 * and the PlainSpan each must arrive as (computed here from the SDK's own fields, so a test
 * compares an exporter + sink round trip against the source, not against our encoder).
 *
 *   makeRichSpans()        5 ended spans: two scopes, a remote parent with tracestate, a link,
 *                          events, every attribute type, every status code, several kinds
 *   expectedPlain(span)    the PlainSpan (without `raw`) that span must become
 *   withoutRaw(plain)      strips `raw` for deepStrictEqual
 *   assertArrivedExactly(received, sent)   each sent span arrived once, equal to expectedPlain
 *   RICH_START_NANOS       the root's start time as OTLP nanoseconds, for literal checks
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, createTraceState, trace, type Attributes, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import assert from 'node:assert/strict';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { PlainAttributes, PlainSpan, PlainValue } from './plainSpans.js';

export const RICH_START: HrTime = [1_763_700_000, 123_456_789];
export const RICH_START_NANOS = '1763700000123456789';
export const REMOTE_PARENT = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
export const LINKED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

const at = (ms: number): HrTime => [RICH_START[0] + Math.floor((RICH_START[1] + ms * 1e6) / 1e9), (RICH_START[1] + ms * 1e6) % 1e9];

export async function makeRichSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'exporter-test', 'deployment.environment.name': 'test', 'host.cpu.count': 2 }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('tracepipe-exporter-test', '0.9.1');
  const other = provider.getTracer('other-scope');

  const root = tracer.startSpan('GET /orders', {
    kind: SpanKind.SERVER,
    startTime: RICH_START,
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.ratio': 1.5,
      'cache.hit': false,
      'orders.ids': [7, 8, 9],
      'orders.tags': ['a', 'b'],
      'orders.flags': [true, false],
      'orders.weights': [0.25, 2.5],
      'big.int': 2 ** 40,
      'negative.int': -42,
      'empty.string': '',
    },
  }, ROOT_CONTEXT);
  root.addEvent('cache.miss', { 'cache.key': 'orders:7', 'retry.count': 2 }, at(1));
  root.addEvent('no-attributes', undefined, at(2));
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);

  const child = tracer.startSpan('SELECT orders', {
    kind: SpanKind.CLIENT,
    startTime: at(3),
    attributes: { 'db.system.name': 'postgresql' },
    links: [
      {
        context: { ...LINKED, traceFlags: 1, isRemote: true, traceState: createTraceState('vendor=abc,other=1') },
        attributes: { 'link.reason': 'batch' },
      },
    ],
  }, rootContext);
  child.setStatus({ code: SpanStatusCode.OK });
  child.end(at(10));

  const producer = other.startSpan('publish', { kind: SpanKind.PRODUCER, startTime: at(11) }, rootContext);
  producer.end(at(12));

  root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom: upstream failed' });
  root.end(at(20));

  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    ...REMOTE_PARENT,
    traceFlags: 1,
    isRemote: true,
    traceState: createTraceState('ot=th:0,vendor=kept'),
  });
  const consumer = tracer.startSpan('consume', { kind: SpanKind.CONSUMER, startTime: at(30) }, remoteParent);
  consumer.end(at(31));
  const internal = other.startSpan('internal work', { startTime: at(32) }, remoteParent);
  internal.end(at(33));

  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

function nanos(time: HrTime): string {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}

function plainAttributes(attributes: Attributes): PlainAttributes {
  const out: PlainAttributes = {};
  for (const [k, v] of Object.entries(attributes)) {
    if (v !== undefined) out[k] = (Array.isArray(v) ? [...v] : v) as PlainValue;
  }
  return out;
}

/** W3C flags, plus OTLP's "is-remote known" bit and the remote bit (trace.proto SpanFlags). */
function otlpFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

export function expectedPlain(span: ReadableSpan): Omit<PlainSpan, 'raw'> {
  const ctx = span.spanContext();
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    traceState: ctx.traceState?.serialize() ?? '',
    flags: otlpFlags(ctx.traceFlags, span.parentSpanContext?.isRemote),
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: plainAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) => ({
      name: e.name,
      timeUnixNano: nanos(e.time),
      attributes: plainAttributes(e.attributes ?? {}),
      droppedAttributesCount: e.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      traceState: l.context.traceState?.serialize() ?? '',
      flags: otlpFlags(l.context.traceFlags, l.context.isRemote),
      attributes: plainAttributes(l.attributes ?? {}),
      droppedAttributesCount: l.droppedAttributesCount ?? 0,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
    resource: plainAttributes(span.resource.attributes),
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version ?? '' },
  };
}

export function withoutRaw(span: PlainSpan): Omit<PlainSpan, 'raw'> {
  const { raw: _raw, ...rest } = span;
  return rest;
}

/** Every sent span arrived exactly once and field for field as expected; nothing else arrived. */
export function assertArrivedExactly(received: readonly PlainSpan[], sent: readonly ReadableSpan[]): void {
  assert.equal(received.length, sent.length, `received ${received.length} spans, sent ${sent.length}`);
  const byId = new Map(received.map((s) => [s.spanId, s]));
  assert.equal(byId.size, received.length, 'a span arrived twice');
  for (const span of sent) {
    const got = byId.get(span.spanContext().spanId);
    assert.ok(got, `span ${span.name} did not arrive`);
    assert.deepStrictEqual(withoutRaw(got), expectedPlain(span));
  }
}
