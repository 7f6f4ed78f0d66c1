import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Context, defaultTextMapGetter, type Link, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { RawSpanLimits } from '../../src/config/RawConfig.js';
import { createTracing, type Tracing } from '../../src/createTracing.js';
import { silentLogger } from '../../src/logger.js';
import { JsonTraceEncoder } from '../../src/otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../../src/otlp/proto/ProtoTraceEncoder.js';
import { decodeTracesProto } from '../../src/otlp/proto/decodeTracesProto.js';
import { CompactSpan } from '../../src/span/CompactSpan.js';
import { RecordingExporter } from '../support/RecordingExporter.js';

const T0 = 1_700_000_000;
const at = (ms: number): [number, number] => [T0 + Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
const REMOTE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const REMOTE_SPAN = '00f067aa0ba902b7';
const LINKED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true };

interface Case {
  name: string;
  rate: number;
  spanLimits?: RawSpanLimits;
  run(tracer: Tracer, tracing: Tracing): void;
}

function remote(tracing: Tracing, flags: string, tracestate?: string): Context {
  const carrier: Record<string, string> = { traceparent: `00-${REMOTE_TRACE}-${REMOTE_SPAN}-${flags}` };
  if (tracestate !== undefined) carrier.tracestate = tracestate;
  return tracing.propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

const error = Object.assign(new Error('boom'), { stack: 'Error: boom\n    at here (file.js:1:1)' });
const CASES: Case[] = [
  {
    name: "issue 19's workload at rate 1e6: a root with 5 attributes",
    rate: 1_000_000,
    run: (tracer) => {
      for (let i = 0; i < 3; i++) {
        const span = tracer.startSpan('GET /api/items', { startTime: at(i) });
        span.setAttribute('http.request.method', 'GET').setAttribute('http.response.status_code', 200).setAttribute('url.path', '/api/items');
        span.setAttribute('server.port', 8080).setAttribute('app.request.sequence', i);
        span.end(at(i + 1));
      }
    },
  },
  {
    name: 'every API call: options, links, events, status, exceptions, a rename, children through the active context',
    rate: 1_000_000,
    run: (tracer) => {
      const links: Link[] = [{ context: LINKED, attributes: { 'link.kind': 'follows' } }];
      tracer.startActiveSpan('server', { kind: SpanKind.SERVER, attributes: { a: 'x', n: [1, 2], bad: { no: 1 } as never }, links, startTime: at(0) }, (root: Span) => {
        root.addEvent('received', { size: 10 }, at(1)).addLink({ context: LINKED }).setAttributes({ b: true, c: 1.5 });
        const child = tracer.startSpan('db', { kind: SpanKind.CLIENT, startTime: at(2) });
        child.recordException(error, at(3));
        child.recordException('plain', at(4));
        child.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
        child.end(at(5));
        tracer.startSpan('root option', { root: true, startTime: at(6) }).end(at(7));
        root.updateName('GET /items/:id');
        root.setStatus({ code: SpanStatusCode.OK });
        root.end(at(8));
        root.setAttribute('late', 1);
      });
    },
  },
  {
    name: 'a sampled remote parent at rate 0: its trace, tracestate and random flag, a remote parent in the flags',
    rate: 0,
    run: (tracer, tracing) => {
      const parent = remote(tracing, '03', 'vendor=a,ot=rv:0123456789abcd');
      const span = tracer.startSpan('child of remote', { startTime: at(0) }, parent);
      tracer.startSpan('grandchild', { startTime: at(1) }, trace.setSpan(parent, span)).end(at(2));
      span.end(at(3));
      tracer.startSpan('child of 01', { startTime: at(4) }, remote(tracing, '01')).end(at(5));
    },
  },
  {
    name: 'limits: attributes past the count limit, events past the event limit',
    rate: 1_000_000,
    run: (tracer) => {
      const span = tracer.startSpan('limits', { startTime: at(0) });
      for (let i = 0; i < 130; i++) span.setAttribute(`k${i}`, i);
      span.setAttribute('k0', 'updated in place');
      for (let i = 0; i < 130; i++) span.addEvent(`e${i}`, at(i));
      span.end(at(200));
    },
  },
  {
    name: 'configured limits (tracing_service.span_limits): counts, value length, per-event and per-link attributes',
    rate: 1_000_000,
    spanLimits: { attribute_count_limit: 3, attribute_value_length_limit: 4, event_count_limit: 1, link_count_limit: 1, event_attribute_count_limit: 1, link_attribute_count_limit: 1 },
    run: (tracer) => {
      const links: Link[] = [
        { context: LINKED, attributes: { first: 1, second: 2 } },
        { context: { ...LINKED, spanId: 'c7ad6b7169203331' } },
      ];
      const span = tracer.startSpan('configured', { startTime: at(0), links, attributes: { s: 'abcdefgh', arr: ['abcdef', 'xy'] } });
      span.setAttribute('n', 12345678).setAttribute('over', 'the count');
      span.addEvent('one', { a: 1, b: 2 }, at(1)).addEvent('two', at(2));
      span.end(at(3));
    },
  },
];

/** Ids renamed by order of first appearance, so two pipelines' random ids compare. */
function normalized(json: string): unknown {
  const names = new Map<string, string>();
  const rename = (id: string) => {
    if (!names.has(id)) names.set(id, `id${names.size}`);
    return names.get(id)!;
  };
  return JSON.parse(json, (key, value: unknown) =>
    (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string' && value !== REMOTE_TRACE && value !== REMOTE_SPAN && value !== LINKED.traceId && value !== LINKED.spanId ? rename(value) : value,
  );
}

/** One case through a pipeline: its exported spans, as OTLP/JSON and protobuf (decoded back). */
async function exportedBy(c: Case, processors: SpanProcessor[] | undefined): Promise<{ spans: ReadableSpan[]; json: unknown; proto: unknown }> {
  const exporter = new RecordingExporter();
  const tracing = createTracing(
    { service_name: 'conformance', tracing_service: { enabled: true, exporter_url: 'grpc://127.0.0.1:4317', sampling_rate_per_million: c.rate, span_limits: c.spanLimits } },
    { exporter, logger: silentLogger, spanProcessors: processors },
  );
  try {
    c.run(tracing.tracer('conformance', '1.0.0'), tracing);
    await tracing.forceFlush();
    const spans = exporter.spans;
    const json = normalized(new JsonTraceEncoder().encode(spans));
    const proto = normalized(new JsonTraceEncoder().encode(decodeTracesProto(new ProtoTraceEncoder().encode(spans)).spans));
    return { spans, json, proto };
  } finally {
    await tracing.shutdown();
  }
}

const passive = (): SpanProcessor => ({ onStart: () => {}, onEnd: () => {}, forceFlush: async () => {}, shutdown: async () => {} });

for (const c of CASES) {
  test(`a CompactSpan pipeline exports what the SDK span pipeline does: ${c.name}`, async () => {
    const compact = await exportedBy(c, undefined);
    const sdk = await exportedBy(c, [passive()]);
    assert.ok(compact.spans.length > 0);
    assert.ok(compact.spans.every((s) => s instanceof CompactSpan), 'without processors sampled spans are CompactSpans');
    assert.ok(sdk.spans.every((s) => !(s instanceof CompactSpan)), "with a processor they are the SDK's");
    assert.deepEqual(compact.json, sdk.json);
    assert.deepEqual(compact.proto, sdk.proto);
    assert.deepEqual(compact.proto, compact.json);
  });
}

test('the cases hold what they say: ids, flags, tracestate and limits as exported', async () => {
  const [workload, api, remoteCase, limits, configured] = await Promise.all(CASES.map((c) => exportedBy(c, undefined)));
  const root = workload!.spans[0]!;
  assert.equal(root.spanContext().traceFlags, 3, 'sampled and random');
  assert.equal(root.spanContext().traceState?.serialize(), 'ot=th:0');
  assert.equal(root.parentSpanContext, undefined);
  assert.deepEqual(root.attributes, { 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.path': '/api/items', 'server.port': 8080, 'app.request.sequence': 0 });
  const [db, rootOption, server] = api!.spans;
  assert.deepEqual([db!.name, rootOption!.name, server!.name], ['db', 'root option', 'GET /items/:id']);
  assert.equal(db!.parentSpanContext?.spanId, server!.spanContext().spanId);
  assert.equal(db!.spanContext().traceId, server!.spanContext().traceId);
  assert.equal(rootOption!.parentSpanContext, undefined);
  assert.notEqual(rootOption!.spanContext().traceId, server!.spanContext().traceId);
  assert.deepEqual(server!.attributes, { a: 'x', n: [1, 2], b: true, c: 1.5 });
  assert.equal(server!.links.length, 2);
  const [grandchild, child, child01] = remoteCase!.spans;
  assert.equal(child!.spanContext().traceId, REMOTE_TRACE);
  assert.equal(child!.parentSpanContext?.spanId, REMOTE_SPAN);
  assert.equal(child!.parentSpanContext?.isRemote, true);
  assert.equal(child!.spanContext().traceFlags, 3);
  assert.equal(child!.spanContext().traceState?.serialize(), 'vendor=a,ot=rv:0123456789abcd');
  assert.equal(grandchild!.parentSpanContext?.spanId, child!.spanContext().spanId);
  assert.equal(child01!.spanContext().traceFlags, 1, 'a parent without the random flag passes none on');
  const limited = limits!.spans[0]!;
  assert.equal(Object.keys(limited.attributes).length, 128);
  assert.equal(limited.attributes.k0, 'updated in place');
  assert.equal(limited.droppedAttributesCount, 2);
  assert.equal(limited.events.length, 128);
  assert.equal(limited.droppedEventsCount, 2);
  const c = configured!.spans[0]!;
  assert.deepEqual(c.attributes, { s: 'abcd', arr: ['abcd', 'xy'], n: 12345678 });
  assert.equal(c.droppedAttributesCount, 1);
  assert.deepEqual(c.links.map((l) => [l.context.spanId, l.attributes, l.droppedAttributesCount]), [['c7ad6b7169203331', undefined, undefined]]);
  assert.equal(c.droppedLinksCount, 1);
  assert.deepEqual(c.events.map((e) => [e.name, e.attributes, e.droppedAttributesCount]), [['two', {}, 0]]);
  assert.equal(c.droppedEventsCount, 1);
});
