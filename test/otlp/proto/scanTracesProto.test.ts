import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import protobuf from 'protobufjs';
import { JsonTranscoder } from '../../../src/otlp/json/JsonTranscoder.js';
import { OtlpMessages } from '../../../src/otlp/OtlpMessages.js';
import { decodeTracesProto } from '../../../src/otlp/proto/decodeTracesProto.js';
import { ProtoTraceEncoder } from '../../../src/otlp/proto/ProtoTraceEncoder.js';
import { scanTracesProto } from '../../../src/otlp/proto/scanTracesProto.js';
import { makeOtlpSpans } from '../../support/everyFieldSpans.js';
import { makeTestSpans } from '../../support/makeTestSpans.js';
import { forEachCorruptedBody, mutate, prng, protobufFixtures as fixtures } from '../../support/protobufFuzz.js';
import { type Field, copyTree, faultTree, parse, serialize } from '../../support/protobufTree.js';
import { GOOD, SPAN, message } from '../../support/protobufMessages.js';

const { ExportTraceServiceRequest } = new OtlpMessages();

const protoEncoder = new ProtoTraceEncoder();

/** What the decoder makes of `bytes`: its span count when it neither throws nor rejects a span. */
function cleanDecodeCount(bytes: Uint8Array): number | undefined {
  try {
    const result = decodeTracesProto(bytes);
    return result.rejected === 0 ? result.spans.length : undefined;
  } catch {
    return undefined;
  }
}

const field = (tag: number, body: Uint8Array): Uint8Array => protobuf.Writer.create().uint32(tag).bytes(body).finish();

/** One span (GOOD plus `extra` bytes appended to it) wrapped in ScopeSpans, ResourceSpans and the request. */
function withSpanBytes(extra: Uint8Array): Uint8Array {
  const span = Buffer.concat([SPAN.encode(GOOD).finish(), extra]);
  return field(0x0a, field(0x12, field(0x12, span)));
}

