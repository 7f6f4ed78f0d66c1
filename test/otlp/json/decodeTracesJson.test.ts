import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTracesJson } from '../../../src/otlp/json/decodeTracesJson.js';
import { JsonTraceEncoder } from '../../../src/otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../../../src/otlp/proto/ProtoTraceEncoder.js';
import { OtlpDouble } from '../../../src/otlp/OtlpDouble.js';
import { makeOtlpSpans, makeSdkSpans } from '../../support/everyFieldSpans.js';

const jsonEncoder = new JsonTraceEncoder();
const protoEncoder = new ProtoTraceEncoder();

const INVALID = { name: 'TracepipeError', code: 'TRACEPIPE_INVALID_OTLP' };

/**
 * One line as Teleport's file exporter writes it: a bare ResourceSpans in Go protojson
 * (base64 ids, enum names, int64 as strings), hand-written for this test.
 */
const TELEPORT_LINE =
  '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"teleport"}},' +
  '{"key":"process.pid","value":{"intValue":"4242"}}],"droppedAttributesCount":1},' +
  '"scopeSpans":[{"scope":{"name":"teleport-auth","version":"17.0.0"},"spans":[' +
  '{"traceId":"CvdlGRbNQ92ESOshHIAxnA==","spanId":"t61rcWkgMzE=","parentSpanId":"APBnqgupArc=","traceState":"ot=th:8",' +
  '"name":"auth/GenerateUserCerts","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000001",' +
  '"endTimeUnixNano":"1700000000120000000","attributes":[{"key":"rpc.system","value":{"stringValue":"grpc"}},' +
  '{"key":"ok","value":{"boolValue":true}},{"key":"ratio","value":{"doubleValue":0.25}},' +
  '{"key":"whole","value":{"doubleValue":3}},{"key":"big","value":{"intValue":"9007199254740993"}},' +
  '{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"}]}}},' +
  '{"key":"blob","value":{"bytesValue":"AAH/"}},{"key":"meta","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},' +
  '{"key":"none","value":{}}],' +
  '"events":[{"timeUnixNano":"1700000000050000000","name":"cache miss","attributes":[{"key":"n","value":{"intValue":"1"}}]}],' +
  '"links":[{"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"t61rcWkgMzI=","flags":769}],' +
  '"status":{"code":"STATUS_CODE_ERROR","message":"access denied"},"flags":769},' +
  '{"traceId":"CvdlGRbNQ92ESOshHIAxnA==","spanId":"t61rcWkgMzI=","parentSpanId":"t61rcWkgMzE=","name":"backend/Get",' +
  '"kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000060000000",' +
  '"status":{"code":"STATUS_CODE_OK"}}]}],"schemaUrl":"https://opentelemetry.io/schemas/1.12.0"}';

/** snake_case keys, as protojson writes with UseProtoNames. */
function snakeCase(json: string): string {
  return json.replace(/"([a-z]+[A-Z][A-Za-z]*)":/g, (_, key: string) => `"${key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}":`);
}

