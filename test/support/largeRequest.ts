/**
 * A valid OTLP/protobuf ExportTraceServiceRequest of about `minBytes`: one official serializer's
 * request repeated. Protobuf merges a repeated field across concatenated messages, so the copies
 * make one request whose resource_spans are all of theirs (the spans repeat, ids included).
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { makeTestSpans } from './makeTestSpans.js';

export async function largeRequest(minBytes: number): Promise<{ body: Buffer; spans: number }> {
  const PER_COPY = 200;
  const one = Buffer.from(ProtobufTraceSerializer.serializeRequest(await makeTestSpans(PER_COPY))!);
  const copies = Math.max(1, Math.ceil(minBytes / one.length));
  return { body: Buffer.concat(Array.from({ length: copies }, () => one)), spans: copies * PER_COPY };
}
