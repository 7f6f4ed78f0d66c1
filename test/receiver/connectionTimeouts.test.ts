import assert from 'node:assert/strict';
import { connect as http2Connect, constants } from 'node:http2';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { RawReceiver } from '../../src/config/RawConfig.js';
import { silentLogger } from '../../src/logger.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { makeCerts } from '../support/certs.js';
import { OtlpSink } from '../support/OtlpSink.js';

/** Short bounds: the behaviour is the same as with the defaults (10 s, 30 s, 60 s), only sooner. */
const HANDSHAKE_MS = 300;
const REQUEST_MS = 600;
const IDLE_MS = 400;
/** How long a test waits for the server to act on a bound before calling it never. */
const NEVER_MS = 5_000;

function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** Resolves with how long the server took to close `socket`, or rejects after NEVER_MS. */
function closedByServer(socket: Socket, since: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${NEVER_MS} ms`));
    }, NEVER_MS);
    socket.on('error', () => undefined);
    // Reading is what notices the server's FIN.
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

/** A forwarder to `sink` on these listeners, with the tests' short timeouts. */
function startBounded(sink: OtlpSink, listeners: RawReceiver): Promise<Forwarder> {
  const receiver = { ...listeners, handshake_timeout_ms: HANDSHAKE_MS, request_timeout_ms: REQUEST_MS, idle_timeout_ms: IDLE_MS };
  return startForwarder({ tracing_service: { exporter_url: sink.grpcUrl }, receiver }, { logger: silentLogger });
}

describe('receiver connection bounds', () => {
  let sink: OtlpSink;
  let forwarder: Forwarder;

  before(async () => {
    sink = await OtlpSink.start();
    forwarder = await startBounded(sink, { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0' });
  });

  after(async () => {
    await forwarder.close();
    await sink.close();
  });

  it('closes a gRPC connection that never sends the HTTP/2 preface', async () => {
    const socket = netConnect(hostPort(forwarder.grpcAddress!));
    const took = await closedByServer(socket, Date.now());
    assert.ok(took >= HANDSHAKE_MS - 50, `closed after ${took} ms, before the handshake timeout`);
  });

  it('closes a gRPC connection whose preface trickles in', async () => {
    const socket = netConnect(hostPort(forwarder.grpcAddress!));
    const started = Date.now();
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    let i = 0;
    const drip = setInterval(() => {
      if (i < preface.length && !socket.destroyed) socket.write(preface.subarray(i, ++i));
    }, 50);
    try {
      await closedByServer(socket, started);
    } finally {
      clearInterval(drip);
    }
  });

  it('closes an idle gRPC connection with GOAWAY', async () => {
    const session = http2Connect(`http://${forwarder.grpcAddress}`);
    session.on('error', () => undefined);
    const started = Date.now();
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('still open'), NEVER_MS);
      session.once('goaway', () => {
        clearTimeout(timer);
        resolve('goaway');
      });
    });
    session.destroy();
    assert.equal(outcome, 'goaway');
    assert.ok(Date.now() - started >= IDLE_MS - 50);
  });

  it('cancels a gRPC call whose request message trickles in', async () => {
    const session = http2Connect(`http://${forwarder.grpcAddress}`);
    session.on('error', () => undefined);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
    // A 1000-byte message announced, then one byte every 50 ms: it would take 50 s.
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1000, 1);
    stream.write(header);
    const drip = setInterval(() => {
      if (!stream.destroyed) stream.write(Buffer.from([0]));
    }, 50);
    const rstCode = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => resolve('still open'), NEVER_MS);
      stream.once('close', () => {
        clearTimeout(timer);
        resolve(stream.rstCode ?? -1);
      });
    });
    clearInterval(drip);
    session.destroy();
    assert.equal(rstCode, constants.NGHTTP2_CANCEL);
  });

  it('closes an HTTP connection that never sends its request headers', async () => {
    const socket = netConnect(hostPort(forwarder.httpAddress!));
    socket.write('POST /v1/traces HTTP/1.1\r\nHost: x\r\n');
    await closedByServer(socket, Date.now());
  });

  it('answers 408 and closes an HTTP request whose body trickles in', async () => {
    const socket = netConnect(hostPort(forwarder.httpAddress!));
    socket.write('POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n');
    let reply = '';
    socket.on('data', (c: Buffer) => {
      reply += c.toString();
    });
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(Buffer.from([0]));
    }, 50);
    try {
      await closedByServer(socket, Date.now());
    } finally {
      clearInterval(drip);
    }
    assert.match(reply, /^HTTP\/1\.1 408 /);
  });

  it('closes an idle HTTP keep-alive connection', async () => {
    const socket = netConnect(hostPort(forwarder.httpAddress!));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = Date.now();
    const took = await closedByServer(socket, started);
    assert.ok(took >= IDLE_MS - 50, `closed after ${took} ms`);
  });
});

describe('receiver connection bounds with TLS', () => {
  let sink: OtlpSink;
  let forwarder: Forwarder;
  let ca: Buffer;

  before(async () => {
    const certs = await makeCerts();
    ca = readFileSync(certs.caCert);
    sink = await OtlpSink.start();
    forwarder = await startBounded(sink, { grpc_listen: '127.0.0.1:0', http_listen: '', tls: { cert_file: certs.serverCert, key_file: certs.serverKey } });
  });

  after(async () => {
    await forwarder.close();
    await sink.close();
  });

  it('closes a connection that never starts its TLS handshake', async () => {
    await closedByServer(netConnect(hostPort(forwarder.grpcAddress!)), Date.now());
  });

  it('closes a connection that completes TLS but never sends the HTTP/2 preface', async () => {
    const { host, port } = hostPort(forwarder.grpcAddress!);
    const socket = tlsConnect({ host, port, ca, servername: 'localhost', ALPNProtocols: ['h2'] });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    await closedByServer(socket, Date.now());
  });

  it('keeps a client that sent its preface past the handshake timeout, until it is idle', async () => {
    const session = http2Connect(`https://localhost:${hostPort(forwarder.grpcAddress!).port}`, { ca });
    session.on('error', () => undefined);
    const started = Date.now();
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('still open'), NEVER_MS);
      session.once('goaway', () => {
        clearTimeout(timer);
        resolve('goaway');
      });
      session.once('close', () => {
        clearTimeout(timer);
        resolve('closed without GOAWAY');
      });
    });
    session.destroy();
    assert.equal(outcome, 'goaway');
    assert.ok(Date.now() - started >= IDLE_MS - 50);
  });
});
