import { it } from 'node:test';
import { assertFailed, describeExporterTls } from '../support/describeExporterTls.js';
import { exportThroughPipeline } from '../support/exportThroughPipeline.js';

/** OTLP/gRPC through the real pipeline against TLS and mTLS sinks, with certificates made by openssl. */
describeExporterTls('gRPC exporter TLS (grpcChannelCredentials)', (sink) => sink.grpcUrl, (env) => {
  it('is plaintext without TLS material, so a TLS server refuses it', async () => {
    const run = await exportThroughPipeline(env.tlsSink.grpcUrl, {});
    assertFailed(run, env.tlsSink);
  });
});
