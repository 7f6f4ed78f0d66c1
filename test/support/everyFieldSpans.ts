/**
 * Spans that exercise every OTLP span field, for the encoding tests:
 *
 *   makeSdkSpans()     ended spans from the real SDK (TracerProvider + in-memory exporter):
 *                      two resources' worth of scopes, every attribute value type, events
 *                      with and without attributes, links (remote, with tracestate), remote
 *                      parents, every kind and status, dropped counts from span limits,
 *                      schema URLs, text that JSON must escape, non-ASCII text
 *   makeOtlpSpans()    hand-built OtlpSpans for what the SDK cannot make: resource dropped
 *                      counts, scope attributes, integral doubles, 64-bit ints, raw flags,
 *                      SPAN_KIND_UNSPECIFIED, empty values
 *   handSpan(overrides)  one hand-built OtlpSpan: fixed ids and times, no attributes, events
 *                      or links, unless `overrides` says otherwise
 */
import { ROOT_CONTEXT, createTraceState, trace, type Attributes, type HrTime, type SpanKind, type SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { OtlpDouble } from '../../src/otlp/OtlpDouble.js';
import { OtlpResource } from '../../src/otlp/OtlpResource.js';
import { OtlpSpan, type OtlpScope, type OtlpSpanInit } from '../../src/otlp/OtlpSpan.js';
import { OtlpTraceState } from '../../src/otlp/OtlpTraceState.js';

export const START: HrTime = [1_763_700_000, 5];
const later = (nanos: number): HrTime => [START[0] + Math.floor((START[1] + nanos) / 1e9), (START[1] + nanos) % 1e9];

export const ESCAPES = 'quote " backslash \\ newline \n tab \t nul \u0000 bell \u0007 del \u007f';
export const UNICODE = 'héllo wörld ✓ 😀 中文';
export const LONE_SURROGATE = 'broken \ud800 pair';

/**
 * OTLP values beyond the API's attribute type (bytes, maps, null, bigint, OtlpDouble): the SDK
 * stores them as given and our encoders write them, so the fixtures hand them over as Attributes.
 */
export const otlpAttributes = (values: Record<string, unknown>): Attributes => values as Attributes;

export const EVERY_VALUE_TYPE = {
  str: 'text',
  emptyStr: '',
  escapes: ESCAPES,
  unicode: UNICODE,
  int: 42,
  zero: 0,
  negative: -7,
  maxSafe: Number.MAX_SAFE_INTEGER,
  minSafe: Number.MIN_SAFE_INTEGER,
  pow60: 2 ** 60,
  double: 1.5,
  negDouble: -0.25,
  tiny: 1e-7,
  huge: 1.5e300,
  nan: NaN,
  inf: Infinity,
  negInf: -Infinity,
  yes: true,
  no: false,
  bytes: new Uint8Array([0, 1, 2, 253, 254, 255]),
  emptyBytes: new Uint8Array(0),
  strings: ['a', 'b', ''],
  numbers: [1, 2.5, -3],
  mixed: ['x', 1, true, null, [2, [3]], { k: 'v' }],
  emptyArray: [],
  map: { nested: { deeper: [1, 'two'] }, flag: false },
  emptyMap: {},
  nothing: null,
};

export async function makeSdkSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(
      { 'service.name': 'encoding-test', 'host.cpu.count': 2, 'deployment.tags': ['a', 'b'] },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
    ),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    spanLimits: { attributeCountLimit: 64, eventCountLimit: 3, linkCountLimit: 2, attributePerEventCountLimit: 2, attributePerLinkCountLimit: 2 },
  });
  const tracer = provider.getTracer('encoding-lib', '2.3.4', { schemaUrl: 'https://example.com/scope-schema' });
  const bare = provider.getTracer('bare-lib');

  const root = tracer.startSpan('root "span" ✓', { kind: 1, startTime: START, attributes: otlpAttributes(EVERY_VALUE_TYPE) });
  root.addEvent('with attributes', { 'event.int': 1, 'event.str': 'e' }, later(1000));
  root.addEvent('without attributes', undefined, later(2000));
  root.addEvent('too many attributes', { a: 1, b: 2, c: 3, d: 4 }, later(3000));
  root.addEvent('', { only: 'attributes' }, later(4000));
  root.addEvent('fourth event is dropped', {}, later(5000));
  root.setStatus({ code: 2, message: 'it failed: ' + ESCAPES });
  root.end(later(999_999_999));

  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true,
    traceState: createTraceState('vendor=abc,ot=th:0'),
  });
  const child = tracer.startSpan(
    'child of remote',
    {
      kind: 2,
      startTime: later(10),
      links: [
        {
          context: {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            traceFlags: 1,
            isRemote: true,
            traceState: createTraceState('k=v'),
          },
          attributes: { 'link.kind': 'follows', 'link.n': 3, 'link.extra': true },
        },
        { context: { traceId: '0af7651916cd43dd8448eb211c80319d', spanId: 'b7ad6b7169203332', traceFlags: 0 } },
        { context: { traceId: '0af7651916cd43dd8448eb211c80319e', spanId: 'b7ad6b7169203333', traceFlags: 1 } },
      ],
    },
    remoteParent,
  );
  child.setStatus({ code: 1 });
  child.end(later(20));

  const local = trace.setSpan(ROOT_CONTEXT, child);
  const grandchild = bare.startSpan(UNICODE, { kind: 3, startTime: later(11) }, local);
  grandchild.setAttribute('lone', LONE_SURROGATE);
  grandchild.end(later(19));

  for (const kind of [0, 3, 4]) {
    const span = bare.startSpan(`kind ${kind}`, { kind, startTime: [0, 999], attributes: { i: kind } });
    span.end([1, 0]);
  }

  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

