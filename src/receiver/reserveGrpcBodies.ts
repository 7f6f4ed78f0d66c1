import type { ServerHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { encodeRpcStatus } from './encodeRpcStatus.js';
import { grpcHttp2Servers } from './grpcHttp2Servers.js';
import type { BodyBudget } from './BodyBudget.js';
import { RETRY_DELAY_MS } from './SpanIntake.js';

/** gRPC's message frame: a compressed flag byte, then the message length (big-endian uint32). */
const PREFIX_BYTES = 5;

/**
 * Bounds the memory of gRPC requests being read: grpc-js buffers every call's message until it is
 * whole, for as many calls and connections as senders open. Each call's first frame declares its
 * message length; that many bytes are reserved in `budget` before the rest is read, and a call
 * that does not fit is answered at once with RESOURCE_EXHAUSTED and a RetryInfo (trailers only),
 * then reset with NO_ERROR so its sender stops sending the body (RFC 9113 §8.1). The reservation
 * is given back when the message has arrived (the queue charges it from then on) or the call ends.
 * Lengths over `maxRequestBytes` are left to grpc-js, which refuses them itself.
 */
export function reserveGrpcBodies(server: grpc.Server, budget: BodyBudget, maxRequestBytes: number, logger: Logger): boolean {
  const servers = grpcHttp2Servers(server, logger, 'gRPC request bodies being read are not bounded by the queue budget');
  if (servers === undefined) return false;
  for (const http2Server of servers) {
    http2Server.on('stream', (stream: ServerHttp2Stream) => {
      let prefix: Buffer | undefined;
      let reserved = 0;
      let remaining = -1;
      const release = (): void => {
        if (reserved > 0) budget.release(reserved);
        reserved = 0;
        stream.off('data', onData);
      };
      const onData = (chunk: Buffer): void => {
        if (remaining >= 0) {
          remaining -= chunk.length;
          if (remaining <= 0) release();
          return;
        }
        prefix = prefix === undefined ? chunk : Buffer.concat([prefix, chunk]);
        if (prefix.length < PREFIX_BYTES) return;
        const length = prefix.readUInt32BE(1);
        remaining = PREFIX_BYTES + length - prefix.length;
        prefix = undefined;
        if (length > maxRequestBytes || remaining <= 0) return release();
        if (!budget.reserve(length)) {
          stream.off('data', onData);
          refuse(stream);
          return;
        }
        reserved = length;
      };
      stream.on('data', onData);
      stream.once('close', release);
    });
  }
  return true;
}

function refuse(stream: ServerHttp2Stream): void {
  if (stream.destroyed || stream.headersSent) return;
  const details = 'forwarder queue is full, retry later';
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(grpc.status.RESOURCE_EXHAUSTED),
      'grpc-message': encodeURIComponent(details),
      'grpc-status-details-bin': Buffer.from(encodeRpcStatus(grpc.status.RESOURCE_EXHAUSTED, details, RETRY_DELAY_MS)).toString('base64'),
    },
    { endStream: true },
  );
  stream.close();
}
