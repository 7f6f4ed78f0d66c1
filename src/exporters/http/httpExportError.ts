import type { IncomingHttpHeaders } from 'node:http';
import { ExportError } from '../../errors.js';
import { decodeRpcStatus } from '../decodeRpcStatus.js';
import { isTlsFailure } from '../isTlsFailure.js';

/** OTLP/HTTP spec, "Retryable Response Codes". */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** Socket-level failures that another attempt may not meet (a collector restarting, a dropped keep-alive). */
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** A request that got no response: TLS failures are final, connection failures retryable. */
export function httpExportError(error: NodeJS.ErrnoException, target: string): ExportError {
  if (isTlsFailure(error)) {
    return new ExportError(`${target}: TLS handshake failed: ${error.message}${error.code ? ` (${error.code})` : ''}`, { cause: error });
  }
  return new ExportError(`${target}: ${error.message}${error.code ? ` (${error.code})` : ''}`, {
    retryable: error.code !== undefined && RETRYABLE_CODES.has(error.code),
    cause: error,
  });
}

/** A non-2xx response: 429/502/503/504 are retryable after Retry-After, the rest final. */
export function httpResponseError(
  response: { status: number; headers: IncomingHttpHeaders; body: Buffer },
  target: string,
): ExportError {
  const retryable = RETRYABLE_STATUS.has(response.status);
  const retryAfterMs = retryable ? parseRetryAfter(response.headers['retry-after']) : undefined;
  const reason = describeBody(response.body, response.headers['content-type']);
  return new ExportError(`${target}: HTTP ${response.status}${reason ? `: ${reason}` : ''}`, {
    retryable,
    badRequest: response.status === 400 || response.status === 413,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The message of an OTLP error body (google.rpc.Status, protobuf or JSON), or a short text excerpt. */
function describeBody(body: Buffer, contentType: string | undefined): string {
  if (body.length === 0) return '';
  if (contentType?.includes('protobuf')) return decodeRpcStatus(body)?.message ?? '';
  const text = body.toString('utf8', 0, Math.min(body.length, 512));
  if (contentType?.includes('json')) {
    try {
      const message = (JSON.parse(body.toString('utf8')) as { message?: unknown }).message;
      if (typeof message === 'string' && message !== '') return message;
    } catch {
      // Not JSON after all: fall back to the text.
    }
  }
  return text.replace(/\s+/g, ' ').trim();
}
