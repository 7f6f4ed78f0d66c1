import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OtlpMessages } from '../../src/otlp/OtlpMessages.js';
import { decodeRpcStatus } from '../../src/exporters/decodeRpcStatus.js';
import { silentLogger } from '../../src/logger.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { httpPost } from '../support/httpPost.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { waitFor } from '../support/waitFor.js';

const { ExportTraceServiceRequest, ExportTraceServiceResponse } = new OtlpMessages();

const LIMIT = 4096;
const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** google.rpc.Status from an OTLP/HTTP protobuf error body. */
function decodeStatus(body: Buffer): { code: number; message: string } {
  const status = decodeRpcStatus(body);
  assert.ok(status !== undefined, 'the body is a google.rpc.Status');
  return { code: status.code, message: status.message };
}

describe('OTLP/HTTP receiver', () => {
  let dir: string;
  let forwarder: Forwarder;
  let url: string;
  let validProto: Uint8Array;
  let validJson: Uint8Array;
  let accepted = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracepipe-http-recv-'));
    forwarder = await startForwarder(
      {
        tracing_service: { exporter_url: `file://${dir}`, schedule_delay_ms: 5 },
        receiver: { grpc_listen: '', http_listen: '127.0.0.1:0', max_request_bytes: LIMIT },
      },
      { logger: silentLogger },
    );
    url = forwarder.httpUrl!;
    const spans = await makeTestSpans(2);
    validProto = ProtobufTraceSerializer.serializeRequest(spans)!;
    validJson = JsonTraceSerializer.serializeRequest(spans)!;
    assert.ok(validProto.length < LIMIT && validJson.length < LIMIT);
  });

  after(async () => {
    await forwarder.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The server keeps serving: a valid request right after each bad one is accepted. */
  async function stillServes(): Promise<void> {
    const res = await httpPost(url, validProto, PROTO);
    assert.equal(res.status, 200);
    accepted += 2;
  }

  it('accepts protobuf and answers with an empty protobuf ExportTraceServiceResponse', async () => {
    const res = await httpPost(url, validProto, PROTO);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/x-protobuf');
    assert.equal(res.body.length, 0);
    assert.deepEqual(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(res.body)), {});
    accepted += 2;
  });

  it('accepts JSON and answers in JSON', async () => {
    const res = await httpPost(url, validJson, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.body.toString()), {});
    accepted += 2;
  });

  it('accepts gzip bodies in both encodings', async () => {
    for (const [body, type] of [
      [validProto, PROTO],
      [validJson, JSON_TYPE],
    ] as const) {
      const res = await httpPost(url, gzipSync(body), { ...type, 'content-encoding': 'gzip' });
      assert.equal(res.status, 200);
      accepted += 2;
    }
  });

  it('404 for an unknown path, 405 for a wrong method', async () => {
    const notFound = await httpPost(url.replace('/v1/traces', '/v1/logs'), validJson, JSON_TYPE);
    assert.equal(notFound.status, 404);
    assert.equal(JSON.parse(notFound.body.toString()).code, 5);
    await stillServes();
    const get = await httpPost(url, '', {}, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    await stillServes();
  });

  it('415 for a wrong content type or content encoding', async () => {
    const text = await httpPost(url, validJson, { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.match(JSON.parse(text.body.toString()).message, /unsupported content type "text\/plain"/);
    await stillServes();
    const br = await httpPost(url, validProto, { ...PROTO, 'content-encoding': 'br' });
    assert.equal(br.status, 415);
    assert.match(decodeStatus(br.body).message, /unsupported content encoding "br"/);
    await stillServes();
  });

  it('400 INVALID_ARGUMENT with a message for malformed protobuf, JSON and gzip', async () => {
    const proto = await httpPost(url, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), PROTO);
    assert.equal(proto.status, 400);
    assert.equal(proto.headers['content-type'], 'application/x-protobuf');
    const status = decodeStatus(proto.body);
    assert.equal(status.code, 3);
    assert.match(status.message, /invalid OTLP protobuf: length runs past the end of its message at byte 5/);
    await stillServes();

    const json = await httpPost(url, '{"resourceSpans": [', JSON_TYPE);
    assert.equal(json.status, 400);
    const body = JSON.parse(json.body.toString());
    assert.equal(body.code, 3);
    assert.match(body.message, /invalid OTLP\/JSON: /);
    await stillServes();

    const gzip = await httpPost(url, validProto, { ...PROTO, 'content-encoding': 'gzip' });
    assert.equal(gzip.status, 400);
    assert.match(decodeStatus(gzip.body).message, /invalid gzip body/);
    await stillServes();
  });

  it('413 for a declared Content-Length over the limit, before reading the body', async () => {
    const res = await httpPost(url, Buffer.alloc(LIMIT + 1), { ...PROTO, 'content-length': LIMIT + 1 });
    assert.equal(res.status, 413);
    assert.match(decodeStatus(res.body).message, new RegExp(`${LIMIT + 1} bytes exceeds the limit of ${LIMIT} bytes`));
    await stillServes();
  });

  it('413 for a chunked body that grows past the limit while it is read', async () => {
    const res = await httpPost(url, Buffer.alloc(LIMIT * 3, 0x41), { ...PROTO, 'transfer-encoding': 'chunked' });
    assert.equal(res.status, 413);
    assert.match(decodeStatus(res.body).message, /^request body exceeds the limit/);
    await stillServes();
  });

  it('413 for a gzip bomb: small on the wire, over the limit once decompressed', async () => {
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024));
    assert.ok(bomb.length < LIMIT, `the bomb is ${bomb.length} bytes on the wire`);
    const res = await httpPost(url, bomb, { ...PROTO, 'content-encoding': 'gzip' });
    assert.equal(res.status, 413);
    assert.match(decodeStatus(res.body).message, /^decompressed request body exceeds the limit/);
    await stillServes();
  });

  it('reports spans with invalid ids in partial_success and forwards the rest', async () => {
    const json = JSON.parse(Buffer.from(validJson).toString());
    json.resourceSpans[0].scopeSpans[0].spans[0].traceId = 'abcd';
    const res = await httpPost(url, JSON.stringify(json), JSON_TYPE);
    assert.equal(res.status, 200);
    const partial = JSON.parse(res.body.toString()).partialSuccess;
    assert.equal(partial.rejectedSpans, '1');
    assert.match(partial.errorMessage, /^1 span\(s\) rejected: /);
    accepted += 1;

    const request = ExportTraceServiceRequest.decode(validProto) as unknown as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: Uint8Array }> }> }>;
    };
    request.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.spanId = Buffer.from([1, 2, 3]);
    const proto = await httpPost(url, ExportTraceServiceRequest.encode(request).finish(), PROTO);
    assert.equal(proto.status, 200);
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(proto.body), { longs: Number });
    assert.equal(decoded.partialSuccess.rejectedSpans, 1);
    assert.match(decoded.partialSuccess.errorMessage, /^1 span\(s\) rejected: /);
    accepted += 1;
  });

  it('forwarded exactly the accepted spans and counted every request', async () => {
    const spans = await waitFor('every accepted span in the capture', async () => {
      const s = await readCapturedSpans(dir);
      return s.length >= accepted ? s : undefined;
    });
    assert.equal(spans.length, accepted);
    const stats = forwarder.stats;
    assert.equal(stats.received.http, accepted);
    assert.equal(stats.received.grpc, 0);
    assert.equal(stats.dropped.invalid, 2);
    assert.deepEqual(Object.fromEntries(stats.requests), {
      'http 200': 16,
      'http 400': 3,
      'http 404': 1,
      'http 405': 1,
      'http 413': 3,
      'http 415': 2,
    });
  });
});
