/**
 * Hand-made OTLP protobuf messages for the decoder, scanner, transcoder and intake tests, built
 * with protobufjs from our .proto files (protobufjs object form: ids as Buffers).
 */
import { OtlpMessages } from '../../src/otlp/OtlpMessages.js';

const { TracesData } = new OtlpMessages();

export const SPAN = TracesData.lookupType('opentelemetry.proto.trace.v1.Span');

/** A span with usable ids and a name. */
export const GOOD = {
  traceId: Buffer.from('5b8efff798038103d269b633813fc60c', 'hex'),
  spanId: Buffer.from('eee19b7ec3c1b174', 'hex'),
  name: 'good',
};

/** A TracesData with these ResourceSpans. */
export function tracesData(resourceSpans: Record<string, unknown>[]): Uint8Array {
  return TracesData.encode(TracesData.fromObject({ resourceSpans })).finish();
}

/** A TracesData with one span per entry of `spans`, in one resource and scope. */
export function message(spans: Record<string, unknown>[]): Uint8Array {
  return tracesData([{ scopeSpans: [{ spans }] }]);
}
