import type { Socket } from 'node:net';
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { grpcHttp2Servers } from './grpcHttp2Servers.js';

export interface GrpcConnectionBounds {
  /** From accepting the TCP connection to the client's HTTP/2 preface (TLS handshake included). */
  handshakeMs: number;
  /** From a call's first frame to the end of its request message. */
  requestMs: number;
}

/**
 * What grpc-js has no option for: a connection that never completes its TLS handshake or never
 * sends the HTTP/2 preface is closed after `handshakeMs` (else each holds a file descriptor for
 * ever), and a call whose request trickles in is cancelled (RST_STREAM CANCEL) after `requestMs`.
 * Idle connections are grpc-js's `grpc.max_connection_idle_ms`. A connection is matched to its
 * session by the peer's address and port, which the raw socket, the TLS socket and the session's
 * socket all report. Returns false, after a warning, when grpc-js's servers cannot be reached.
 */
export function boundGrpcConnections(server: grpc.Server, bounds: GrpcConnectionBounds, logger: Logger): boolean {
  const servers = grpcHttp2Servers(server, logger, 'gRPC connections that never send the HTTP/2 preface are not closed');
  if (servers === undefined) return false;
  const pending = new Map<string, NodeJS.Timeout>();
  for (const http2Server of servers) {
    http2Server.on('connection', (socket: Socket) => {
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      const timer = setTimeout(() => {
        pending.delete(peer);
        logger.debug({ peer, timeoutMs: bounds.handshakeMs }, 'gRPC connection closed: no HTTP/2 preface within the handshake timeout');
        socket.destroy();
      }, bounds.handshakeMs);
      timer.unref();
      pending.set(peer, timer);
      socket.once('close', () => {
        if (pending.get(peer) === timer) {
          clearTimeout(timer);
          pending.delete(peer);
        }
      });
    });
    http2Server.on('session', (session: ServerHttp2Session) => {
      // The client's preface ends with its SETTINGS frame.
      session.once('remoteSettings', () => {
        const peer = `${session.socket?.remoteAddress}:${session.socket?.remotePort}`;
        clearTimeout(pending.get(peer));
        pending.delete(peer);
      });
    });
    http2Server.on('stream', (stream: ServerHttp2Stream) => {
      const timer = setTimeout(() => {
        if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      }, bounds.requestMs);
      timer.unref();
      const done = (): void => clearTimeout(timer);
      stream.once('end', done);
      stream.once('close', done);
    });
  }
  return true;
}
