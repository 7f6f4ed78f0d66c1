/**
 * Test certificates made with the `openssl` CLI into a fresh temp dir, once per process:
 * a CA with a server certificate for localhost/127.0.0.1 and a client certificate, and a
 * second, unrelated CA with its own client and server certificates (for "untrusted" cases).
 * EC P-256 keys keep generation fast. The directory is removed when the process exits.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Certs {
  dir: string;
  /** Trusted CA. */
  caCert: string;
  /** Signed by the CA; SAN DNS:localhost, IP:127.0.0.1. */
  serverCert: string;
  serverKey: string;
  /** Signed by the CA, for mTLS. */
  clientCert: string;
  clientKey: string;
  /** A CA nothing else trusts. */
  otherCaCert: string;
  /** Signed by the other CA. */
  otherClientCert: string;
  otherClientKey: string;
  /** Signed by the other CA; SAN DNS:localhost, IP:127.0.0.1. */
  otherServerCert: string;
  otherServerKey: string;
}

let cached: Promise<Certs> | undefined;

export function makeCerts(): Promise<Certs> {
  cached ??= generate();
  return cached;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function key(dir: string, name: string): Promise<string> {
  const file = join(dir, `${name}.key`);
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  return file;
}

async function ca(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const k = await key(dir, name);
  const cert = join(dir, `${name}.pem`);
  await openssl(dir, [
    'req', '-x509', '-new', '-key', k, '-subj', `/CN=tracepipe test ${name}`, '-days', '3', '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key: k };
}

async function leaf(
  dir: string,
  name: string,
  issuer: { cert: string; key: string },
  usage: 'serverAuth' | 'clientAuth',
): Promise<{ cert: string; key: string }> {
  const k = await key(dir, name);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const cert = join(dir, `${name}.pem`);
  const san = usage === 'serverAuth' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' : '';
  await writeFile(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${usage}\n${san}`);
  await openssl(dir, ['req', '-new', '-key', k, '-subj', `/CN=${usage === 'serverAuth' ? 'localhost' : name}`, '-out', csr]);
  await openssl(dir, [
    'x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', String(Date.now() + Math.floor(Math.random() * 1e6)),
    '-days', '2', '-extfile', ext, '-out', cert,
  ]);
  return { cert, key: k };
}

async function generate(): Promise<Certs> {
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-certs-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const [trusted, other] = await Promise.all([ca(dir, 'ca'), ca(dir, 'other-ca')]);
  const [server, client, otherClient, otherServer] = await Promise.all([
    leaf(dir, 'server', trusted, 'serverAuth'),
    leaf(dir, 'client', trusted, 'clientAuth'),
    leaf(dir, 'other-client', other, 'clientAuth'),
    leaf(dir, 'other-server', other, 'serverAuth'),
  ]);
  return {
    dir,
    caCert: trusted.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCaCert: other.cert,
    otherClientCert: otherClient.cert,
    otherClientKey: otherClient.key,
    otherServerCert: otherServer.cert,
    otherServerKey: otherServer.key,
  };
}
