/**
 * The TLS/mTLS cases every network exporter must pass, run through the real pipeline against
 * a TLS sink and an mTLS sink, with certificates made by openssl. Each transport's test file
 * names how to reach a sink and adds its own cases (what happens without TLS material differs).
 *
 *   describeExporterTls('gRPC exporter TLS', (sink) => sink.grpcUrl, (env) => {
 *     it('...', async () => { const run = await exportThroughPipeline(env.tlsSink.grpcUrl, {}); assertFailed(run, env.tlsSink); });
 *   });
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makeCerts, type Certs } from './certs.js';
import { exportThroughPipeline, type PipelineRun } from './exportThroughPipeline.js';
import { OtlpSink } from './OtlpSink.js';

/** Filled in by the suite's `before`: read it inside tests, not while declaring them. */
export interface TlsEnv {
  certs: Certs;
  /** Server certificate signed by `certs.caCert`. */
  tlsSink: OtlpSink;
  /** The same, and clients must present a certificate signed by `certs.caCert`. */
  mtlsSink: OtlpSink;
}

export function assertDelivered(run: PipelineRun, sink: OtlpSink): void {
  assert.deepEqual(sink.spans.map((s) => s.spanId).sort(), [...run.spanIds].sort());
  assert.equal(run.stats.exported, run.spanIds.length);
  assert.equal(run.stats.exportFailed, 0);
}

/** A failed handshake is a counted export failure, and the sink took nothing. */
export function assertFailed(run: PipelineRun, sink: OtlpSink): void {
  assert.equal(run.stats.exported, 0);
  assert.equal(run.stats.exportFailed, run.spanIds.length);
  assert.equal(sink.spans.length, 0);
}

export function describeExporterTls(title: string, urlOf: (sink: OtlpSink) => string, transportCases: (env: TlsEnv) => void): void {
  describe(title, () => {
    const env = {} as TlsEnv;

    before(async () => {
      env.certs = await makeCerts();
      const { serverCert: cert, serverKey: key, caCert } = env.certs;
      env.tlsSink = await OtlpSink.start({ tls: { cert, key } });
      env.mtlsSink = await OtlpSink.start({ tls: { cert, key, clientCa: caCert } });
    });
    after(async () => {
      await env.tlsSink.close();
      await env.mtlsSink.close();
    });
    beforeEach(() => {
      env.tlsSink.clear();
      env.mtlsSink.clear();
    });

    it('works over TLS with a custom CA', async () => {
      const run = await exportThroughPipeline(urlOf(env.tlsSink), { ca_certs: [env.certs.caCert] });
      assertDelivered(run, env.tlsSink);
    });

    it('works over mTLS with the client keypair (https_keypairs)', async () => {
      const run = await exportThroughPipeline(urlOf(env.mtlsSink), {
        ca_certs: [env.certs.caCert],
        https_keypairs: [{ key_file: env.certs.clientKey, cert_file: env.certs.clientCert }],
      });
      assertDelivered(run, env.mtlsSink);
    });

    it('works over mTLS with the keypair under its Teleport alias (keypairs)', async () => {
      const run = await exportThroughPipeline(urlOf(env.mtlsSink), {
        ca_certs: [env.certs.caCert],
        keypairs: [{ key_file: env.certs.clientKey, cert_file: env.certs.clientCert }],
      });
      assertDelivered(run, env.mtlsSink);
    });

    it('fails against an mTLS server without a client certificate, at once', async () => {
      const run = await exportThroughPipeline(urlOf(env.mtlsSink), { ca_certs: [env.certs.caCert] });
      assertFailed(run, env.mtlsSink);
      assert.equal(run.stats.retries, 0, 'a handshake failure is not retried');
    });

    it('fails against an mTLS server with a client certificate from an unrelated CA', async () => {
      const run = await exportThroughPipeline(urlOf(env.mtlsSink), {
        ca_certs: [env.certs.caCert],
        https_keypairs: [{ key_file: env.certs.otherClientKey, cert_file: env.certs.otherClientCert }],
      });
      assertFailed(run, env.mtlsSink);
    });

    it('fails against a server its CA does not trust, at once', async () => {
      const run = await exportThroughPipeline(urlOf(env.tlsSink), { ca_certs: [env.certs.otherCaCert] });
      assertFailed(run, env.tlsSink);
      assert.equal(run.stats.retries, 0, 'a handshake failure is not retried');
    });

    transportCases(env);
  });
}
