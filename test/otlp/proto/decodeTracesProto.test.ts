import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTracesProto } from '../../../src/otlp/proto/decodeTracesProto.js';
import { JsonTraceEncoder } from '../../../src/otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../../../src/otlp/proto/ProtoTraceEncoder.js';
import { OtlpDouble } from '../../../src/otlp/OtlpDouble.js';
import { OtlpResource } from '../../../src/otlp/OtlpResource.js';
import { OtlpSpan } from '../../../src/otlp/OtlpSpan.js';
import protobuf from 'protobufjs';
import { makeOtlpSpans, makeSdkSpans } from '../../support/everyFieldSpans.js';
import { asUtf8 } from '../../support/otlpReference.js';
import { GOOD, SPAN, message } from '../../support/protobufMessages.js';

const jsonEncoder = new JsonTraceEncoder();
const protoEncoder = new ProtoTraceEncoder();

const INVALID = { name: 'TracepipeError', code: 'TRACEPIPE_INVALID_OTLP' };

/**
 * Integral doubles come back wrapped in OtlpDouble, and int64 values past 2^53 as bigint
 * (2^60 sent as a number arrives as 1152921504606846976n): compare them by number.
 */
function plainValues(value: unknown): unknown {
  if (value instanceof OtlpDouble) return value.value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plainValues);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValues(v)]));
  return value;
}

function sameSpan(decoded: ReadableSpan, source: ReadableSpan): void {
  const a = decoded.spanContext();
  const b = source.spanContext();
  assert.equal(a.traceId, b.traceId);
  assert.equal(a.spanId, b.spanId);
  assert.equal(a.traceFlags, b.traceFlags);
  assert.equal(a.traceState?.serialize(), b.traceState?.serialize());
  assert.equal(decoded.parentSpanContext?.spanId, source.parentSpanContext?.spanId);
  assert.equal(decoded.parentSpanContext?.isRemote ?? false, source.parentSpanContext?.isRemote ?? false);
  assert.equal(decoded.name, asUtf8(source.name));
  assert.equal(decoded.kind, source.kind);
  assert.deepStrictEqual(decoded.startTime, source.startTime);
  assert.deepStrictEqual(decoded.endTime, source.endTime);
  assert.deepStrictEqual(decoded.duration, source.duration);
  assert.deepStrictEqual(plainValues(decoded.attributes), plainValues(asUtf8(source.attributes)));
  assert.equal(decoded.droppedAttributesCount, source.droppedAttributesCount);
  assert.deepStrictEqual(
    decoded.events.map((e) => [e.name, e.time, plainValues(e.attributes ?? {}), e.droppedAttributesCount ?? 0]),
    source.events.map((e) => [e.name, e.time, plainValues(e.attributes ?? {}), e.droppedAttributesCount ?? 0]),
  );
  assert.equal(decoded.droppedEventsCount, source.droppedEventsCount);
  assert.deepStrictEqual(
    decoded.links.map((l) => [l.context.traceId, l.context.spanId, l.context.traceFlags, l.context.isRemote ?? false, l.context.traceState?.serialize(), plainValues(l.attributes ?? {}), l.droppedAttributesCount ?? 0]),
    source.links.map((l) => [l.context.traceId, l.context.spanId, l.context.traceFlags, l.context.isRemote ?? false, l.context.traceState?.serialize(), plainValues(l.attributes ?? {}), l.droppedAttributesCount ?? 0]),
  );
  assert.equal(decoded.droppedLinksCount, source.droppedLinksCount);
  assert.deepStrictEqual({ ...decoded.status }, { ...source.status, ...(source.status.message ? { message: asUtf8(source.status.message) } : {}) });
  assert.deepStrictEqual(plainValues(decoded.resource.attributes), plainValues(source.resource.attributes));
  assert.equal(decoded.resource.schemaUrl, source.resource.schemaUrl);
  assert.equal(decoded.instrumentationScope.name, source.instrumentationScope.name);
  assert.equal(decoded.instrumentationScope.version, source.instrumentationScope.version);
  assert.equal(decoded.instrumentationScope.schemaUrl, source.instrumentationScope.schemaUrl);
  assert.equal(decoded.ended, true);
}

