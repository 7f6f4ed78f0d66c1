import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DiagLogger, diag, DiagLogLevel, type Link, type Span, type SpanOptions, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { AlwaysOnSampler, type ReadableSpan, type SpanLimits, TracerProvider } from '@opentelemetry/sdk-trace';
import { JsonTraceEncoder } from '../../src/otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../../src/otlp/proto/ProtoTraceEncoder.js';
import { CompactSpan } from '../../src/span/CompactSpan.js';
import { heapAllocations } from '../support/heapAllocations.js';

const SDK_DEFAULTS: SpanLimits = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  linkCountLimit: 128,
  eventCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
};
const START: [number, number] = [1_700_000_000, 5_000];
const END: [number, number] = [1_700_000_001, 0];
const LINKED = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
const OTHER = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 };

interface Case {
  name: string;
  limits?: Partial<SpanLimits>;
  options?: SpanOptions;
  /** Everything done to the span after it starts; end it (or not) here. */
  run(span: Span): void;
}

const error = Object.assign(new Error('boom'), { stack: 'Error: boom\n    at here (file.js:1:1)' });
const CASES: Case[] = [
  {
    name: "issue 19's workload: 5 attributes, one a varying integer",
    run: (s) => {
      s.setAttribute('http.request.method', 'GET').setAttribute('http.response.status_code', 200).setAttribute('url.path', '/api/items');
      s.setAttribute('server.port', 8080).setAttribute('app.request.sequence', 123_456);
      s.end(END);
    },
  },
  {
    name: 'attributes from the options, setAttributes, the count and length limits',
    limits: { attributeCountLimit: 3, attributeValueLengthLimit: 5 },
    options: { kind: SpanKind.SERVER, attributes: { a: 'abcdefgh', b: [1, 2] } },
    run: (s) => {
      s.setAttributes({ c: ['long string', 'ok'], d: 'dropped', a: 'updated value' });
      s.setAttribute('', 'refused').setAttribute('e', { no: 1 } as never);
      s.end(END);
    },
  },
  {
    name: 'events: attributes, a time as second or third argument, sanitizing and limits',
    limits: { attributePerEventCountLimit: 2, attributeValueLengthLimit: 3 },
    run: (s) => {
      s.addEvent('plain', [1_700_000_000, 10]);
      s.addEvent('with attributes', { k: 'value', n: 1, bad: { x: 1 } as never, extra: true }, [1_700_000_000, 20]);
      s.addEvent('date', new Date(1_700_000_000_500));
      s.addEvent('time as both', [1_700_000_000, 30], [1_700_000_000, 40]);
      s.end(END);
    },
  },
  {
    name: 'events beyond eventCountLimit evict the oldest and are counted',
    limits: { eventCountLimit: 2 },
    run: (s) => {
      for (let i = 0; i < 5; i++) s.addEvent(`e${i}`, { i }, [1_700_000_000, i]);
      s.end(END);
    },
  },
  { name: 'eventCountLimit 0 drops every event with a warning', limits: { eventCountLimit: 0 }, run: (s) => (s.addEvent('x', [1_700_000_000, 1]), s.end(END)) },
  {
    name: 'links from the options and added later, with attribute limits and eviction',
    limits: { linkCountLimit: 2, attributePerLinkCountLimit: 1 },
    options: { links: [{ context: LINKED, attributes: { a: 1, b: 2 } }] },
    run: (s) => {
      s.addLink({ context: OTHER });
      s.addLinks([{ context: LINKED, attributes: { only: 'one' } } as Link, { context: OTHER, attributes: {} }]);
      s.end(END);
    },
  },
  { name: 'linkCountLimit 0 drops every link', limits: { linkCountLimit: 0 }, run: (s) => (s.addLink({ context: OTHER }), s.end(END)) },
  {
    name: 'status: UNSET ignored, ERROR with its message, OK final',
    run: (s) => {
      s.setStatus({ code: SpanStatusCode.UNSET });
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
      s.setStatus({ code: SpanStatusCode.OK, message: 'ignored for OK' });
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'after OK' });
      s.end(END);
    },
  },
  { name: 'status: a message that is not a string is dropped with a warning', run: (s) => (s.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never }), s.end(END)) },
  { name: 'updateName', run: (s) => (s.updateName('renamed'), s.end(END)) },
  {
    name: 'recordException: an Error, a string, an object with a code, nothing usable',
    run: (s) => {
      s.recordException(error, [1_700_000_000, 50]);
      s.recordException('plain message', [1_700_000_000, 60]);
      s.recordException({ code: 'ECONNRESET', message: 'reset' }, [1_700_000_000, 70]);
      s.recordException({} as Error, [1_700_000_000, 80]);
      s.end(END);
    },
  },
  {
    name: 'an ended span ignores everything, with the SDK diagnostics, and a second end is an error',
    run: (s) => {
      s.setAttribute('before', 1);
      s.end(END);
      s.setAttribute('after', 2).setAttributes({ x: 1 }).addEvent('late', [1_700_000_000, 1]).addLink({ context: OTHER });
      s.setStatus({ code: SpanStatusCode.ERROR }).updateName('late name');
      s.recordException(error, [1_700_000_000, 2]);
      s.end([1_700_000_009, 0]);
      assert.equal(s.isRecording(), false);
    },
  },
  { name: 'an end before the start gives a duration of 0 with a warning', run: (s) => s.end([1_699_999_999, 0]) },
  { name: 'a start as a Date and an end in epoch milliseconds', options: { startTime: new Date(1_700_000_000_123) }, run: (s) => s.end(1_700_000_000_456) },
];

