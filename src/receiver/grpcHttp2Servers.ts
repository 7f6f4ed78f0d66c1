import type { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';

/**
 * The HTTP/2 servers behind a bound grpc-js server, for what grpc-js has no option or hook for
 * (the receive window; the status of calls it answers itself). grpc-js keeps them in its private
 * `http2Servers` map. When this release does not, or nothing is bound yet, this warns with what
 * the caller goes without (`consequence`) and returns undefined; the callers' tests fail then,
 * so an upgrade that moves them is noticed.
 */
export function grpcHttp2Servers(server: grpc.Server, logger: Logger, consequence: string): EventEmitter[] | undefined {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    logger.warn(`${consequence}: this @grpc/grpc-js does not keep its HTTP/2 servers where tracepipe looks`);
    return undefined;
  }
  return [...(servers.keys() as IterableIterator<EventEmitter>)];
}
