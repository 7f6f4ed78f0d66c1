import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import protobuf from 'protobufjs';
import { makeRealisticSpans } from '../../../benchmarks/makeRealisticSpans.js';
import { decodeTracesProto } from '../../../src/otlp/proto/decodeTracesProto.js';
import { JsonTraceEncoder } from '../../../src/otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../../../src/otlp/proto/ProtoTraceEncoder.js';
import { JsonTranscoder } from '../../../src/otlp/json/JsonTranscoder.js';
import type { Allocate } from '../../../src/otlp/json/JsonWriter.js';
import { joinedResourceSpans } from '../../../src/otlp/joinedResourceSpans.js';
import { makeOtlpSpans, makeSdkSpans } from '../../support/everyFieldSpans.js';
import { ENCODING_MODULES, heapAllocations } from '../../support/heapAllocations.js';
import { makeTestSpans } from '../../support/makeTestSpans.js';
import { forEachCorruptedBody } from '../../support/protobufFuzz.js';
import { SPAN, tracesData } from '../../support/protobufMessages.js';
import { makeRichSpans } from '../../support/richSpans.js';

const jsonEncoder = new JsonTraceEncoder();
const protoEncoder = new ProtoTraceEncoder();
const transcoder = new JsonTranscoder();

/** What the span-object path writes for the same bytes: decode, then encode. */
function viaSpans(...requests: Uint8Array[]): string {
  return jsonEncoder.encode(requests.flatMap((r) => decodeTracesProto(r).spans));
}

/** A Buffer of the size asked for, always the same memory, as the forwarder's LineBufferPool lends. */
function pool(): Allocate {
  const slab = Buffer.alloc(4 << 20);
  return (size: number) => slab.subarray(0, size);
}

/** What the forwarder writes for the requests: each one's ResourceSpans, joined into one TracesData. */
function transcoded(...requests: Uint8Array[]): string {
  const parts = requests.map((request) => {
    const result = transcoder.transcodeResourceSpans(request, Buffer.allocUnsafe);
    assert.ok(result !== undefined, 'taken without the decoder');
    return result.json;
  });
  return Buffer.concat(joinedResourceSpans(parts, false)).toString('utf8');
}

const FIXTURES: [string, () => Promise<readonly ReadableSpan[]> | readonly ReadableSpan[]][] = [
  ['SDK spans using every field', makeSdkSpans],
  ['hand-built spans (raw flags, integral doubles, int64 extremes, scope attributes, empty values)', makeOtlpSpans],
  ['rich spans (remote parents, links with tracestate)', makeRichSpans],
  ['plain test spans', () => makeTestSpans(50)],
];

const TRACE_ID = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
const SPAN_ID = Buffer.from('eee19b7ec3c1b173', 'hex');

/** The bytes of a TracesData holding one span whose fields are written in the order given. */
function spanInFieldOrder(fields: [number, (w: protobuf.Writer) => void][]): Uint8Array {
  const span = protobuf.Writer.create();
  for (const [, write] of fields) write(span);
  const spanBytes = span.finish();
  const scope = protobuf.Writer.create().uint32(0x12).bytes(spanBytes).finish();
  const resource = protobuf.Writer.create().uint32(0x12).bytes(scope).finish();
  return protobuf.Writer.create().uint32(0x0a).bytes(resource).finish();
}

