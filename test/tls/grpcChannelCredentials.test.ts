import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makeCerts, type Certs } from '../support/certs.js';
import { exportThroughPipeline, type PipelineRun } from '../support/exportThroughPipeline.js';
import { OtlpSink } from '../support/OtlpSink.js';

/** OTLP/gRPC through the real pipeline against TLS and mTLS sinks, with certificates made by openssl. */
describe('gRPC exporter TLS (grpcChannelCredentials)', () => {
  let certs: Certs;
  let tlsSink: OtlpSink;
  let mtlsSink: OtlpSink;

  before(async () => {
    certs = await makeCerts();
    tlsSink = await OtlpSink.start({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    mtlsSink = await OtlpSink.start({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.caCert } });
  });
  after(async () => {
    await tlsSink.close();
    await mtlsSink.close();
  });
  beforeEach(() => {
    tlsSink.clear();
    mtlsSink.clear();
  });

  function assertDelivered(run: PipelineRun, sink: OtlpSink): void {
    assert.deepEqual(sink.spans.map((s) => s.spanId).sort(), [...run.spanIds].sort());
    assert.equal(run.stats.exported, run.spanIds.length);
    assert.equal(run.stats.exportFailed, 0);
  }

  /** A failed handshake is a counted export failure, and the sink took nothing. */
  function assertFailed(run: PipelineRun, sink: OtlpSink): void {
    assert.equal(run.stats.exported, 0);
    assert.equal(run.stats.exportFailed, run.spanIds.length);
    assert.equal(sink.spans.length, 0);
  }

  it('works over TLS with a custom CA', async () => {
    const run = await exportThroughPipeline(tlsSink.grpcUrl, { ca_certs: [certs.caCert] });
    assertDelivered(run, tlsSink);
  });

  it('works over mTLS with the client keypair (https_keypairs)', async () => {
    const run = await exportThroughPipeline(mtlsSink.grpcUrl, {
      ca_certs: [certs.caCert],
      https_keypairs: [{ key_file: certs.clientKey, cert_file: certs.clientCert }],
    });
    assertDelivered(run, mtlsSink);
  });

  it('works over mTLS with the keypair under its Teleport alias (keypairs)', async () => {
    const run = await exportThroughPipeline(mtlsSink.grpcUrl, {
      ca_certs: [certs.caCert],
      keypairs: [{ key_file: certs.clientKey, cert_file: certs.clientCert }],
    });
    assertDelivered(run, mtlsSink);
  });

  it('fails against an mTLS server without a client certificate, at once', async () => {
    const run = await exportThroughPipeline(mtlsSink.grpcUrl, { ca_certs: [certs.caCert] });
    assertFailed(run, mtlsSink);
    assert.equal(run.stats.retries, 0, 'a handshake failure is not retried');
  });

  it('fails against an mTLS server with a client certificate from an unrelated CA', async () => {
    const run = await exportThroughPipeline(mtlsSink.grpcUrl, {
      ca_certs: [certs.caCert],
      https_keypairs: [{ key_file: certs.otherClientKey, cert_file: certs.otherClientCert }],
    });
    assertFailed(run, mtlsSink);
  });

  it('fails against a server its CA does not trust, at once', async () => {
    const run = await exportThroughPipeline(tlsSink.grpcUrl, { ca_certs: [certs.otherCaCert] });
    assertFailed(run, tlsSink);
    assert.equal(run.stats.retries, 0, 'a handshake failure is not retried');
  });

  it('is plaintext without TLS material, so a TLS server refuses it', async () => {
    const run = await exportThroughPipeline(tlsSink.grpcUrl, {});
    assertFailed(run, tlsSink);
  });
});
