import type { IncomingMessage } from 'node:http';

/** How long a cut connection stays open for the client to read the reply (Go's net/http waits 500 ms too). */
const LINGER_MS = 500;

/**
 * Reads and throws away the rest of a refused request body, so the client gets to read the
 * error reply (closing a socket with unread input resets it, and the reply can be lost) and
 * the connection can carry the next request. Past `maxBytes` the connection is half-closed
 * and, after a short linger, cut: a refused upload is not worth unbounded bandwidth.
 */
export function discardBody(req: IncomingMessage, maxBytes: number): void {
  if (req.complete) return;
  let discarded = 0;
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded <= maxBytes) return;
    req.off('data', onData);
    req.socket.end();
    setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
  };
  req.on('data', onData);
  req.resume();
}
