import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OtlpMessages } from '../../src/otlp/OtlpMessages.js';
import { silentLogger } from '../../src/logger.js';
import { EXPORT_PATH } from '../../src/receiver/GrpcReceiver.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { waitFor } from '../support/waitFor.js';

const { ExportTraceServiceRequest, ExportTraceServiceResponse } = new OtlpMessages();

const LIMIT = 4096;
const pass = (b: Buffer): Buffer => b;

interface CallResult {
  error: grpc.ServiceError | null;
  response: Buffer | undefined;
}

function call(client: grpc.Client, body: Uint8Array): Promise<CallResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_PATH, pass, pass, Buffer.from(body), { deadline: Date.now() + 20_000 }, (error, response) =>
      resolve({ error, response }),
    );
  });
}

describe('OTLP/gRPC receiver', () => {
  let dir: string;
  let forwarder: Forwarder;
  let client: grpc.Client;
  let gzipClient: grpc.Client;
  let valid: Uint8Array;
  let accepted = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracepipe-grpc-recv-'));
    forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: `file://${dir}`, schedule_delay_ms: 5 },
        receiver: { grpc_listen: '127.0.0.1:0', http_listen: '', max_request_bytes: LIMIT },
      },
      { logger: silentLogger },
    );
    client = new grpc.Client(forwarder.grpcAddress!, grpc.credentials.createInsecure());
    gzipClient = new grpc.Client(forwarder.grpcAddress!, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
    });
    valid = ProtobufTraceSerializer.serializeRequest(await makeTestSpans(3))!;
  });

  after(async () => {
    client.close();
    gzipClient.close();
    await forwarder.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function stillServes(): Promise<void> {
    const { error } = await call(client, valid);
    assert.equal(error, null);
    accepted += 3;
  }

  it('accepts an export and answers with an empty ExportTraceServiceResponse', async () => {
    const { error, response } = await call(client, valid);
    assert.equal(error, null);
    assert.deepEqual(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(response!)), {});
    accepted += 3;
  });

  it('accepts gzip-compressed messages', async () => {
    const { error } = await call(gzipClient, valid);
    assert.equal(error, null);
    accepted += 3;
  });

  it('INVALID_ARGUMENT with a message for malformed protobuf', async () => {
    const { error } = await call(client, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error.details, /invalid OTLP protobuf: length runs past the end of its message at byte 5/);
    await stillServes();
  });

  it('RESOURCE_EXHAUSTED for a message over the limit', async () => {
    const { error } = await call(client, Buffer.alloc(LIMIT + 1));
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED);
    await stillServes();
  });

  it('RESOURCE_EXHAUSTED for a compressed message that decompresses past the limit', async () => {
    const request = ExportTraceServiceRequest.decode(valid) as unknown as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }>;
    };
    request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'x'.repeat(1024 * 1024);
    const { error } = await call(gzipClient, ExportTraceServiceRequest.encode(request).finish());
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(error.details, /decompresses to a size larger than 4096/);
    await stillServes();
  });

  it('INTERNAL (from grpc-js) for a message flagged gzip that does not decompress', async () => {
    const session = connect(`http://${forwarder.grpcAddress!}`);
    try {
      const garbage = Buffer.from('not gzip at all');
      const frame = Buffer.concat([Buffer.from([1, 0, 0, 0, garbage.length]), garbage]);
      const request = session.request({ ':method': 'POST', ':path': EXPORT_PATH, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip', te: 'trailers' });
      const answer = new Promise<IncomingHttpHeaders>((resolve) => request.once('response', resolve));
      request.resume();
      request.end(frame);
      const headers = await answer;
      assert.equal(headers['grpc-status'], String(grpc.status.INTERNAL));
      assert.equal(decodeURIComponent(String(headers['grpc-message'])), 'Failed to decompress message');
    } finally {
      session.close();
    }
    await stillServes();
  });

  it('survives a client whose connection drops in the middle of a message, and does not count that call', async () => {
    const session = connect(`http://${forwarder.grpcAddress!}`);
    const request = session.request({ ':method': 'POST', ':path': EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers' });
    request.on('error', () => {});
    // Half a message, then the connection goes: the call is never answered.
    request.write(Buffer.from([0, 0, 0, 1, 0]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    session.destroy();
    await stillServes();
  });

  it('UNIMPLEMENTED for a method the receiver does not serve', async () => {
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest('/opentelemetry.proto.collector.logs.v1.LogsService/Export', pass, pass, Buffer.from(valid), (err) => resolve(err));
    });
    assert.equal(error?.code, grpc.status.UNIMPLEMENTED);
    await stillServes();
  });

  it('reports spans with invalid ids in partial_success and forwards the rest', async () => {
    const request = ExportTraceServiceRequest.decode(valid) as unknown as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: Uint8Array }> }> }>;
    };
    request.resourceSpans[0]!.scopeSpans[0]!.spans[2]!.traceId = Buffer.alloc(15, 1);
    const { error, response } = await call(client, ExportTraceServiceRequest.encode(request).finish());
    assert.equal(error, null);
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(response!), { longs: Number });
    assert.equal(decoded.partialSuccess.rejectedSpans, 1);
    assert.match(decoded.partialSuccess.errorMessage, /^1 span\(s\) rejected: /);
    accepted += 2;
  });

  it('forwarded exactly the accepted spans and counted the requests it answered', async () => {
    const spans = await waitFor('every accepted span in the capture', async () => {
      const s = await readCapturedSpans(dir);
      return s.length >= accepted ? s : undefined;
    });
    assert.equal(spans.length, accepted);
    assert.equal(forwarder.stats.received.grpc, accepted);
    assert.equal(forwarder.stats.dropped.invalid, 1);
    // Counted too: the two oversized messages, the bad gzip and the unknown method, which grpc-js refuses before any handler runs.
    await waitFor('every answer counted', () => forwarder.stats.requests.get('grpc OK') === 9 || undefined);
    assert.deepEqual(Object.fromEntries(forwarder.stats.requests), {
      'grpc OK': 9,
      'grpc INVALID_ARGUMENT': 1,
      'grpc RESOURCE_EXHAUSTED': 2,
      'grpc INTERNAL': 1,
      'grpc UNIMPLEMENTED': 1,
    });
  });
});

describe('OTLP/gRPC receiver and channelz', () => {
  /** How many gRPC servers of this process channelz lists. */
  function channelzServers(): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = { start_server_id: 0, max_results: 1000 };
      grpc.getChannelzHandlers().GetServers({ request } as never, (err, value) => (err ? reject(err) : resolve(value!.server!.length)));
    });
  }

  it('keeps its server out of channelz (no per-call bookkeeping), which a default grpc-js server is in', async () => {
    const before = await channelzServers();
    const forwarder = await startForwarder(
      { tracing_service: { exporter_url: 'grpc://127.0.0.1:1' }, receiver: { grpc_listen: '127.0.0.1:0', http_listen: '' } },
      { logger: silentLogger },
    );
    try {
      assert.equal(await channelzServers(), before);
    } finally {
      await forwarder.close();
    }
    const plain = new grpc.Server();
    try {
      assert.equal(await channelzServers(), before + 1);
    } finally {
      plain.forceShutdown();
    }
  });
});
