import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { JsonTraceEncoder } from '../../../src/otlp/json/JsonTraceEncoder.js';
import { LineBufferPool } from '../../../src/exporters/file/LineBufferPool.js';
import { makeRealisticSpans } from '../../../benchmarks/makeRealisticSpans.js';
import { ENCODING_MODULES, heapAllocations } from '../../support/heapAllocations.js';
import { makeOtlpSpans, makeSdkSpans } from '../../support/everyFieldSpans.js';
import { assertOtlpJsonShape, expectedTracesObject, jsonToProtobufjsObject } from '../../support/otlpReference.js';

const jsonEncoder = new JsonTraceEncoder();

describe('JsonTraceEncoder.encode', () => {
  it('encodes SDK spans that use every field; protobufjs reads back exactly the expected message', async () => {
    const spans = await makeSdkSpans();
    const json = jsonEncoder.encode(spans);
    assertOtlpJsonShape(json);
    assert.deepStrictEqual(jsonToProtobufjsObject(json), expectedTracesObject(spans));
  });

  it('encodes hand-built OtlpSpans (raw flags, integral doubles, int64 extremes, scope attributes)', () => {
    const spans = makeOtlpSpans();
    const json = jsonEncoder.encode(spans);
    assertOtlpJsonShape(json);
    assert.deepStrictEqual(jsonToProtobufjsObject(json), expectedTracesObject(spans));
  });

  it('follows the OTLP/JSON spelling rules literally', () => {
    const json = jsonEncoder.encode(makeOtlpSpans());
    const span = JSON.parse(json).resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(span.traceId, '5b8efff798038103d269b633813fc60c', 'ids are lowercase hex');
    assert.equal(span.parentSpanId, 'eee19b7ec3c1b173');
    assert.equal(span.startTimeUnixNano, '1763700000000000005', '64-bit values are decimal strings');
    assert.equal(span.flags, 0x301);
    assert.equal(span.kind, undefined);
    assert.equal(span.traceState, 'b=2, a=1 ,,c=3', 'tracestate passes through untouched');
    const attrs = Object.fromEntries(span.attributes.map((kv: any) => [kv.key, kv.value]));
    assert.deepStrictEqual(attrs.maxInt64, { intValue: '9223372036854775807' });
    assert.deepStrictEqual(attrs.one, { doubleValue: 1 }, 'an integral double stays a double');
    assert.ok(json.includes('{"key":"negZero","value":{"doubleValue":-0}}'));
    assert.deepStrictEqual(attrs.empty, {});
    assert.deepStrictEqual(span.status, { message: 'unset but explained' });
    const bare = JSON.parse(json).resourceSpans[1];
    assert.deepStrictEqual(Object.keys(bare), ['scopeSpans'], 'an empty resource is left out');
    assert.deepStrictEqual(Object.keys(bare.scopeSpans[0]), ['spans'], 'an empty scope is left out');
    assert.deepStrictEqual(Object.keys(bare.scopeSpans[0].spans[0]), ['traceId', 'spanId', 'name', 'kind'], 'zero flags and times are left out');
  });

  it('writes non-finite doubles as strings, escapes what JSON needs and keeps a lone surrogate', async () => {
    const spans = [...(await makeSdkSpans()), ...makeOtlpSpans()];
    const json = jsonEncoder.encode(spans);
    assert.ok(json.includes('{"key":"nan","value":{"doubleValue":"NaN"}}'));
    assert.ok(json.includes('{"key":"inf","value":{"doubleValue":"Infinity"}}'));
    assert.ok(json.includes('{"key":"negInf","value":{"doubleValue":"-Infinity"}}'));
    assert.ok(json.includes('{"key":"lone","value":{"stringValue":"broken \\ud800 pair"}}'));
    assert.ok(json.includes('"bytes","value":{"bytesValue":"AAEC/f7/"}}'));
    assert.ok(!/[\u0000-\u001f]/.test(json), 'no raw control characters');
    assert.equal(JSON.parse(json).resourceSpans[0].scopeSpans[0].spans[0].attributes[2].value.stringValue, 'quote " backslash \\ newline \n tab \t nul \u0000 bell \u0007 del \u007f');
  });

  it('carries the same data as the stock JSON serializer', async () => {
    const spans = await makeSdkSpans();
    const ours = jsonToProtobufjsObject(jsonEncoder.encode(spans));
    const stock = jsonToProtobufjsObject(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!));
    // The stock serializer writes JSON numbers for int64 and null for NaN; compare only the ids, names and times.
    const summary = (o: any) =>
      o.resourceSpans.flatMap((rs: any) =>
        rs.scopeSpans.flatMap((ss: any) => ss.spans.map((s: any) => [s.traceId, s.spanId, s.parentSpanId, s.name, s.kind, s.startTimeUnixNano, s.endTimeUnixNano, s.flags])),
      );
    assert.deepStrictEqual(summary(ours), summary(stock));
  });

  it('JsonTraceEncoder.encodeBytes is the same text as UTF-8, with an optional newline', async () => {
    const spans = await makeSdkSpans();
    const text = jsonEncoder.encode(spans);
    assert.deepStrictEqual(jsonEncoder.encodeBytes(spans), Buffer.from(text, 'utf8'));
    assert.deepStrictEqual(jsonEncoder.encodeBytes(spans, true), Buffer.from(text + '\n', 'utf8'));
    assert.equal(jsonEncoder.encode([]), '{"resourceSpans":[]}');
  });

  it('is stable across calls and batches (cached resource and scope parts are copies)', async () => {
    const spans = await makeSdkSpans();
    const first = jsonEncoder.encode(spans);
    jsonEncoder.encode(makeOtlpSpans());
    jsonEncoder.encode(spans.slice(2));
    assert.equal(jsonEncoder.encode(spans), first);
  });

  it('writes an attribute that contains itself as an empty value 100 levels down, not a stack overflow', () => {
    const [span] = makeOtlpSpans();
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    const selfish = Object.assign(Object.create(Object.getPrototypeOf(span)), span, { attributes: { cyclic } });
    let value = JSON.parse(jsonEncoder.encode([selfish])).resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value;
    for (let level = 0; level < 100; level++) {
      assert.deepStrictEqual(value.kvlistValue.values[0], { key: 'name', value: { stringValue: 'x' } });
      value = value.kvlistValue.values[1].value;
    }
    assert.deepStrictEqual(value, {});
  });

  it('gives the same text whatever its caches hold: repeated, changing, long and non-ASCII values', () => {
    const [base] = makeOtlpSpans();
    const values = ['GET', 'POST', 'grüß', 'x'.repeat(300), 200, 404, true, false, 1.5, 'GET', 'a"b'];
    const names = ['op', 'öp', 'op', 'y'.repeat(300)];
    const spans = Array.from({ length: 60 }, (_, i) =>
      Object.assign(Object.create(Object.getPrototypeOf(base)), base, {
        name: names[i % names.length],
        attributes: {
          method: values[i % values.length],
          other: values[(i * 3) % values.length],
          ключ: values[(i * 7) % values.length],
        },
      }),
    );
    for (const span of spans) {
      assert.deepStrictEqual(jsonToProtobufjsObject(jsonEncoder.encode([span])), expectedTracesObject([span]));
    }
    assert.deepStrictEqual(jsonToProtobufjsObject(jsonEncoder.encode(spans)), expectedTracesObject(spans));
    assert.deepStrictEqual(jsonEncoder.encodeBytes(spans), Buffer.from(jsonEncoder.encode(spans), 'utf8'));
    // A cached non-ASCII value reused in a span that is otherwise ASCII.
    const zurich = [1, 2, 3].map((n) =>
      Object.assign(Object.create(Object.getPrototypeOf(base)), base, { name: 'ascii', attributes: { city: 'Zürich', n } }),
    );
    for (const span of zurich) {
      assert.deepStrictEqual(jsonToProtobufjsObject(jsonEncoder.encode([span])), expectedTracesObject([span]));
    }
  });

  it('grows past its buffer for a large batch', () => {
    const [span] = makeOtlpSpans();
    const many = Array.from({ length: 3000 }, () => span!);
    const parsed = JSON.parse(jsonEncoder.encode(many));
    assert.equal(parsed.resourceSpans[0].scopeSpans[0].spans.length, 3000);
  });
  it('allocates next to nothing on the JS heap per span once warm (a tracing service encodes every span it keeps)', async () => {
    // The benchmark's spans: 10 attributes of mixed types and an event each, in traces of 8.
    const spans = await makeRealisticSpans(512);
    const pool = new LineBufferPool();
    const batches = 50;
    const bytes = await heapAllocations(
      () => {
        for (let i = 0; i < batches; i++) pool.release(jsonEncoder.encodeBytes(spans, true, pool.allocate));
      },
      64 * batches * 512,
      ENCODING_MODULES,
    );
    // What is left is per batch (grouping by resource and scope) and per attribute list (V8's
    // for-in); closures' contexts allocated on every span made it ~230.
    const perSpan = bytes / (batches * 512);
    assert.ok(perSpan < 64, `${perSpan.toFixed(1)} bytes allocated per span`);
  });
});

describe('JsonTraceEncoder.encodeResourceSpans', () => {
  it('writes exactly the ResourceSpans of the TracesData JsonTraceEncoder.encode writes, and nothing around them', async () => {
    for (const spans of [await makeSdkSpans(), makeOtlpSpans()]) {
      const whole = jsonEncoder.encode(spans);
      assert.equal(`{"resourceSpans":[${jsonEncoder.encodeResourceSpans(spans).toString('utf8')}]}`, whole);
    }
    assert.equal(jsonEncoder.encodeResourceSpans([]).length, 0);
  });
});
