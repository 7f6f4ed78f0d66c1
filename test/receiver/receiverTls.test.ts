import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoOtlpExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { silentLogger } from '../../src/logger.js';
import { EXPORT_PATH } from '../../src/receiver/GrpcReceiver.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { type Certs, makeCerts } from '../support/certs.js';
import { httpPost } from '../support/httpPost.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { sendWith } from '../support/sendWith.js';

const pass = (b: Buffer): Buffer => b;
const PROTO = { 'content-type': 'application/x-protobuf' };

function grpcCall(address: string, credentials: grpc.ChannelCredentials, body: Uint8Array): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(address, credentials);
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_PATH, pass, pass, Buffer.from(body), { deadline: Date.now() + 20_000 }, (err) => {
      client.close();
      resolve(err);
    });
  });
}

/** A refused TLS handshake surfaces as a TLS alert or a reset, never as an HTTP answer. */
const REFUSED = /^(ECONNRESET|ERR_SSL_\w+)$/;

/** Resolves with the HTTP status, or with the error code when the TLS handshake is refused. */
async function httpsStatus(url: string, body: Uint8Array, tls: Record<string, unknown>): Promise<number | string> {
  try {
    return (await httpPost(url, body, PROTO, { tls: { servername: 'localhost', ...tls } })).status;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

describe('receiver TLS and mTLS', () => {
  let certs: Certs;
  let sink: OtlpSink;
  let body: Uint8Array;
  let read: (file: string) => Buffer;

  before(async () => {
    certs = await makeCerts();
    sink = await OtlpSink.start();
    body = ProtobufTraceSerializer.serializeRequest(await makeTestSpans(2))!;
    read = (file) => readFileSync(file);
  });

  after(async () => {
    await sink.close();
  });

  describe('TLS', () => {
    let forwarder: Forwarder;

    before(async () => {
      forwarder = await startForwarder(
        {
          tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 5 },
          receiver: {
            grpc_listen: '127.0.0.1:0',
            http_listen: '127.0.0.1:0',
            tls: { cert_file: certs.serverCert, key_file: certs.serverKey },
          },
        },
        { logger: silentLogger },
      );
    });

    after(async () => {
      await forwarder.close();
    });

    it('serves https:// on the HTTP listener', () => {
      assert.match(forwarder.httpUrl!, /^https:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
    });

    it('accepts the official exporters when they trust the CA', async () => {
      sink.clear();
      const spans = await makeTestSpans(3);
      const grpcResult = await sendWith(
        new GrpcOtlpExporter({ url: `https://${forwarder.grpcAddress}`, credentials: grpc.credentials.createSsl(read(certs.caCert)) }),
        spans,
      );
      assert.equal(grpcResult.code, ExportResultCode.SUCCESS);
      const httpResult = await sendWith(new ProtoOtlpExporter({ url: forwarder.httpUrl, httpAgentOptions: { ca: read(certs.caCert), servername: 'localhost' } }), spans);
      assert.equal(httpResult.code, ExportResultCode.SUCCESS);
      await sink.waitForSpans(6);
    });

    it('refuses clients that do not trust the certificate, and plaintext clients', async () => {
      const untrusting = await grpcCall(forwarder.grpcAddress!, grpc.credentials.createSsl(read(certs.otherCaCert)), body);
      assert.equal(untrusting?.code, grpc.status.UNAVAILABLE);
      const plaintext = await grpcCall(forwarder.grpcAddress!, grpc.credentials.createInsecure(), body);
      assert.equal(plaintext?.code, grpc.status.UNAVAILABLE);
      assert.equal(await httpsStatus(forwarder.httpUrl!, body, { ca: read(certs.otherCaCert) }), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      const overPlainHttp = await httpPost(forwarder.httpUrl!.replace('https:', 'http:'), body, PROTO).then(
        (r) => r.status,
        (err: NodeJS.ErrnoException) => err.code,
      );
      assert.equal(overPlainHttp, 'ECONNRESET');
      assert.equal(forwarder.stats.received.grpc + forwarder.stats.received.http, 6, 'only the trusting clients sent spans');
    });
  });

  describe('mTLS with sender tagging', () => {
    let forwarder: Forwarder;

    before(async () => {
      forwarder = await startForwarder(
        {
          tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 5 },
          receiver: {
            grpc_listen: '127.0.0.1:0',
            http_listen: '127.0.0.1:0',
            tls: { cert_file: certs.serverCert, key_file: certs.serverKey, client_ca_file: certs.caCert },
            tag_sender: 'peer.identity',
          },
        },
        { logger: silentLogger },
      );
    });

    after(async () => {
      await forwarder.close();
    });

    it('accepts clients with a certificate from the client CA and tags spans with its subject', async () => {
      sink.clear();
      const grpcError = await grpcCall(
        forwarder.grpcAddress!,
        grpc.credentials.createSsl(read(certs.caCert), read(certs.clientKey), read(certs.clientCert)),
        body,
      );
      assert.equal(grpcError, null);
      const status = await httpsStatus(forwarder.httpUrl!, body, { ca: read(certs.caCert), key: read(certs.clientKey), cert: read(certs.clientCert) });
      assert.equal(status, 200);
      const spans = await sink.waitForSpans(4);
      assert.deepEqual(
        spans.map((s) => s.attributes['peer.identity']),
        ['CN=client', 'CN=client', 'CN=client', 'CN=client'],
      );
    });

    it('refuses clients without a certificate or with one from another CA', async () => {
      const noCert = await grpcCall(forwarder.grpcAddress!, grpc.credentials.createSsl(read(certs.caCert)), body);
      assert.equal(noCert?.code, grpc.status.UNAVAILABLE);
      const otherCert = await grpcCall(
        forwarder.grpcAddress!,
        grpc.credentials.createSsl(read(certs.caCert), read(certs.otherClientKey), read(certs.otherClientCert)),
        body,
      );
      assert.equal(otherCert?.code, grpc.status.UNAVAILABLE);

      assert.match(String(await httpsStatus(forwarder.httpUrl!, body, { ca: read(certs.caCert) })), REFUSED);
      assert.match(
        String(await httpsStatus(forwarder.httpUrl!, body, { ca: read(certs.caCert), key: read(certs.otherClientKey), cert: read(certs.otherClientCert) })),
        REFUSED,
      );
      assert.equal(forwarder.stats.received.grpc + forwarder.stats.received.http, 4, 'only the accepted clients sent spans');
    });
  });
});