describe('scanTracesProto', () => {
  it('counts the spans of every fixture, encoded by tracepipe and by the stock serializer', async () => {
    for (const { name, spans } of await fixtures()) {
      for (const [encoder, bytes] of [
        ['ProtoTraceEncoder.encode', protoEncoder.encode(spans)],
        ['ProtobufTraceSerializer', ProtobufTraceSerializer.serializeRequest(spans)!],
      ] as const) {
        assert.equal(scanTracesProto(bytes), spans.length, `${name} via ${encoder}`);
        assert.equal(decodeTracesProto(bytes).spans.length, spans.length, `${name} via ${encoder}`);
      }
    }
  });

  it('counts concatenated requests as one, and an empty body as 0 spans', async () => {
    const a = protoEncoder.encode(await makeTestSpans(3));
    const b = protoEncoder.encode(makeOtlpSpans());
    assert.equal(scanTracesProto(Buffer.concat([a, b, a])), 6 + makeOtlpSpans().length);
    assert.equal(scanTracesProto(new Uint8Array(0)), 0);
  });

  it('reads any Uint8Array view, and skips unknown fields as the decoder does', () => {
    const extra = Buffer.from([0x98, 0x06, 0x05, 0x92, 0x06, 0x02, 0x41, 0x42]);
    const whole = Buffer.concat([withSpanBytes(extra), Buffer.from([0xa0, 0x1f, 0x01])]);
    const padded = new Uint8Array(whole.length + 10).fill(0xff);
    padded.set(whole, 5);
    assert.equal(scanTracesProto(padded.subarray(5, 5 + whole.length)), 1);
  });

  it('refuses each span the decoder would reject', () => {
    const good = message([GOOD, { ...GOOD, parentSpanId: Buffer.from('0102030405060708', 'hex') }]);
    assert.equal(scanTracesProto(good), 2);
    for (const bad of [
      { ...GOOD, traceId: Buffer.alloc(15, 1) },
      { ...GOOD, traceId: Buffer.alloc(17, 1) },
      { ...GOOD, traceId: Buffer.alloc(16) },
      { ...GOOD, traceId: undefined },
      { ...GOOD, spanId: Buffer.alloc(7, 1) },
      { ...GOOD, spanId: Buffer.alloc(8) },
      { ...GOOD, spanId: undefined },
      { ...GOOD, parentSpanId: Buffer.alloc(4, 1) },
      { ...GOOD, parentSpanId: Buffer.alloc(16, 1) },
    ]) {
      const bytes = message([GOOD, bad]);
      assert.equal(scanTracesProto(bytes), undefined, JSON.stringify(bad));
      assert.equal(decodeTracesProto(bytes).rejected, 1);
    }
  });

  it('refuses what the decoder throws on: framing, wire types, truncated fixed fields, nesting past 100', () => {
    const good = Buffer.from(message([GOOD]));
    const cases: Array<[string, Uint8Array]> = [
      ['truncated', good.subarray(0, good.length - 3)],
      ['length past the end', Buffer.from([0x0a, 0x05, 0x01])],
      ['truncated varint', Buffer.from([0xff, 0xff, 0xff])],
      ['varint of 11 bytes', Buffer.from([0x08, ...Array<number>(10).fill(0x80), 0x01])],
      ['wire type 3', Buffer.from([0x0b, 0x0c])],
      ['wire type 6 in a span', withSpanBytes(Buffer.from([0x9e, 0x06]))],
      ['JSON', Buffer.from('{"resourceSpans":[]}')],
      ['field number 0 after a valid request', Buffer.concat([good, Buffer.from([0x00, 0x00])])],
      ['field number 0, length-delimited, in a span', withSpanBytes(Buffer.from([0x02, 0x01, 0x61]))],
      ['field number 0 written as a two-byte varint', withSpanBytes(Buffer.from([0x85, 0x00, 1, 2, 3, 4]))],
      ['a tag longer than 32 bits', withSpanBytes(Buffer.from([0xa8, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]))],
      ['a span name that is not UTF-8', withSpanBytes(Buffer.from([0x2a, 0x02, 0xc3, 0x28]))],
      ['an attribute key that is not UTF-8', withSpanBytes(field(0x4a, Buffer.from([0x0a, 0x01, 0xff])))],
      ['a string value that is a UTF-16 surrogate in UTF-8', withSpanBytes(field(0x4a, Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b]), field(0x12, Buffer.from([0x0a, 0x03, 0xed, 0xa0, 0x80]))])))],
      ['start time cut short', withSpanBytes(Buffer.from([0x39, 1, 2, 3]))],
      ['flags cut short', withSpanBytes(Buffer.from([0x85, 0x01, 1, 2]))],
      ['attribute past the span', Buffer.from([0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x4a, 0x09])],
      ['double cut short', withSpanBytes(field(0x4a, Buffer.concat([field(0x0a, Buffer.from('d')), field(0x12, Buffer.from([0x21, 1, 2, 3]))])))],
      ['status with a bad field', withSpanBytes(field(0x7a, Buffer.from([0x18, 0x80])))],
      ['event time cut short', withSpanBytes(field(0x5a, Buffer.from([0x09, 1, 2])))],
      ['link flags cut short', withSpanBytes(field(0x6a, Buffer.from([0x35, 1])))],
      ['resource attribute past the resource', field(0x0a, Buffer.concat([field(0x0a, Buffer.from([0x0a, 0x05, 0x0a])), field(0x12, field(0x12, SPAN.encode(GOOD).finish()))]))],
    ];
    for (const [name, bytes] of cases) {
      assert.throws(() => decodeTracesProto(bytes), { code: 'TRACEPIPE_INVALID_OTLP' }, name);
      assert.equal(scanTracesProto(bytes), undefined, name);
    }
    const deep = (levels: number): Uint8Array => {
      let value = protobuf.Writer.create().uint32(0x0a).string('leaf').finish();
      for (let i = 0; i < levels; i++) value = field(i % 2 === 0 ? 0x2a : 0x32, field(0x0a, i % 2 === 0 ? value : Buffer.concat([field(0x0a, Buffer.from('k')), field(0x12, value)])));
      const keyValue = Buffer.concat([protobuf.Writer.create().uint32(0x0a).string('deep').finish(), field(0x12, value)]);
      return withSpanBytes(field(0x4a, keyValue));
    };
    assert.equal(scanTracesProto(deep(100)), 1);
    assert.equal(cleanDecodeCount(deep(100)), 1);
    assert.equal(scanTracesProto(deep(101)), undefined);
    assert.equal(cleanDecodeCount(deep(101)), undefined);
    assert.equal(scanTracesProto(deep(3)), 1, 'the depth count starts afresh after a failure');
  });

  it('agrees with the decoder on thousands of corrupted bodies (seeded fuzz)', async () => {
    let accepted = 0;
    let refused = 0;
    await forEachCorruptedBody(0x5eed, 6000, (bytes, round) => {
      const scanned = scanTracesProto(bytes);
      const decoded = cleanDecodeCount(bytes);
      if (scanned !== undefined) {
        // The property the forwarder relies on: a scanned count means a clean decode of exactly that many spans.
        const result = decodeTracesProto(bytes);
        assert.equal(result.rejected, 0, `round ${round}`);
        assert.equal(result.spans.length, scanned, `round ${round}`);
        accepted++;
      } else refused++;
      // And the scan refuses nothing the decoder takes cleanly (else valid requests would take the slow path).
      assert.equal(scanned, decoded, `round ${round}: scan ${scanned}, decode ${decoded}`);
    });
    // Both outcomes were exercised, so the agreement above is not vacuous.
    assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });
});