describe('decodeTracesJson', () => {
  it('round-trips SDK spans: decode then encode gives identical JSON and protobuf', async () => {
    const spans = await makeSdkSpans();
    const json = jsonEncoder.encode(spans);
    const result = decodeTracesJson(json);
    assert.equal(result.rejected, 0);
    assert.equal(result.spans.length, spans.length);
    assert.equal(jsonEncoder.encode(result.spans), json);
    assert.deepStrictEqual(Buffer.from(protoEncoder.encode(result.spans)), Buffer.from(protoEncoder.encode(spans)));
  });

  it('round-trips hand-built OtlpSpans, from text or from a parsed object', () => {
    const spans = makeOtlpSpans();
    const json = jsonEncoder.encode(spans);
    assert.equal(jsonEncoder.encode(decodeTracesJson(json).spans), json);
    assert.equal(jsonEncoder.encode(decodeTracesJson(JSON.parse(json)).spans), json);
    assert.equal(jsonEncoder.encode(decodeTracesJson(new TextEncoder().encode(json)).spans), json);
    const first = decodeTracesJson(json).spans[0]!;
    assert.ok(first.attributes.one instanceof OtlpDouble);
    assert.ok(Object.is((first.attributes.negZero as unknown as OtlpDouble).value, -0));
    assert.equal(first.attributes.minInt64, -9223372036854775808n);
    assert.equal(first.resource.droppedAttributesCount, 3);
  });

  it("reads a Teleport capture line: bare ResourceSpans, base64 ids, enum names", () => {
    const { spans, rejected } = decodeTracesJson(TELEPORT_LINE);
    assert.equal(rejected, 0);
    assert.equal(spans.length, 2);
    const [server, client] = spans as [(typeof spans)[0], (typeof spans)[0]];
    assert.deepStrictEqual(
      { ...server.spanContext(), traceState: server.spanContext().traceState?.serialize() },
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, traceState: 'ot=th:8' },
    );
    assert.deepStrictEqual(server.parentSpanContext, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
    assert.equal(server.flags, 769);
    assert.equal(server.name, 'auth/GenerateUserCerts');
    assert.equal(server.kind, 1, 'SPAN_KIND_SERVER is the SDK kind SERVER (1)');
    assert.deepStrictEqual(server.startTime, [1700000000, 1]);
    assert.deepStrictEqual(server.endTime, [1700000000, 120000000]);
    assert.deepStrictEqual(server.duration, [0, 119999999]);
    assert.deepStrictEqual(server.attributes, {
      'rpc.system': 'grpc',
      ok: true,
      ratio: 0.25,
      whole: new OtlpDouble(3),
      big: 9007199254740993n,
      tags: ['a', 2],
      blob: new Uint8Array([0, 1, 255]),
      meta: { k: 'v' },
      none: null,
    });
    assert.deepStrictEqual(server.events, [{ time: [1700000000, 50000000], name: 'cache miss', attributes: { n: 1 }, droppedAttributesCount: 0 }]);
    assert.equal(server.links.length, 1);
    assert.deepStrictEqual(server.links[0]!.context, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: 'b7ad6b7169203332',
      traceFlags: 1,
      isRemote: true,
      traceState: undefined,
    });
    assert.deepStrictEqual(server.status, { code: 2, message: 'access denied' });
    assert.deepStrictEqual(server.resource.attributes, { 'service.name': 'teleport', 'process.pid': 4242 });
    assert.equal(server.resource.droppedAttributesCount, 1);
    assert.equal(server.resource.schemaUrl, 'https://opentelemetry.io/schemas/1.12.0');
    assert.deepStrictEqual(
      { name: server.instrumentationScope.name, version: server.instrumentationScope.version },
      { name: 'teleport-auth', version: '17.0.0' },
    );
    assert.equal(client.kind, 2, 'SPAN_KIND_CLIENT');
    assert.deepStrictEqual(client.status, { code: 1 });
    assert.equal(client.parentSpanContext?.spanId, 'b7ad6b7169203331');
    assert.equal(client.resource, server.resource);
    assert.equal(client.instrumentationScope, server.instrumentationScope);

    // Re-encoded as OTLP/JSON: hex ids, integer enums, the same data.
    const line = JSON.parse(jsonEncoder.encode(spans));
    const out = line.resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(out.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(out.kind, 2);
    assert.deepStrictEqual(out.status, { message: 'access denied', code: 2 });
    assert.deepStrictEqual(out.attributes[3], { key: 'whole', value: { doubleValue: 3 } });
    assert.deepStrictEqual(out.attributes[4], { key: 'big', value: { intValue: '9007199254740993' } });
  });

  it('reads snake_case keys, hex ids in any case, numbers for 64-bit values and the pre-1.0 library form', () => {
    const camel = jsonEncoder.encode(decodeTracesJson(TELEPORT_LINE).spans);
    assert.equal(jsonEncoder.encode(decodeTracesJson(snakeCase(TELEPORT_LINE)).spans), camel);
    const upperHex = TELEPORT_LINE.replace('"CvdlGRbNQ92ESOshHIAxnA==","spanId":"t61rcWkgMzE="', '"0AF7651916CD43DD8448EB211C80319C","spanId":"B7AD6B7169203331"');
    assert.equal(jsonEncoder.encode(decodeTracesJson(upperHex).spans), camel);
    const numbers = TELEPORT_LINE.replace('"endTimeUnixNano":"1700000000120000000"', '"endTimeUnixNano":1700000000120000000').replace('{"intValue":"4242"}', '{"intValue":4242}');
    assert.equal(jsonEncoder.encode(decodeTracesJson(numbers).spans), camel);
    const legacy = TELEPORT_LINE.replace('"scopeSpans":[{"scope":', '"instrumentationLibrarySpans":[{"instrumentationLibrary":');
    assert.equal(jsonEncoder.encode(decodeTracesJson(legacy).spans), camel);
    const wrapped = `{"resourceSpans":[${TELEPORT_LINE},${TELEPORT_LINE}]}`;
    assert.equal(decodeTracesJson(wrapped).spans.length, 4);
  });

  it('treats an empty object or unknown fields as no spans, as OTLP receivers must', () => {
    assert.deepStrictEqual(decodeTracesJson('{}'), { spans: [], rejected: 0, errors: [] });
    assert.deepStrictEqual(decodeTracesJson('{"resourceSpans":[],"futureField":1}'), { spans: [], rejected: 0, errors: [] });
  });

  it('rejects spans with unusable ids, keeps the rest, and reports why', () => {
    const span = (traceId: string, spanId: string, extra = '') => `{"traceId":"${traceId}","spanId":"${spanId}"${extra},"name":"s"}`;
    const T = '5b8efff798038103d269b633813fc60c';
    const S = 'eee19b7ec3c1b174';
    const json = `{"resourceSpans":[{"scopeSpans":[{"spans":[${[
      span(T.slice(2), S),
      span(T, S),
      span('0'.repeat(32), S),
      span(T, 'AAAAAAAAAAA='),
      span(T, S, ',"parentSpanId":"0102"'),
      span(T, 'not base64!'),
      span(T, S, ',"parentSpanId":"0102030405060708"'),
    ].join(',')}]}]}]}`;
    const result = decodeTracesJson(json);
    assert.equal(result.spans.length, 2);
    assert.equal(result.rejected, 5);
    assert.deepStrictEqual(result.errors, [
      'resourceSpans[0].scopeSpans[0].spans[0]: trace_id must be 16 bytes, got 15',
      'resourceSpans[0].scopeSpans[0].spans[2]: trace_id is all zeros',
      'resourceSpans[0].scopeSpans[0].spans[3]: span_id is all zeros',
      'resourceSpans[0].scopeSpans[0].spans[4]: parent_span_id must be empty or 8 bytes, got 2',
      'resourceSpans[0].scopeSpans[0].spans[5]: span_id is neither hex nor base64',
    ]);
  });

  it('throws TRACEPIPE_INVALID_OTLP, naming the place, for input that is not OTLP/JSON', () => {
    const cases: [string, RegExp][] = [
      ['{"resourceSpans":[', /invalid OTLP\/JSON: .*JSON/],
      ['[1,2]', /expected a JSON object/],
      ['"text"', /expected a JSON object/],
      ['{"resourceSpans":{}}', /resourceSpans: expected an array/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_BOGUS"}]}]}]}', /spans\[0\]\.kind: expected one of SPAN_KIND_UNSPECIFIED/],
      // A name every object has is no enum value.
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"toString"}]}]}]}', /spans\[0\]\.kind: expected one of SPAN_KIND_UNSPECIFIED/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":"constructor"}}]}]}]}', /status\.code: expected one of STATUS_CODE_UNSET/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"-5"}]}]}]}', /startTimeUnixNano: expected unsigned 64-bit/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]}', /spans\[0\]\.name: expected a string/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"intValue":"1.5"}}]}]}]}]}', /attributes\[0\]\.value\.intValue: expected a 64-bit integer/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"boolValue":"true"}}]}]}]}]}', /boolValue: expected a boolean/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"droppedLinksCount":-1}]}]}]}', /droppedLinksCount: expected an unsigned 32-bit integer/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":"STATUS_CODE_MAYBE"}}]}]}]}', /status\.code: expected one of STATUS_CODE_UNSET/],
      ['{"resourceSpans":[{"resource":{"attributes":[{"key":"b","value":{"bytesValue":"***"}}]}}]}', /resource\.attributes\[0\]\.value\.bytesValue: expected base64/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => decodeTracesJson(input), { ...INVALID, message }, input);
    }
    const nested = (levels: number): string => (levels === 0 ? '{"stringValue":"leaf"}' : `{"kvlistValue":{"values":[{"key":"k","value":${nested(levels - 1)}}]}}`);
    const deep = (levels: number) => `{"resourceSpans":[{"resource":{"attributes":[{"key":"deep","value":${nested(levels)}}]}}]}`;
    assert.deepStrictEqual(decodeTracesJson(deep(100)).spans, []);
    assert.throws(() => decodeTracesJson(deep(101)), { ...INVALID, message: /nested more than 100 deep/ });
    assert.deepStrictEqual(decodeTracesJson(deep(3)).spans, []);
  });
});

