import type { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';

/**
 * The HTTP/2 servers behind a bound grpc-js server, for what grpc-js has no option or hook for
 * (the receive window; the status of calls it answers itself). grpc-js keeps them in its private
 * `http2Servers` map: undefined when this release does not, or nothing is bound yet. The
 * callers' tests fail then, so an upgrade that moves them is noticed.
 */
export function grpcHttp2Servers(server: grpc.Server): EventEmitter[] | undefined {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) return undefined;
  return [...(servers.keys() as IterableIterator<EventEmitter>)];
}