describe('decodeTracesProto', () => {
  it('round-trips SDK spans: decode then encode gives identical protobuf and JSON', async () => {
    const spans = await makeSdkSpans();
    const bytes = protoEncoder.encode(spans);
    const result = decodeTracesProto(bytes);
    assert.equal(result.rejected, 0);
    assert.equal(result.spans.length, spans.length);
    assert.deepStrictEqual(Buffer.from(protoEncoder.encode(result.spans)), Buffer.from(bytes));
    assert.equal(jsonEncoder.encode(result.spans), jsonEncoder.encode(spans).replace('broken \\ud800 pair', 'broken \ufffd pair'));
  });

  it('round-trips hand-built OtlpSpans byte for byte (raw flags, integral doubles, int64, scope attributes)', () => {
    const spans = makeOtlpSpans();
    const bytes = protoEncoder.encode(spans);
    const decoded = decodeTracesProto(bytes).spans;
    assert.deepStrictEqual(Buffer.from(protoEncoder.encode(decoded)), Buffer.from(bytes));
    assert.equal(jsonEncoder.encode(decoded), jsonEncoder.encode(spans));
    const first = decoded[0]!;
    assert.equal(first.flags, 0x301);
    assert.equal(first.parentSpanContext?.isRemote, true);
    assert.equal(first.kind, -1);
    assert.ok(first.attributes.one instanceof OtlpDouble);
    assert.ok(Object.is((first.attributes.negZero as unknown as OtlpDouble).value, -0));
    assert.equal(first.attributes.maxInt64, 9223372036854775807n);
    assert.equal(first.attributes.pastSafe, 9007199254740993n);
    assert.equal(first.attributes.empty, null);
    assert.ok(first.resource instanceof OtlpResource);
    assert.equal(first.resource.droppedAttributesCount, 3);
    assert.deepStrictEqual(plainValues(first.instrumentationScope.attributes), { 'scope.attr': 'x', count: 2 });
    assert.equal(first.instrumentationScope.droppedAttributesCount, 4);
    assert.equal(first.spanContext().traceState?.serialize(), 'b=2, a=1 ,,c=3');
    assert.equal(first.spanContext().traceState?.get('a'), '1');
  });

  it('reads the stock ProtobufTraceSerializer output as the same spans', async () => {
    const spans = await makeSdkSpans();
    const result = decodeTracesProto(ProtobufTraceSerializer.serializeRequest(spans)!);
    assert.equal(result.spans.length, spans.length);
    result.spans.forEach((span, i) => sameSpan(span, spans[i]!));
    assert.ok(result.spans.every((s) => s instanceof OtlpSpan));
  });

  it('shares one resource and one scope object per ResourceSpans / ScopeSpans', async () => {
    const spans = await makeSdkSpans();
    const decoded = decodeTracesProto(protoEncoder.encode(spans)).spans;
    assert.equal(new Set(decoded.map((s) => s.resource)).size, 1);
    assert.equal(new Set(decoded.map((s) => s.instrumentationScope)).size, 2);
    assert.equal(decoded[0]!.instrumentationScope, decoded[1]!.instrumentationScope);
  });

  it('rejects spans with unusable ids, keeps the rest, and reports why', () => {
    const bytes = message([
      { ...GOOD, traceId: Buffer.alloc(15, 1) },
      GOOD,
      { ...GOOD, traceId: Buffer.alloc(16) },
      { ...GOOD, spanId: Buffer.alloc(7, 1) },
      { ...GOOD, spanId: Buffer.alloc(8) },
      { ...GOOD, parentSpanId: Buffer.alloc(4, 1) },
      { ...GOOD, spanId: undefined },
      { ...GOOD, name: 'also good', parentSpanId: Buffer.from('0102030405060708', 'hex') },
    ]);
    const result = decodeTracesProto(bytes);
    assert.deepStrictEqual(result.spans.map((s) => s.name), ['good', 'also good']);
    assert.equal(result.spans[1]!.parentSpanContext?.spanId, '0102030405060708');
    assert.equal(result.rejected, 6);
    assert.deepStrictEqual(result.errors, [
      'resource_spans[0].scope_spans[0].spans[0]: trace_id must be 16 bytes, got 15',
      'resource_spans[0].scope_spans[0].spans[2]: trace_id is all zeros',
      'resource_spans[0].scope_spans[0].spans[3]: span_id must be 8 bytes, got 7',
      'resource_spans[0].scope_spans[0].spans[4]: span_id is all zeros',
      'resource_spans[0].scope_spans[0].spans[5]: parent_span_id must be empty or 8 bytes, got 4',
    ]);
  });

  it('skips unknown fields, accepts any Uint8Array view and an empty message', () => {
    // An unknown varint field 99 and an unknown length-delimited field 98 inside the span,
    // and an unknown varint field 500 after the resource spans.
    const extra = Buffer.from([0x98, 0x06, 0x05, 0x92, 0x06, 0x02, 0x41, 0x42]);
    const spanBody = Buffer.concat([Buffer.from(SPAN.encode(GOOD).finish()), extra]);
    const scopeSpans = Buffer.concat([Buffer.from([0x12, spanBody.length]), spanBody]);
    const resourceSpans = Buffer.concat([Buffer.from([0x12, scopeSpans.length]), scopeSpans]);
    const whole = Buffer.concat([Buffer.from([0x0a, resourceSpans.length]), resourceSpans, Buffer.from([0xa0, 0x1f, 0x01])]);
    const padded = new Uint8Array(whole.length + 10);
    padded.set(whole, 5);
    const result = decodeTracesProto(padded.subarray(5, 5 + whole.length));
    assert.deepStrictEqual(result.spans.map((s) => s.name), ['good']);
    assert.deepStrictEqual(decodeTracesProto(new Uint8Array(0)), { spans: [], rejected: 0, errors: [] });
  });

  it('never confuses strings that share a length and sampled bytes, or non-ASCII text', () => {
    // Same length, differing only at index 4, which the string cache's hash does not sample.
    const values = ['abcdefghij', 'abcdXfghij', 'abcdefghij', 'é', '\u00e9', 'ab\u00e9', 'ab\u00e9'];
    const attrs = values.map((v, i) => ({ key: `k${i}`, value: { stringValue: v } }));
    for (let round = 0; round < 3; round++) {
      const [span] = decodeTracesProto(message([{ ...GOOD, attributes: attrs }])).spans;
      assert.deepStrictEqual(Object.values(span!.attributes), values);
    }
    // A lone byte 0xE9 is invalid UTF-8: never a cached 'é', and refused as proto3 requires (as Go's decoder does).
    const latin1 = Buffer.from(message([{ ...GOOD, name: 'é' }]));
    const at = latin1.indexOf(Buffer.from('é'));
    const broken = Buffer.concat([latin1.subarray(0, at - 1), Buffer.from([1, 0xe9]), latin1.subarray(at + 2)]);
    broken[1]! -= 1;
    broken[3]! -= 1;
    broken[5]! -= 1;
    assert.throws(() => decodeTracesProto(broken), { code: 'TRACEPIPE_INVALID_OTLP', message: /string field is not UTF-8/ });
  });

  it('keeps uint64 times exact to the nanosecond, up to the largest value', () => {
    const bytes = message([{ ...GOOD, startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '1763700000123456789' }]);
    const [span] = decodeTracesProto(bytes).spans;
    assert.deepStrictEqual(span!.startTime, [18446744073, 709551615]);
    assert.deepStrictEqual(span!.endTime, [1763700000, 123456789]);
  });

  it('throws TRACEPIPE_INVALID_OTLP for bytes that are not a TracesData message', () => {
    const good = Buffer.from(message([GOOD]));
    assert.throws(() => decodeTracesProto(good.subarray(0, good.length - 3)), INVALID);
    assert.throws(() => decodeTracesProto(Buffer.from([0x0a, 0x05, 0x01])), { ...INVALID, message: /length runs past the end/ });
    assert.throws(() => decodeTracesProto(Buffer.from([0xff, 0xff, 0xff])), { ...INVALID, message: /truncated varint/ });
    assert.throws(() => decodeTracesProto(Buffer.from([0x0b, 0x0c])), { ...INVALID, message: /wire type 3/ });
    assert.throws(() => decodeTracesProto(Buffer.from('{"resourceSpans":[]}')), INVALID);
    // Arrays nested 101 deep: refused before they can exhaust the stack; 100 deep is fine.
    const deep = (levels: number): Uint8Array => {
      const field = (tag: number, body: Uint8Array) => protobuf.Writer.create().uint32(tag).bytes(body).finish();
      let value = protobuf.Writer.create().uint32(0x0a).string('leaf').finish();
      for (let i = 0; i < levels; i++) value = field(0x2a, field(0x0a, value));
      const keyValue = Buffer.concat([protobuf.Writer.create().uint32(0x0a).string('deep').finish(), field(0x12, value)]);
      const span = Buffer.concat([SPAN.encode(GOOD).finish(), field(0x4a, keyValue)]);
      return field(0x0a, field(0x12, field(0x12, span)));
    };
    assert.equal(decodeTracesProto(deep(100)).spans.length, 1);
    assert.throws(() => decodeTracesProto(deep(101)), { ...INVALID, message: /nested more than 100 deep/ });
    assert.equal(decodeTracesProto(deep(3)).spans.length, 1, 'the depth count starts afresh after a failure');
    // A span whose attribute claims more bytes than the span holds.
    assert.throws(() => decodeTracesProto(Buffer.from([0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x4a, 0x09])), INVALID);
  });
});
