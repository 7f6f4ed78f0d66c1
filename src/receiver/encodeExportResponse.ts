import { OtlpMessages } from '../otlp/OtlpMessages.js';

/** Built once with the receiver, which answers every request with one. */
const { ExportTraceServiceResponse } = new OtlpMessages();

/** Every span accepted: `partial_success` stays unset (OTLP spec, "Full Success"). */
const FULL_SUCCESS_PROTO = ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish();

/**
 * An `ExportTraceServiceResponse` in protobuf form; `partial_success` is set only when some
 * spans were rejected, so a full success is the empty message.
 */
export function encodeExportResponse(rejected: number, message: string): Uint8Array {
  if (rejected === 0 && message === '') return FULL_SUCCESS_PROTO;
  return ExportTraceServiceResponse.encode(
    ExportTraceServiceResponse.create({ partialSuccess: { rejectedSpans: rejected, errorMessage: message } }),
  ).finish();
}

/** The same response in OTLP/JSON (proto3 JSON mapping: int64 as a decimal string). */
export function exportResponseJson(rejected: number, message: string): string {
  if (rejected === 0 && message === '') return '{}';
  return JSON.stringify({ partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } });
}
