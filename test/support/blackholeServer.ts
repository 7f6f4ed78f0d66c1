/**
 * A TCP server on 127.0.0.1 that accepts connections and never says a word (no HTTP/2 preface,
 * no TLS handshake): the worst collector, for "fails within the timeout, never hangs" tests.
 *
 *   const hole = await startBlackhole(); hole.port; await hole.close()
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export async function startBlackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