const handResource = new OtlpResource(otlpAttributes({ 'service.name': 'hand', city: 'Zürich', nested: { a: [1] } }), 'https://r.example/ü', 3);
const bareResource = new OtlpResource({});
const handScope: OtlpScope = {
  name: 'hand-scope',
  version: '0.0.1',
  schemaUrl: 'https://s.example/✓',
  attributes: otlpAttributes({ 'scope.attr': 'x', count: new OtlpDouble(2) }),
  droppedAttributesCount: 4,
};
const emptyScope: OtlpScope = { name: '' };

export function handSpan(overrides: Partial<OtlpSpanInit>): OtlpSpan {
  return new OtlpSpan({
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    parentSpanId: '',
    traceState: undefined,
    flags: 0,
    name: 'hand',
    kind: 0,
    startTime: START,
    endTime: later(1),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0 },
    resource: handResource,
    instrumentationScope: handScope,
    ...overrides,
  });
}

export function makeOtlpSpans(): OtlpSpan[] {
  return [
    handSpan({
      parentSpanId: 'eee19b7ec3c1b173',
      traceState: new OtlpTraceState('b=2, a=1 ,,c=3'),
      flags: 0x301,
      kind: -1 as SpanKind,
      attributes: otlpAttributes({
        one: new OtlpDouble(1),
        negZero: new OtlpDouble(-0),
        bigDouble: new OtlpDouble(1e300),
        maxInt64: 9223372036854775807n,
        minInt64: -9223372036854775808n,
        pastSafe: 9007199254740993n,
        arrayOfDoubles: [new OtlpDouble(3), 0.5],
        empty: null,
      }),
      droppedAttributesCount: 9,
      events: [
        { time: later(5), name: 'ev', attributes: otlpAttributes({ x: new OtlpDouble(7) }), droppedAttributesCount: 2 },
        { time: [0, 0], name: 'timeless', attributes: {} },
        { time: [0, 0], name: '', attributes: {}, droppedAttributesCount: 1 },
      ],
      droppedEventsCount: 11,
      links: [
        {
          context: { traceId: '5b8efff798038103d269b633813fc60d', spanId: 'eee19b7ec3c1b175', traceFlags: 1, isRemote: false },
          attributes: {},
          droppedAttributesCount: 1,
          flags: 0x101,
        },
        {
          context: { traceId: '5b8efff798038103d269b633813fc60e', spanId: 'eee19b7ec3c1b176', traceFlags: 0 },
          attributes: { a: 'b' },
          droppedAttributesCount: 0,
          flags: 0,
        },
      ],
      droppedLinksCount: 12,
      status: { code: 0, message: 'unset but explained' },
    }),
    handSpan({ spanId: 'eee19b7ec3c1b177', name: '', kind: 4, flags: 0x1ff, status: { code: 2 } }),
    handSpan({ spanId: 'eee19b7ec3c1b178', resource: bareResource, instrumentationScope: emptyScope, startTime: [0, 0], endTime: [0, 0] }),
    // Enums are open in proto3: values OTLP does not define, even negative ones, pass through.
    handSpan({ spanId: 'eee19b7ec3c1b179', kind: -6 as SpanKind, status: { code: -1 as SpanStatusCode }, flags: 0xffffffff }),
    // The SDK (API 1.9) drops bytes, maps and null attributes; decoded spans carry them.
    handSpan({ spanId: 'eee19b7ec3c1b17a', name: 'every value type', attributes: otlpAttributes(EVERY_VALUE_TYPE) }),
  ];
}
