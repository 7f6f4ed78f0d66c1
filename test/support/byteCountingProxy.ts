/**
 * A TCP proxy on 127.0.0.1 that counts the bytes clients send through it, to check on the wire
 * what a protocol library hides (gRPC compression is undone before the server handler runs).
 *
 *   const proxy = await startByteCountingProxy(targetPort);
 *   proxy.port, proxy.bytesUp (client → server so far), await proxy.close()
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ByteCountingProxy {
  port: number;
  readonly bytesUp: number;
  close(): Promise<void>;
}

export async function startByteCountingProxy(targetPort: number): Promise<ByteCountingProxy> {
  const sockets = new Set<Socket>();
  let bytesUp = 0;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      bytesUp += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get bytesUp() {
      return bytesUp;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
