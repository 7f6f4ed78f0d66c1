import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertDelivered, assertFailed, describeExporterTls } from '../support/describeExporterTls.js';
import { exportThroughPipeline } from '../support/exportThroughPipeline.js';

/** OTLP/HTTPS through the real pipeline against TLS and mTLS sinks, with certificates made by openssl. */
describeExporterTls('HTTPS exporter TLS (httpsClientOptions)', (sink) => sink.httpUrl, (env) => {
  it('uses the system roots without ca_certs, which do not trust the test CA: never plaintext', async () => {
    const run = await exportThroughPipeline(env.tlsSink.httpUrl, {});
    assertFailed(run, env.tlsSink);
    assert.equal(run.stats.retries, 0, 'a handshake failure is not retried');
  });

  it('sends JSON and gzip over mTLS too', async () => {
    const run = await exportThroughPipeline(`${env.mtlsSink.httpUrl}?encoding=json&compression=gzip`, {
      ca_certs: [env.certs.caCert],
      https_keypairs: [{ key_file: env.certs.clientKey, cert_file: env.certs.clientCert }],
    });
    assertDelivered(run, env.mtlsSink);
    assert.deepEqual(env.mtlsSink.requests.map((r) => [r.encoding, r.compressed]), [['json', true]]);
  });
});
