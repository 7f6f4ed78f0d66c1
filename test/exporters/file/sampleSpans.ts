// Real SDK spans that use every field the JS SDK can hold, for file exporter and capture tests.
import { type Attributes, context, createTraceState, type HrTime, type Link, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const BASE_SEC = 1_790_000_000;

function at(ms: number): HrTime {
  return [BASE_SEC + Math.floor(ms / 1000), (ms % 1000) * 1_000_000 + 123];
}

const EVERY_TYPE: Attributes = {
  'str': 'value "quoted" \\ é 🚀',
  'int': 42,
  'negative': -7,
  'double': 3.25,
  'bool': true,
  'strs': ['a', 'b'],
  'ints': [1, 2, 3],
  'doubles': [0.5, 1.5],
  'bools': [true, false],
};

/** Two services, three traces, 9 spans, with attributes of every type, events, links, statuses, trace state and a remote parent. */
export async function sampleSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const providers = [
    new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'test', 'host.cpus': 2 }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    }),
    new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'billing' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    }),
  ];
  const web = providers[0]!.getTracer('web', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  const db = providers[0]!.getTracer('db');
  const billing = providers[1]!.getTracer('billing-worker', '0.1.0');

  const root = web.startSpan('GET /checkout', { kind: SpanKind.SERVER, startTime: at(1000), attributes: EVERY_TYPE });
  root.addEvent('request.received', { size: 512 }, at(1001));
  root.addEvent('plain', at(1002));
  const inRoot = trace.setSpan(context.active(), root);
  const query = db.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: at(1010), attributes: { 'db.system': 'postgresql' } }, inRoot);
  query.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  query.recordException(new Error('deadlock'), at(1040));
  query.end(at(1050));
  const render = web.startSpan('render', { startTime: at(1060) }, inRoot);
  const template = web.startSpan('template', { kind: SpanKind.INTERNAL, startTime: at(1070) }, trace.setSpan(context.active(), render));
  template.end(at(1090));
  render.end(at(1100));
  const link: Link = { context: query.spanContext(), attributes: { reason: 'retry of' } };
  const produce = web.startSpan('publish invoice', { kind: SpanKind.PRODUCER, startTime: at(1110), links: [link] }, inRoot);
  produce.end(at(1115));
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(at(1200));

  // A span continuing a remote trace, with trace state, as after context propagation.
  const remote = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=abc,other=1'),
  });
  const consume = billing.startSpan('consume invoice', { kind: SpanKind.CONSUMER, startTime: at(2000) }, remote);
  consume.setAttribute('messaging.system', 'kafka');
  const charge = billing.startSpan('charge card', { startTime: at(2010) }, trace.setSpan(context.active(), consume));
  charge.end(at(2500));
  consume.end(at(2600));

  const lone = billing.startSpan('cron tick', { root: true, startTime: at(500) });
  lone.end(at(505));

  // Taken before shutdown, which empties the in-memory exporter.
  const spans = memory.getFinishedSpans();
  await Promise.all(providers.map((p) => p.shutdown()));
  return spans;
}

/** Every field of a span, as plain data, for exact comparisons across encode/decode. */
export function spanSnapshot(span: ReadableSpan): Record<string, unknown> {
  const ctx = span.spanContext();
  const scope = span.instrumentationScope;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    traceFlags: ctx.traceFlags,
    traceState: ctx.traceState?.serialize() ?? '',
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    parentIsRemote: span.parentSpanContext?.isRemote ?? false,
    name: span.name,
    kind: span.kind,
    startTime: [...span.startTime],
    endTime: [...span.endTime],
    attributes: { ...span.attributes },
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) => ({ name: e.name, time: [...e.time], attributes: { ...(e.attributes ?? {}) }, dropped: e.droppedAttributesCount ?? 0 })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      traceState: l.context.traceState?.serialize() ?? '',
      attributes: { ...(l.attributes ?? {}) },
      dropped: l.droppedAttributesCount ?? 0,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
    resource: { attributes: { ...span.resource.attributes }, schemaUrl: span.resource.schemaUrl ?? '' },
    scope: { name: scope.name, version: scope.version ?? '', schemaUrl: scope.schemaUrl ?? '' },
  };
}
