import assert from 'node:assert/strict';
import { connect as http2Connect, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { EXPORT_PATH } from '../../src/receiver/GrpcReceiver.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { httpPost } from '../support/httpPost.js';
import { largeRequest } from '../support/largeRequest.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { waitFor } from '../support/waitFor.js';

const SENDERS = 20;
/** Bodies that fit the queue budget at once. */
const FIT = 4;

function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

describe('request bodies being read are bounded by the queue budget', () => {
  let sink: OtlpSink;
  let body: Buffer;
  let spansPerBody: number;
  let forwarder: Forwarder | undefined;

  before(async () => {
    sink = await OtlpSink.start();
    ({ body, spans: spansPerBody } = await largeRequest(512 * 1024));
  });

  afterEach(async () => {
    sink.resume();
    await forwarder?.close();
    forwarder = undefined;
    sink.clear();
  });

  after(() => sink.close());

  /** A forwarder whose queue holds FIT bodies (gRPC's view has 5 bytes more) and whose destination holds every export. */
  async function start(): Promise<Forwarder> {
    sink.stall();
    forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 5, export_timeout_ms: 60_000 },
        receiver: { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0', queue_max_bytes: FIT * (body.length + 8), max_request_bytes: 2 * body.length },
      },
      { logger: silentLogger },
    );
    return forwarder;
  }

  it('HTTP: refuses with 429 before reading a body the budget has no room for', async () => {
    const f = await start();
    // Twenty senders announce their bodies and wait: the first FIT reserve the budget, the rest are
    // refused at once, before a byte of their bodies is read.
    const sockets: Socket[] = [];
    const replies: string[] = [];
    for (let i = 0; i < SENDERS; i++) {
      const socket = netConnect(hostPort(f.httpAddress!));
      socket.on('error', () => undefined);
      replies.push('');
      socket.on('data', (c: Buffer) => {
        replies[i] += c.toString('latin1');
      });
      socket.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${body.length}\r\n\r\n`);
      sockets.push(socket);
      // One at a time, so which senders get the room is known.
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor('the senders over the budget to be refused', () => replies.filter((r) => r.startsWith('HTTP/1.1 429 ')).length === SENDERS - FIT, 10_000);
    assert.deepEqual(
      replies.map((r) => r.slice(0, 12)),
      replies.map((_, i) => (i < FIT ? '' : 'HTTP/1.1 429')),
    );
    for (let i = 0; i < FIT; i++) sockets[i]!.write(body);
    await waitFor('the senders with room to be accepted', () => replies.slice(0, FIT).every((r) => r.startsWith('HTTP/1.1 200 ')), 10_000);
    for (const s of sockets) s.destroy();
    assert.equal(f.stats.received.http, FIT * spansPerBody);
    sink.resume();
    await sink.waitForSpans(FIT * spansPerBody);
  });

  it('gRPC: answers RESOURCE_EXHAUSTED before reading a message the budget has no room for', async () => {
    const f = await start();
    const session = http2Connect(`http://${f.grpcAddress}`);
    session.on('error', () => undefined);
    const streams: ClientHttp2Stream[] = [];
    const statuses: Array<string | undefined> = [];
    for (let i = 0; i < SENDERS; i++) {
      const stream = session.request({ ':method': 'POST', ':path': EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      statuses.push(undefined);
      const onHeaders = (headers: IncomingHttpHeaders): void => {
        const status = headers['grpc-status'];
        if (status !== undefined) statuses[i] = String(status);
      };
      stream.on('response', onHeaders);
      stream.on('trailers', onHeaders);
      stream.on('data', () => undefined);
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(body.length, 1);
      stream.write(prefix);
      streams.push(stream);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor('the calls over the budget to be refused', () => statuses.filter((s) => s === '8').length === SENDERS - FIT, 10_000);
    assert.deepEqual([...statuses], statuses.map((_, i) => (i < FIT ? undefined : '8')));
    for (let i = 0; i < FIT; i++) streams[i]!.end(body);
    await waitFor('the calls with room to be accepted', () => statuses.slice(0, FIT).every((s) => s === '0'), 10_000);
    session.destroy();
    assert.equal(f.stats.received.grpc, FIT * spansPerBody);
    assert.equal(f.stats.requests.get('grpc RESOURCE_EXHAUSTED'), SENDERS - FIT);
    sink.resume();
    await sink.waitForSpans(FIT * spansPerBody);
  });
});

describe('a request that can never fit the queue', () => {
  let dir: string;
  let forwarder: Forwarder | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracepipe-never-fits-'));
  });

  afterEach(async () => {
    await forwarder?.close();
    forwarder = undefined;
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it('is answered 413 / RESOURCE_EXHAUSTED without RetryInfo, saying so, instead of 429 for ever', async () => {
    // Queued for capture files as OTLP/JSON, this request takes about twice its protobuf size.
    const { body } = await largeRequest(600 * 1024);
    forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: `file://${dir}` },
        receiver: { grpc_listen: '', http_listen: '127.0.0.1:0', queue_max_bytes: 1024 * 1024, max_request_bytes: 1024 * 1024 },
      },
      { logger: silentLogger },
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await httpPost(forwarder.httpUrl!, body, { 'content-type': 'application/x-protobuf' });
      assert.equal(reply.status, 413);
      assert.equal(reply.headers['retry-after'], undefined);
      assert.match(reply.body.toString('latin1'), /can never be accepted/);
    }
    assert.equal(forwarder.stats.received.http, 0);
  });
});