describe('decodeTracesJson: 64-bit integers written as JSON numbers', () => {
  /** One span whose fields are spelled as `fields` (raw JSON text), with attributes `attributes`. */
  const line = (fields: string, attributes = '[]') =>
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",' +
    `"name":"n",${fields},"attributes":${attributes}}]}]}]}`;
  const attribute = (value: string) => `[{"key":"k","value":${value}}]`;

  it('reads times beyond 2^53 exactly, as Go does, up to the largest uint64', () => {
    const [span] = decodeTracesJson(
      line('"startTimeUnixNano":1544712660123456789,"endTimeUnixNano":18446744073709551615,"events":[{"timeUnixNano":1544712660123456791}]'),
    ).spans;
    assert.deepStrictEqual(span!.startTime, [1544712660, 123456789]);
    assert.deepStrictEqual(span!.endTime, [18446744073, 709551615]);
    assert.deepStrictEqual(span!.events[0]!.time, [1544712660, 123456791]);
  });

  it('reads intValue beyond 2^53 exactly, including the int64 minimum and maximum', () => {
    const cases: Array<[string, number | bigint]> = [
      ['9007199254740993', 9007199254740993n],
      ['-9007199254740993', -9007199254740993n],
      ['9223372036854775807', 2n ** 63n - 1n],
      ['-9223372036854775808', -(2n ** 63n)],
      ['1234567890123456', 1234567890123456],
      ['9007199254740991', 9007199254740991],
    ];
    for (const [literal, expected] of cases) {
      const [span] = decodeTracesJson(line('"kind":2', attribute(`{"intValue":${literal}}`))).spans;
      assert.equal(span!.attributes.k, expected, literal);
    }
    assert.throws(() => decodeTracesJson(line('"kind":2', attribute('{"intValue":9223372036854775808}'))), INVALID);
  });

  it('leaves strings, doubles and the types of other fields as they were', () => {
    const [span] = decodeTracesJson(
      line(
        '"kind":2',
        '[{"key":"s","value":{"stringValue":"12345678901234567890"}},' +
          '{"key":"q","value":{"stringValue":"a\\"12345678901234567890\\\\"}},' +
          '{"key":"marker","value":{"stringValue":"\\u0001int:12345678901234567890"}},' +
          '{"key":"d","value":{"doubleValue":12345678901234567.5}},' +
          '{"key":"e","value":{"doubleValue":1234567890123456789e3}},' +
          '{"key":"big","value":{"intValue":12345678901234567}}]',
      ),
    ).spans;
    assert.equal(span!.attributes.s, '12345678901234567890');
    assert.equal(span!.attributes.q, 'a"12345678901234567890\\');
    assert.equal(span!.attributes.marker, '\u0001int:12345678901234567890');
    assert.deepStrictEqual(span!.attributes.d, new OtlpDouble(12345678901234567.5));
    assert.deepStrictEqual(span!.attributes.e, new OtlpDouble(1234567890123456789e3));
    assert.equal(span!.attributes.big, 12345678901234567n);
    // A long number where a string or an object belongs is still the wrong type.
    assert.throws(() => decodeTracesJson(line('"traceState":12345678901234567890')), INVALID);
    assert.throws(() => decodeTracesJson(line('"kind":2', '[{"key":"k","value":12345678901234567890}]')), INVALID);
  });
});
