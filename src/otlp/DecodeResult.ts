import type { OtlpSpan } from './OtlpSpan.js';

/**
 * What a decoder made of one OTLP message: the valid spans, and how many spans it
 * rejected (invalid ids) with the first few reasons, so a receiver can answer
 * `partial_success` and count the rejects.
 */
export interface DecodeResult {
  spans: OtlpSpan[];
  rejected: number;
  errors: string[];
}

/** Reasons kept per message; the count covers the rest. */
export const MAX_DECODE_ERRORS = 5;

export function recordRejection(result: DecodeResult, message: string): void {
  result.rejected++;
  if (result.errors.length < MAX_DECODE_ERRORS) result.errors.push(message);
}

/**
 * Why a span's ids make it unusable, or undefined when they are fine. Lengths are in
 * bytes (-1: text that is neither hex nor base64); the `Zero` flags mark an all-zero
 * trace or span id, which OTLP forbids.
 */
export function idProblem(
  traceIdBytes: number,
  traceIdZero: boolean,
  spanIdBytes: number,
  spanIdZero: boolean,
  parentIdBytes: number,
): string | undefined {
  if (traceIdBytes < 0) return 'trace_id is neither hex nor base64';
  if (traceIdBytes !== 16) return `trace_id must be 16 bytes, got ${traceIdBytes}`;
  if (traceIdZero) return 'trace_id is all zeros';
  if (spanIdBytes < 0) return 'span_id is neither hex nor base64';
  if (spanIdBytes !== 8) return `span_id must be 8 bytes, got ${spanIdBytes}`;
  if (spanIdZero) return 'span_id is all zeros';
  if (parentIdBytes < 0) return 'parent_span_id is neither hex nor base64';
  if (parentIdBytes !== 0 && parentIdBytes !== 8) return `parent_span_id must be empty or 8 bytes, got ${parentIdBytes}`;
  return undefined;
}