function recordingDiag(): { messages: string[]; logger: DiagLogger } {
  const messages: string[] = [];
  const log = (level: string) => (message: string) => messages.push(`${level} ${message}`);
  return { messages, logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), verbose: log('verbose') } };
}

/** The same case through the SDK span and a CompactSpan (same ids, resource, scope and limits). */
function both(c: Case) {
  const { messages, logger } = recordingDiag();
  diag.setLogger(logger, DiagLogLevel.ALL);
  try {
    const ended: ReadableSpan[] = [];
    const limits = { ...SDK_DEFAULTS, ...c.limits };
    const provider = new TracerProvider({
      sampler: new AlwaysOnSampler(),
      spanLimits: limits,
      spanProcessors: [{ onStart: () => {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
    });
    const options = { startTime: START, ...c.options };
    const sdkSpan = provider.getTracer('conformance', '1.0.0').startSpan('GET /api/items', options);
    messages.length = 0;
    c.run(sdkSpan);
    const sdkMessages = messages.splice(0);
    const sdk = ended[0]!;
    const compactEnded: CompactSpan[] = [];
    const compact = new CompactSpan({
      spanContext: sdkSpan.spanContext(),
      parentSpanContext: sdk.parentSpanContext,
      name: 'GET /api/items',
      kind: options.kind,
      startTime: options.startTime,
      links: options.links,
      attributes: options.attributes,
      limits,
      resource: sdk.resource as Resource,
      scope: sdk.instrumentationScope,
      onEnd: (s) => compactEnded.push(s),
    });
    messages.length = 0;
    c.run(compact);
    const compactMessages = messages.splice(0);
    return { sdk, sdkMessages, compact, compactEnded, compactMessages };
  } finally {
    diag.disable();
  }
}

for (const c of CASES) {
  test(`CompactSpan as the SDK span: ${c.name}`, () => {
    const { sdk, sdkMessages, compact, compactEnded, compactMessages } = both(c);
    assert.deepEqual(compactEnded, [compact], 'ended once, handed on once');
    const json = new JsonTraceEncoder();
    assert.equal(json.encode([compact]), json.encode([sdk]));
    const proto = new ProtoTraceEncoder();
    assert.deepEqual(proto.encode([compact]), proto.encode([sdk]));
    for (const field of ['name', 'kind', 'startTime', 'endTime', 'duration', 'status', 'attributes', 'events', 'links', 'ended'] as const) {
      assert.deepEqual(compact[field], sdk[field], field);
    }
    for (const field of ['droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const) assert.equal(compact[field], sdk[field], field);
    assert.deepEqual(compactMessages, sdkMessages);
  });
}

test('the cases hold what they say, not only what the SDK does', () => {
  const evicted = both(CASES.find((c) => c.name.startsWith('events beyond'))!).compact;
  assert.deepEqual(evicted.events.map((e) => e.name), ['e3', 'e4']);
  assert.equal(evicted.droppedEventsCount, 3);
  const late = both(CASES.find((c) => c.name.startsWith('an ended span'))!);
  assert.deepEqual(late.compact.attributes, { before: 1 });
  assert.equal(late.compact.name, 'GET /api/items');
  assert.equal(late.compactMessages.filter((m) => m.startsWith('warn Cannot execute the operation on ended Span')).length, 8);
  assert.ok(late.compactMessages.at(-1)!.startsWith('error GET /api/items '));
  const exceptions = both(CASES.find((c) => c.name.startsWith('recordException'))!).compact;
  assert.deepEqual(
    exceptions.events.map((e) => e.attributes),
    [
      { 'exception.type': 'Error', 'exception.message': 'boom', 'exception.stacktrace': error.stack },
      { 'exception.message': 'plain message' },
      { 'exception.type': 'ECONNRESET', 'exception.message': 'reset' },
    ],
  );
});

test('a CompactSpan timed by the clock: start now, end after it, events in between', () => {
  const ended: CompactSpan[] = [];
  const span = new CompactSpan({
    spanContext: LINKED,
    name: 'clocked',
    limits: SDK_DEFAULTS,
    resource: { attributes: {} } as unknown as Resource,
    scope: { name: 's' },
    onEnd: (s) => ended.push(s),
  });
  const before = Date.now();
  span.addEvent('middle');
  span.end();
  const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
  assert.ok(Math.abs(ms(span.startTime) - before) < 1_000, 'start is now');
  assert.ok(ms(span.events[0]!.time) >= ms(span.startTime));
  assert.ok(ms(span.endTime) >= ms(span.events[0]!.time));
  assert.equal(span.isRecording(), false);
  assert.deepEqual(ended, [span]);
});

test('heap allocated per CompactSpan of the workload (start + 5 attributes + end) stays within its budget', async () => {
  // Measured the same way: the SDK's span (ids, sampler, SpanImpl) 1,582 bytes, a CompactSpan ≈ 780:
  // the span object with its init record (≈ 270), the attribute array's first growth (≈ 170), the
  // attribute store and start time (≈ 160), the end time (≈ 145). It was ≈ 1,100 with two
  // attribute arrays and a status, end time and duration array of its own from the start.
  const resource = { attributes: {} } as unknown as Resource;
  const scope = { name: 'budget' };
  const onEnd = () => {};
  const spans = 10_000;
  const bytes = await heapAllocations(() => {
    for (let i = 0; i < spans; i++) {
      const span = new CompactSpan({ spanContext: LINKED, name: 'GET /api/items', limits: SDK_DEFAULTS, resource, scope, onEnd });
      span.setAttribute('http.request.method', 'GET');
      span.setAttribute('http.response.status_code', 200);
      span.setAttribute('url.path', '/api/items');
      span.setAttribute('server.port', 8080);
      span.setAttribute('app.request.sequence', i);
      span.end();
    }
  }, 900 * spans);
  const perSpan = bytes / spans;
  assert.ok(perSpan < 900, `${perSpan.toFixed(0)} bytes allocated per CompactSpan`);
});
