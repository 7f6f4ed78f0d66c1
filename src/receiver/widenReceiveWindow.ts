import type { Http2Session } from 'node:http2';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { grpcHttp2Servers } from './grpcHttp2Servers.js';

/**
 * The HTTP/2 connection-level receive window of the gRPC receiver's sessions (RFC 9113 §6.9.2:
 * 65,535 bytes unless the receiver raises it). At that size a sender may have 64 KiB in flight
 * per connection, so a 280 KB request takes five round trips of WINDOW_UPDATE, and a forwarder
 * busy transcoding leaves its senders waiting, then itself idle waiting for them. gRPC's own
 * servers open larger windows (1 MiB in grpc-java and gRPC core; grpc-go grows its windows with a
 * bandwidth-delay estimate). 256 KiB kept most of the throughput 512 KiB and 1 MiB gave in the
 * forwarding benchmark, where the larger bursts they let in cost 10-15 MB more peak RSS
 * (docs/forwarding.md).
 */
export const RECEIVE_WINDOW_BYTES = 256 * 1024;

/**
 * Opens every new HTTP/2 session of `server` (after `bindAsync`) with a connection window of
 * `bytes`. grpc-js has no server option for it yet (its client has `grpc-node.flow_control_window`;
 * grpc/grpc-node#3058 proposes the same for servers), so this reaches its HTTP/2 servers
 * (grpcHttp2Servers). When it cannot, the window stays at 64 KiB, which is only slower, and
 * this returns false after a warning.
 */
export function widenReceiveWindow(server: grpc.Server, bytes: number, logger: Logger): boolean {
  const servers = grpcHttp2Servers(server, logger, "gRPC receive window left at HTTP/2's 64 KiB");
  if (servers === undefined) return false;
  for (const http2Server of servers) {
    http2Server.on('session', (session: Http2Session) => {
      try {
        session.setLocalWindowSize(bytes);
      } catch {
        // Only a session already being destroyed refuses, and it receives nothing more anyway.
      }
    });
  }
  return true;
}
