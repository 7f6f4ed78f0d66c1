import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { validateConfig } from '../../src/config/validateConfig.js';
import { type Certs, makeCerts } from '../support/certs.js';

let certs: Certs;
before(async () => {
  certs = await makeCerts();
});

test('ca_certs and https_keypairs are read and checked once, at validation', () => {
  const c = validateConfig(
    {
      tracing_service: {
        enabled: true,
        exporter_url: 'grpc://127.0.0.1:4317',
        ca_certs: [certs.caCert, certs.otherCaCert],
        https_keypairs: [{ key_file: certs.clientKey, cert_file: certs.clientCert }],
      },
    },
    {},
  );
  const tls = c.tracing.tls!;
  assert.deepEqual(tls.caFiles, [certs.caCert, certs.otherCaCert]);
  assert.deepEqual(tls.ca, Buffer.concat([readFileSync(certs.caCert), readFileSync(certs.otherCaCert)]));
  assert.equal(tls.keypairs.length, 1);
  assert.deepEqual(tls.keypairs[0]!.cert, readFileSync(certs.clientCert));
  assert.deepEqual(tls.keypairs[0]!.key, readFileSync(certs.clientKey));
  assert.equal(tls.keypairs[0]!.keyFile, certs.clientKey);
});

test('keypairs is an alias of https_keypairs', () => {
  const c = validateConfig({ tracing_service: { keypairs: [{ key_file: certs.clientKey, cert_file: certs.clientCert }] } }, {});
  assert.equal(c.tracing.tls!.ca, undefined);
  assert.equal(c.tracing.tls!.keypairs[0]!.certFile, certs.clientCert);
});

test('bad TLS material is a typed error that names the key and the file', () => {
  const notPem = join(certs.dir, 'not-a-cert.pem');
  writeFileSync(notPem, 'hello\n');
  const brokenCert = join(certs.dir, 'broken-cert.pem');
  writeFileSync(brokenCert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  const cases: Array<[string, unknown, string]> = [
    ['CA file without a certificate', { ca_certs: [notPem] }, `tracing_service.ca_certs[0]: file ${notPem} holds no PEM certificate`],
    ['CA that does not parse', { ca_certs: [certs.caCert, brokenCert] }, `tracing_service.ca_certs[1]: file ${brokenCert} holds a certificate that does not parse`],
    [
      'key that is not a key',
      { https_keypairs: [{ key_file: certs.clientCert, cert_file: certs.clientCert }] },
      `tracing_service.https_keypairs[0].key_file: file ${certs.clientCert} holds no usable PEM private key`,
    ],
    [
      'missing cert file',
      { keypairs: [{ key_file: certs.clientKey, cert_file: '/nonexistent/cert.pem' }] },
      'tracing_service.keypairs[0].cert_file: file /nonexistent/cert.pem does not exist',
    ],
    [
      'key of another certificate',
      { https_keypairs: [{ key_file: certs.otherClientKey, cert_file: certs.clientCert }] },
      `tracing_service.https_keypairs[0]: key_file ${certs.otherClientKey} does not match the certificate in cert_file ${certs.clientCert}`,
    ],
  ];
  for (const [name, tracing, message] of cases) {
    assert.throws(() => validateConfig({ tracing_service: tracing }, {}), { code: 'TRACEPIPE_TLS_MATERIAL', message }, name);
  }
});

test('receiver.tls reads the server keypair and the client CA', () => {
  const c = validateConfig(
    { receiver: { tls: { cert_file: certs.serverCert, key_file: certs.serverKey, client_ca_file: certs.caCert } } },
    {},
  );
  assert.deepEqual(c.receiver.tls!.cert, readFileSync(certs.serverCert));
  assert.deepEqual(c.receiver.tls!.clientCa, readFileSync(certs.caCert));
  assert.throws(() => validateConfig({ receiver: { tls: { cert_file: certs.serverCert, key_file: certs.clientKey } } }, {}), {
    code: 'TRACEPIPE_TLS_MATERIAL',
    message: `receiver.tls: key_file ${certs.clientKey} does not match the certificate in cert_file ${certs.serverCert}`,
  });
});