describe('JsonTranscoder.transcodeResourceSpans: the JSON it writes', () => {
  for (const [name, make] of FIXTURES) {
    it(`writes exactly what decode + JsonTraceEncoder.encode writes: ${name}`, async () => {
      const spans = await make();
      for (const body of [protoEncoder.encode(spans), ProtobufTraceSerializer.serializeRequest([...spans])!]) {
        const expected = viaSpans(body);
        assert.equal(transcoded(body), expected);
        assert.equal(decodeTracesProto(body).spans.length, spans.length);
      }
    });
  }

  it('gives ResourceSpans that join, request after request, into the line the span path writes', async () => {
    const a = protoEncoder.encode(await makeTestSpans(3));
    const b = protoEncoder.encode(makeOtlpSpans());
    const line = transcoded(a, b);
    assert.equal(line, viaSpans(a, b));
    const parsed = JSON.parse(line) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
    const count = parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length;
    assert.equal(count, 3 + makeOtlpSpans().length);
  });

  it('writes the fields in the canonical order, and hands a span whose fields are out of order to the decoder, which writes the same', () => {
    const fields: [number, (w: protobuf.Writer) => void][] = [
      [1, (w) => w.uint32(0x0a).bytes(TRACE_ID)],
      [2, (w) => w.uint32(0x12).bytes(SPAN_ID)],
      [5, (w) => w.uint32(0x2a).string('GET /')],
      [6, (w) => w.uint32(0x30).int32(2)],
      [7, (w) => w.uint32(0x39).fixed64('1763700000000000005')],
      [8, (w) => w.uint32(0x41).fixed64('1763700000000000105')],
      [9, (w) => w.uint32(0x4a).fork().uint32(0x0a).string('a').uint32(0x12).fork().uint32(0x18).int64(7).ldelim().ldelim()],
      [15, (w) => w.uint32(0x7a).fork().uint32(0x12).string('bad').uint32(0x18).int32(2).ldelim()],
      [16, (w) => w.uint32(0x85).fixed32(0x301)],
    ];
    const forward = spanInFieldOrder(fields);
    const backward = spanInFieldOrder([...fields].reverse());
    const expected =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173",' +
      '"name":"GET /","kind":2,"startTimeUnixNano":"1763700000000000005","endTimeUnixNano":"1763700000000000105",' +
      '"attributes":[{"key":"a","value":{"intValue":"7"}}],"status":{"message":"bad","code":2},"flags":769}]}]}]}';
    assert.equal(transcoded(forward), expected);
    assert.equal(transcoder.transcodeResourceSpans(backward, pool()), undefined);
    assert.equal(viaSpans(backward), expected);
  });

  it('repeats attributes from span to span exactly', () => {
    const attributes = (i: number) =>
      protobuf.Writer.create()
        .uint32(0x4a).fork().uint32(0x0a).string('http.route').uint32(0x12).fork().uint32(0x0a).string('/a').ldelim().ldelim()
        .uint32(0x4a).fork().uint32(0x0a).string('n').uint32(0x12).fork().uint32(0x18).int64(i % 2).ldelim().ldelim()
        .finish();
    const inOrder = (i: number) => Buffer.concat([SPAN.encode(SPAN.fromObject({ traceId: TRACE_ID, spanId: SPAN_ID, name: `s${i}` })).finish(), attributes(i)]);
    const scope = protobuf.Writer.create();
    [0, 1, 2, 3, 4].forEach((i) => scope.uint32(0x12).bytes(inOrder(i)));
    const body = protobuf.Writer.create().uint32(0x0a).bytes(protobuf.Writer.create().uint32(0x12).bytes(scope.finish()).finish()).finish();
    assert.equal(transcoded(body), viaSpans(body));
    const spans = (JSON.parse(transcoded(body)) as { resourceSpans: [{ scopeSpans: [{ spans: { name: string; attributes: unknown[] }[] }] }] })
      .resourceSpans[0].scopeSpans[0].spans;
    assert.deepStrictEqual(
      spans.map((s) => [s.name, s.attributes]),
      [0, 1, 2, 3, 4].map((i) => [
        `s${i}`,
        [
          { key: 'http.route', value: { stringValue: '/a' } },
          { key: 'n', value: { intValue: String(i % 2) } },
        ],
      ]),
    );
  });

  it('leaves out resources and scopes without spans, as the span path does', () => {
    const span = { traceId: TRACE_ID, spanId: SPAN_ID, name: 'kept' };
    const body = tracesData([
      { resource: { attributes: [{ key: 'empty', value: { stringValue: 'resource' } }] }, scopeSpans: [] },
      { scopeSpans: [{ scope: { name: 'no spans' } }, { scope: { name: 'lib' }, spans: [span] }], schemaUrl: 'https://example.com/1' },
    ]);
    assert.equal(
      transcoded(body),
      '{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"lib"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",' +
        '"spanId":"eee19b7ec3c1b173","name":"kept"}]}],"schemaUrl":"https://example.com/1"}]}',
    );
    assert.equal(transcoded(body), viaSpans(body));
    assert.equal(transcoded(new Uint8Array(0)), '{"resourceSpans":[]}');
  });

  it('hands a oneof set twice or a singular field repeated to the decoder, which takes the last, as protobuf requires', () => {
    const anyValue = protobuf.Writer.create().uint32(0x0a).string('first').uint32(0x18).int64(5).finish();
    const keyValue = protobuf.Writer.create().uint32(0x0a).string('k').uint32(0x12).bytes(anyValue).finish();
    const body = spanInFieldOrder([
      [1, (w) => w.uint32(0x0a).bytes(TRACE_ID)],
      [2, (w) => w.uint32(0x12).bytes(SPAN_ID)],
      [5, (w) => w.uint32(0x2a).string('old name')],
      [9, (w) => w.uint32(0x4a).bytes(keyValue)],
      [5, (w) => w.uint32(0x2a).string('new name')],
    ]);
    assert.equal(transcoder.transcodeResourceSpans(body, pool()), undefined);
    const oneofTwice = spanInFieldOrder([
      [1, (w) => w.uint32(0x0a).bytes(TRACE_ID)],
      [2, (w) => w.uint32(0x12).bytes(SPAN_ID)],
      [9, (w) => w.uint32(0x4a).bytes(keyValue)],
    ]);
    assert.equal(transcoder.transcodeResourceSpans(oneofTwice, pool()), undefined);
    const json = JSON.parse(viaSpans(body)) as { resourceSpans: [{ scopeSpans: [{ spans: [{ name: string; attributes: unknown }] }] }] };
    const span = json.resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(span.name, 'new name');
    assert.deepStrictEqual(span.attributes, [{ key: 'k', value: { intValue: '5' } }]);
  });

  it('writes attribute lists as received, duplicate keys included', () => {
    const kv = (value: string) => ({ key: 'dup', value: { stringValue: value } });
    const body = tracesData([{ scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: [kv('a'), kv('b')] }] }] }]);
    assert.ok(transcoded(body).includes('"attributes":[{"key":"dup","value":{"stringValue":"a"}},{"key":"dup","value":{"stringValue":"b"}}]'));
  });

  it('skips unknown fields at every level', () => {
    const spanBytes = SPAN.encode(SPAN.fromObject({ traceId: TRACE_ID, spanId: SPAN_ID, name: 'n' })).finish();
    const withUnknown = Buffer.concat([Buffer.from([0xf8, 0x07, 0x01]), spanBytes, Buffer.from([0xfa, 0x07, 0x02, 0x68, 0x69])]);
    const scope = protobuf.Writer.create().uint32(0x12).bytes(withUnknown).uint32(0x78).uint32(1).finish();
    const resource = protobuf.Writer.create().uint32(0x12).bytes(scope).finish();
    const body = protobuf.Writer.create().uint32(0x0a).bytes(resource).uint32(0x15).fixed32(9).finish();
    assert.equal(transcoded(body), viaSpans(body));
    assert.ok(transcoded(body).includes('"name":"n"'));
  });

  it('writes each key right when two keys share a slot of the key cache, and across a growing buffer', async () => {
    // Same length and the same first, middle and last bytes: the cache's hash cannot tell them apart.
    const spans = Array.from({ length: 6 }, (_, i) => ({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      attributes: [{ key: i % 2 === 0 ? 'axcya' : 'azcwa', value: { stringValue: `v${i}` } }],
    }));
    const body = tracesData([{ scopeSpans: [{ spans }] }]);
    assert.equal(transcoded(body), viaSpans(body));
    const keys = (JSON.parse(transcoded(body)) as { resourceSpans: [{ scopeSpans: [{ spans: { attributes: { key: string }[] }[] }] }] })
      .resourceSpans[0].scopeSpans[0].spans.map((s) => s.attributes[0]!.key);
    assert.deepStrictEqual(keys, ['axcya', 'azcwa', 'axcya', 'azcwa', 'axcya', 'azcwa']);
    // Alike but for one byte of the last, partial 32-bit word.
    const tails = tracesData([
      { scopeSpans: [{ spans: ['abcdXf', 'abcdYf', 'abcdXf'].map((key) => ({ traceId: TRACE_ID, spanId: SPAN_ID, attributes: [{ key, value: { intValue: 1 } }] })) }] },
    ]);
    assert.equal(transcoded(tails), viaSpans(tails));
    assert.deepStrictEqual(
      (JSON.parse(transcoded(tails)) as { resourceSpans: [{ scopeSpans: [{ spans: { attributes: { key: string }[] }[] }] }] }).resourceSpans[0].scopeSpans[0].spans.map(
        (span) => span.attributes[0]!.key,
      ),
      ['abcdXf', 'abcdYf', 'abcdXf'],
    );
    const many = protoEncoder.encode(await makeTestSpans(3000));
    const line = transcoded(many);
    assert.ok(line.length > 1024 * 1024, 'the line outgrows the writer\'s first buffer');
    assert.equal(line, viaSpans(many));
  });

  it('writes straight into the Buffer `allocate` gives and returns a view of it; a line that outgrows it still comes out whole', async () => {
    const body = protoEncoder.encode(await makeTestSpans(4));
    const slab = Buffer.alloc(1 << 17, 0x78);
    let asked = 0;
    const json = transcoder.transcodeResourceSpans(body, (size) => {
      asked = size;
      return slab.subarray(0, size);
    })!.json;
    assert.equal(json.buffer, slab.buffer);
    assert.equal(json.byteOffset, 0);
    assert.ok(asked >= json.length, `asked for ${asked} bytes, wrote ${json.length}`);
    assert.equal(`{"resourceSpans":[${json.toString('utf8')}]}`, viaSpans(body));
    assert.equal(slab[json.length], 0x78, 'nothing is written past the ResourceSpans');
    const big = protoEncoder.encode(await makeTestSpans(500));
    const tiny = Buffer.alloc(16);
    const grown = transcoder.transcodeResourceSpans(big, () => tiny)!.json;
    assert.notEqual(grown.buffer, tiny.buffer);
    assert.equal(`{"resourceSpans":[${grown.toString('utf8')}]}`, viaSpans(big));
  });

  it('hands bytes that are not a message to the decoder (which refuses them), and is usable afterwards', async () => {
    const good = protoEncoder.encode(await makeTestSpans(2));
    for (const bad of [good.subarray(0, good.length - 3), Buffer.from([0x0a, 0x7f, 0x00]), Buffer.from([0x0f])]) {
      assert.equal(transcoder.transcodeResourceSpans(bad, pool()), undefined);
      assert.throws(() => decodeTracesProto(bad), { code: 'TRACEPIPE_INVALID_OTLP' });
    }
    assert.equal(transcoded(good), viaSpans(good));
  });
});

