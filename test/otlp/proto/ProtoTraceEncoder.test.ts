import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTracesProto } from '../../../src/otlp/proto/decodeTracesProto.js';
import { ProtoTraceEncoder } from '../../../src/otlp/proto/ProtoTraceEncoder.js';
import { OtlpMessages } from '../../../src/otlp/OtlpMessages.js';
import { makeRealisticSpans } from '../../../benchmarks/makeRealisticSpans.js';
import { ENCODING_MODULES, heapAllocations } from '../../support/heapAllocations.js';
import { makeOtlpSpans, makeSdkSpans } from '../../support/everyFieldSpans.js';
import { asUtf8, decodeWithProtobufjs, expectedTracesObject, TO_OBJECT } from '../../support/otlpReference.js';

const { ExportTraceServiceRequest } = new OtlpMessages();

const protoEncoder = new ProtoTraceEncoder();

describe('ProtoTraceEncoder.encode', () => {
  it('encodes SDK spans that use every field exactly as protobufjs reads them back', async () => {
    const spans = await makeSdkSpans();
    assert.equal(spans.length, 6);
    assert.deepStrictEqual(decodeWithProtobufjs(protoEncoder.encode(spans)), asUtf8(expectedTracesObject(spans)));
  });

  it('encodes hand-built OtlpSpans (raw flags, integral doubles, int64 extremes, scope attributes)', () => {
    const spans = makeOtlpSpans();
    const decoded = decodeWithProtobufjs(protoEncoder.encode(spans));
    assert.deepStrictEqual(decoded, expectedTracesObject(spans));
    const first = (decoded as any).resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(first.flags, 0x301);
    assert.equal(first.kind, undefined, 'SPAN_KIND_UNSPECIFIED is the default and left out');
    const attrs = Object.fromEntries(first.attributes.map((kv: any) => [kv.key, kv.value]));
    assert.deepStrictEqual(attrs.one, { doubleValue: 1 });
    assert.ok(Object.is(attrs.negZero.doubleValue, -0));
    assert.deepStrictEqual(attrs.maxInt64, { intValue: '9223372036854775807' });
    assert.deepStrictEqual(attrs.minInt64, { intValue: '-9223372036854775808' });
    assert.deepStrictEqual(attrs.empty, {});
  });

  it('writes a layout the stock OTLP serializer agrees with, field for field', async () => {
    const spans = await makeSdkSpans();
    const ours = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(protoEncoder.encode(spans)), TO_OBJECT);
    const stock = ExportTraceServiceRequest.toObject(
      ExportTraceServiceRequest.decode(ProtobufTraceSerializer.serializeRequest(spans)!),
      TO_OBJECT,
    );
    // The stock serializer writes some defaults (zero counts, an empty status) that we leave out.
    assert.deepStrictEqual(ours, stripDefaults(stock));
  });

  it('groups spans by resource and scope object, in first-seen order', async () => {
    const sdk = await makeSdkSpans();
    const hand = makeOtlpSpans();
    const mixed = [hand[0]!, sdk[0]!, hand[2]!, sdk[1]!, hand[1]!];
    const decoded = decodeWithProtobufjs(protoEncoder.encode(mixed)) as any;
    assert.equal(decoded.resourceSpans.length, 3);
    assert.equal(decoded.resourceSpans[0].scopeSpans[0].spans.length, 2, 'hand[0] and hand[1] share resource and scope');
    assert.deepStrictEqual(decoded, asUtf8(expectedTracesObject(mixed)));
  });

  it('encodes an empty batch as an empty message and is stable across calls (cached parts are copies)', async () => {
    assert.equal(protoEncoder.encode([]).length, 0);
    const spans = await makeSdkSpans();
    const first = Buffer.from(protoEncoder.encode(spans));
    protoEncoder.encode(makeOtlpSpans());
    assert.deepStrictEqual(Buffer.from(protoEncoder.encode(spans)), first);
  });

  it('writes an attribute that contains itself as an empty value 100 levels down, not a stack overflow', () => {
    const [span] = makeOtlpSpans();
    const cyclic: unknown[] = ['x'];
    cyclic.push(cyclic);
    const selfish = Object.assign(Object.create(Object.getPrototypeOf(span)), span, { attributes: { cyclic } });
    // protobufjs stops at 100 nested messages (each array level is two), so read it back with ours.
    const [decoded] = decodeTracesProto(protoEncoder.encode([selfish])).spans;
    let value = decoded!.attributes.cyclic as unknown[];
    for (let level = 1; level < 100; level++) {
      assert.equal(value[0], 'x');
      value = value[1] as unknown[];
    }
    assert.deepStrictEqual(value, ['x', null]);
  });

  it('keeps lengths canonical when a message outgrows its reserved length bytes', () => {
    const [span] = makeOtlpSpans();
    const big = Object.assign(Object.create(Object.getPrototypeOf(span)), span, {
      attributes: { long: 'x'.repeat(70_000), list: Array.from({ length: 300 }, (_, i) => `item ${i}`) },
    });
    const bytes = protoEncoder.encode([big]);
    const decoded = decodeWithProtobufjs(bytes) as any;
    const attrs = decoded.resourceSpans[0].scopeSpans[0].spans[0].attributes;
    assert.equal(attrs[0].value.stringValue.length, 70_000);
    assert.equal(attrs[1].value.arrayValue.values.length, 300);
    // protobufjs re-encoding writes minimal lengths: identical bytes mean ours are minimal too.
    assert.deepStrictEqual(Buffer.from(bytes), Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.decode(bytes)).finish()));
  });

  it('allocates next to nothing on the JS heap per span once warm (every span exported over OTLP/gRPC or HTTP)', async () => {
    // The benchmark's spans: 10 attributes of mixed types and an event each, in traces of 8.
    const spans = await makeRealisticSpans(512);
    const batches = 50;
    const bytes = await heapAllocations(
      () => {
        for (let i = 0; i < batches; i++) protoEncoder.encode(spans);
      },
      56 * batches * 512,
      ENCODING_MODULES,
    );
    // What is left is per batch (grouping by resource and scope) and per attribute list (V8's
    // for-in), ~40; an object or a boxed number per span more would show here.
    const perSpan = bytes / (batches * 512);
    assert.ok(perSpan < 56, `${perSpan.toFixed(1)} bytes allocated per span`);
  });
});

/** Drops fields holding their default value from a toObject tree (what a default-omitting encoder leaves out). */
function stripDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDefaults);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const oneofMember = k.endsWith('Value');
    if (!oneofMember && (v === 0 || v === '' || v === '0')) continue;
    const inner = stripDefaults(v);
    if (k === 'status' && Object.keys(inner as object).length === 0) continue;
    out[k] = inner;
  }
  return out;
}
