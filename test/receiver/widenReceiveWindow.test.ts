import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type ClientHttp2Session, type SecureClientSessionOptions, connect } from 'node:http2';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { startForwarder } from '../../src/receiver/startForwarder.js';
import { RECEIVE_WINDOW_BYTES, widenReceiveWindow } from '../../src/receiver/widenReceiveWindow.js';
import { makeCerts } from '../support/certs.js';

/** The connection window a plain HTTP/2 client is given by the server at `authority` (`http://` or `https://`). */
async function windowOffered(authority: string, options: SecureClientSessionOptions = {}): Promise<number> {
  const session: ClientHttp2Session = connect(authority, options);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('error', reject);
      session.once('remoteSettings', () => resolve());
    });
    // A ping's answer comes after every frame the server sent before it, its WINDOW_UPDATE included.
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
    return session.state.remoteWindowSize!;
  } finally {
    session.close();
  }
}

describe('widenReceiveWindow', () => {
  it('opens the gRPC receiver\'s sessions with a 256 KiB connection window, where a default grpc-js server gives 64 KiB', async () => {
    const forwarder = await startForwarder(
      { tracing_service: { exporter_url: 'grpc://127.0.0.1:1' }, receiver: { grpc_listen: '127.0.0.1:0', http_listen: '' } },
      { logger: silentLogger },
    );
    try {
      assert.equal(RECEIVE_WINDOW_BYTES, 262_144);
      assert.equal(await windowOffered(`http://${forwarder.grpcAddress!}`), 262_144);
      assert.equal(await windowOffered(`http://${forwarder.grpcAddress!}`), 262_144, 'every session, not only the first');
    } finally {
      await forwarder.close();
    }
    const plain = new grpc.Server();
    try {
      const port = await new Promise<number>((resolve, reject) =>
        plain.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
      );
      assert.equal(await windowOffered(`http://127.0.0.1:${port}`), 65_535);
    } finally {
      plain.forceShutdown();
    }
  });

  it('widens TLS sessions too', async () => {
    const certs = await makeCerts();
    const forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: 'grpc://127.0.0.1:1' },
        receiver: { grpc_listen: '127.0.0.1:0', http_listen: '', tls: { cert_file: certs.serverCert, key_file: certs.serverKey } },
      },
      { logger: silentLogger },
    );
    try {
      const tls = { ca: readFileSync(certs.caCert), servername: 'localhost' };
      assert.equal(await windowOffered(`https://${forwarder.grpcAddress!}`, tls), 262_144);
    } finally {
      await forwarder.close();
    }
  });

  it('warns and returns false when it finds no HTTP/2 server to widen (a server not bound yet)', () => {
    const lines: string[] = [];
    const server = new grpc.Server();
    try {
      assert.equal(widenReceiveWindow(server, RECEIVE_WINDOW_BYTES, createLogger('info', (line) => lines.push(line))), false);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /gRPC receive window left at HTTP\/2's 64 KiB/);
    } finally {
      server.forceShutdown();
    }
  });
});
