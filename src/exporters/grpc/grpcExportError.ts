import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import { ExportError } from '../../errors.js';
import { decodeRpcStatus } from '../decodeRpcStatus.js';
import { isTlsFailure } from '../isTlsFailure.js';

/** grpc-js, already loaded by the exporter whose call failed. */
const requireOnUse = createRequire(import.meta.url);

/** Classifies a failed unary call for the retry wrapper. */
export function grpcExportError(error: Grpc.ServiceError, target: string): ExportError {
  const { status: Status } = requireOnUse('@grpc/grpc-js') as typeof Grpc;
  // The codes the OTLP specification ("OTLP/gRPC Throttling" and "Failures") lists as retryable,
  // RESOURCE_EXHAUSTED included as the brief asks. CANCELLED is left out: here it only happens
  // when we close the channel ourselves.
  const retryable = [Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED, Status.ABORTED, Status.OUT_OF_RANGE, Status.UNAVAILABLE, Status.DATA_LOSS];
  const name = Status[error.code] ?? String(error.code);
  const details = error.details || error.message;
  if (error.code === Status.UNAVAILABLE && isTlsFailure(details)) {
    return new ExportError(`${target}: TLS handshake failed: ${details}`, { cause: error });
  }
  const retryAfterMs = retryDelay(error.metadata);
  return new ExportError(`${target}: ${name}: ${details}`, {
    code: error.code === Status.DEADLINE_EXCEEDED ? 'TRACEPIPE_EXPORT_TIMEOUT' : 'TRACEPIPE_EXPORT_FAILED',
    retryable: retryable.includes(error.code),
    badRequest: error.code === Status.INVALID_ARGUMENT,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    cause: error,
  });
}

/** A google.rpc.RetryInfo delay from `grpc-status-details-bin`, when the server sent one. */
function retryDelay(metadata: Grpc.Metadata | undefined): number | undefined {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(raw)) return undefined;
  return decodeRpcStatus(raw)?.retryDelayMs;
}