describe('JsonTranscoder.transcodeResourceSpans: what it takes and what it hands to the decoder', () => {
  it('writes the ResourceSpans of a valid request, without the TracesData around them, and counts its spans', async () => {
    for (const spans of [await makeSdkSpans(), makeOtlpSpans(), await makeTestSpans(40)]) {
      const body = protoEncoder.encode(spans);
      const result = transcoder.transcodeResourceSpans(body, pool());
      assert.ok(result !== undefined);
      assert.equal(result.spanCount, spans.length);
      assert.equal(`{"resourceSpans":[${result.json.toString('utf8')}]}`, viaSpans(body));
    }
    assert.deepStrictEqual(transcoder.transcodeResourceSpans(new Uint8Array(0), pool()), { json: Buffer.alloc(0), spanCount: 0 });
  });

  it('hands over a request with a string that is not UTF-8, even in a resource or scope without spans, as the decoder refuses it', () => {
    const field = (tag: number, body: Uint8Array): Uint8Array => protobuf.Writer.create().uint32(tag).bytes(body).finish();
    const goodScope = field(0x12, field(0x12, SPAN.encode({ traceId: TRACE_ID, spanId: SPAN_ID, name: 'ok' }).finish()));
    const cases: Array<[string, Uint8Array]> = [
      ['scope name of a scope without spans', field(0x0a, Buffer.concat([field(0x12, field(0x0a, field(0x0a, Buffer.from([0xc3])))), goodScope]))],
      ['schema URL of a resource without spans', Buffer.concat([field(0x0a, field(0x1a, Buffer.from([0xff]))), field(0x0a, goodScope)])],
      ['span name', field(0x0a, field(0x12, field(0x12, Buffer.concat([SPAN.encode({ traceId: TRACE_ID, spanId: SPAN_ID }).finish(), Buffer.from([0x2a, 0x01, 0x80])]))))],
      // ASCII copied four bytes at a time until one bad byte: the writer's fast path must not let it through.
      ['attribute value with one bad byte among ASCII', field(0x0a, field(0x12, field(0x12, Buffer.concat([
        SPAN.encode({ traceId: TRACE_ID, spanId: SPAN_ID }).finish(),
        field(0x4a, Buffer.concat([field(0x0a, Buffer.from('k')), field(0x12, field(0x0a, Buffer.from([0x61, 0x62, 0x63, 0x64, 0xc0, 0x65, 0x66, 0x67, 0x68])))])),
      ]))))],
    ];
    for (const [name, body] of cases) {
      assert.throws(() => decodeTracesProto(body), { code: 'TRACEPIPE_INVALID_OTLP' }, name);
      assert.equal(transcoder.transcodeResourceSpans(body, pool()), undefined, name);
    }
  });

  it('allocates next to nothing on the JS heap per span once warm (the forwarder transcodes every request it receives)', async () => {
    // The forwarding benchmark's spans: 10 attributes of mixed types and an event each.
    const body = protoEncoder.encode(await makeRealisticSpans(512));
    const allocate = pool();
    const requests = 100;
    const bytes = await heapAllocations(
      () => {
        for (let i = 0; i < requests; i++) transcoder.transcodeResourceSpans(body, allocate);
      },
      32 * requests * 512,
      ENCODING_MODULES,
    );
    // What is left is the span's one double attribute, boxed when passed on (16 bytes), now and
    // then printed by String(); a closure's context allocated on every attribute made it ~280.
    const perSpan = bytes / (requests * 512);
    assert.ok(perSpan < 32, `${perSpan.toFixed(1)} bytes allocated per span`);
  });

  it('hands to the decoder what it should answer for: invalid ids, fields out of order, bytes that are not a message', () => {
    const bad = [
      { traceId: Buffer.alloc(16), spanId: SPAN_ID },
      { traceId: TRACE_ID.subarray(0, 15), spanId: SPAN_ID },
      { traceId: TRACE_ID, spanId: Buffer.alloc(8) },
      { traceId: TRACE_ID, spanId: SPAN_ID.subarray(0, 7) },
      { traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: SPAN_ID.subarray(0, 4) },
      { spanId: SPAN_ID },
    ];
    for (const span of bad) {
      const body = tracesData([{ scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID }, span] }] }]);
      assert.equal(transcoder.transcodeResourceSpans(body, pool()), undefined, JSON.stringify(span));
      assert.equal(decodeTracesProto(body).rejected, 1);
    }
    const backward = spanInFieldOrder([
      [2, (w) => w.uint32(0x12).bytes(SPAN_ID)],
      [1, (w) => w.uint32(0x0a).bytes(TRACE_ID)],
    ]);
    assert.equal(transcoder.transcodeResourceSpans(backward, pool()), undefined);
    assert.equal(transcoder.transcodeResourceSpans(Buffer.from([0x0a, 0x7f]), pool()), undefined);
  });

  it('takes only what the decoder takes whole, over thousands of corrupted bodies (seeded fuzz)', async () => {
    let taken = 0;
    let handedOver = 0;
    await forEachCorruptedBody(0x7a5c, 6000, (bytes, round) => {
      const result = transcoder.transcodeResourceSpans(bytes, pool());
      if (result === undefined) {
        handedOver++;
        return;
      }
      taken++;
      const decoded = decodeTracesProto(bytes);
      assert.equal(decoded.rejected, 0, `round ${round}`);
      assert.equal(result.spanCount, decoded.spans.length, `round ${round}`);
      const parsed = JSON.parse(`{"resourceSpans":[${result.json.toString('utf8')}]}`) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
      assert.equal(parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length, result.spanCount, `round ${round}`);
    });
    assert.ok(taken > 100 && handedOver > 100, `taken ${taken}, handed over ${handedOver}`);
  });
});
