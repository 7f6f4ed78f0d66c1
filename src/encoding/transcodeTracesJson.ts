import { decodeTracesProto } from './decodeTracesProto.js';
import { encodeTracesJsonBytes } from './encodeTracesJson.js';

/**
 * OTLP/JSON `TracesData` bytes for protobuf `ExportTraceServiceRequest` bodies that
 * scanTracesProto accepted, optionally followed by `\n` (a capture-file line).
 */
export function transcodeTracesJson(requests: readonly Uint8Array[], newline = false): Buffer {
  const spans = requests.flatMap((request) => decodeTracesProto(request).spans);
  return encodeTracesJsonBytes(spans, newline);
}