describe('scanTracesProto, decodeTracesProto, JsonTranscoder and protobufjs on faulty requests (property test)', () => {
  it('agree on every seeded wire fault: the scanner accepts exactly what the decoder takes whole', async () => {
    const random = prng(0x15f0);
    const trees: Field[][] = [];
    for (const { spans } of await fixtures()) trees.push(parse(protoEncoder.encode(spans)), parse(ProtobufTraceSerializer.serializeRequest(spans)!));
    const transcoder = new JsonTranscoder();
    const allocate = (size: number) => Buffer.allocUnsafe(size);
    const verdicts = { accepted: 0, refused: 0, protobufjsRefused: 0, rejectedSpan: 0 };
    for (let round = 0; round < 3000; round++) {
      const tree = copyTree(trees[round % trees.length]!);
      const faults = 1 + Math.floor(random() * 2);
      for (let f = 0; f < faults; f++) faultTree(tree, random);
      let bytes = serialize(tree);
      // A quarter also get a byte-level corruption on top (bit flips, truncations, insertions).
      if (random() < 0.25) bytes = mutate(bytes, random);
      const scanned = scanTracesProto(bytes);
      let decoded: number | undefined;
      let decodeError = '';
      try {
        const result = decodeTracesProto(bytes);
        if (result.rejected === 0) decoded = result.spans.length;
        else verdicts.rejectedSpan++;
      } catch (error) {
        decodeError = (error as Error).message;
      }
      assert.equal(scanned, decoded, `round ${round}: scan ${scanned}, decode ${decoded} ${decodeError}`);
      if (decoded === undefined) verdicts.refused++;
      else verdicts.accepted++;
      // The transcoder's checked path takes nothing the decoder would not take whole, and counts the same.
      const transcoded = transcoder.transcodeResourceSpans(bytes, allocate);
      if (transcoded !== undefined) {
        assert.equal(transcoded.spanCount, decoded, `round ${round}: transcoded`);
        const json = JSON.parse(`{"resourceSpans":[${transcoded.json.toString('utf8')}]}`) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
        assert.equal(json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length, decoded);
      }
      // protobufjs's opinion on the wire format: what it refuses, ours refuse too.
      let protobufjsOk = true;
      try {
        ExportTraceServiceRequest.decode(bytes);
      } catch {
        protobufjsOk = false;
      }
      if (!protobufjsOk) {
        verdicts.protobufjsRefused++;
        assert.equal(decoded, undefined, `round ${round}: protobufjs refuses what the decoder takes`);
      }
    }
    // Every outcome was exercised, so the agreement is not vacuous.
    assert.ok(verdicts.accepted > 400 && verdicts.refused > 1000 && verdicts.rejectedSpan > 100, JSON.stringify(verdicts));
  });
});
