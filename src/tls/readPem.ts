import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readFile(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(cause as Error).message})`;
    throw new ConfigError(`${key}: file ${file} ${reason}`, { key, code: 'TRACEPIPE_TLS_MATERIAL', cause });
  }
}

/** Reads a PEM file that must hold at least one certificate, every one of which parses. */
export function readCertificates(file: string, key: string): { pem: Buffer; certs: X509Certificate[] } {
  const pem = readFile(file, key);
  const blocks = pem.toString('utf8').match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError(`${key}: file ${file} holds no PEM certificate`, { key, code: 'TRACEPIPE_TLS_MATERIAL' });
  }
  const certs = blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (cause) {
      throw new ConfigError(`${key}: file ${file} holds a certificate that does not parse`, { key, code: 'TRACEPIPE_TLS_MATERIAL', cause });
    }
  });
  return { pem, certs };
}

/** Reads a PEM private key. */
export function readPrivateKey(file: string, key: string): { pem: Buffer; key: KeyObject } {
  const pem = readFile(file, key);
  try {
    return { pem, key: createPrivateKey(pem) };
  } catch (cause) {
    throw new ConfigError(`${key}: file ${file} holds no usable PEM private key`, { key, code: 'TRACEPIPE_TLS_MATERIAL', cause });
  }
}

/**
 * Reads a certificate and its key and checks that they belong together. `key` names the pair in
 * messages; `fileKeys` name each file (by default `key.key_file` and `key.cert_file`).
 */
export function readKeypair(
  keyFile: string,
  certFile: string,
  key: string,
  fileKeys: { key: string; cert: string } = { key: `${key}.key_file`, cert: `${key}.cert_file` },
): { key: Buffer; cert: Buffer } {
  const privateKey = readPrivateKey(keyFile, fileKeys.key);
  const { pem, certs } = readCertificates(certFile, fileKeys.cert);
  if (!certs[0]!.checkPrivateKey(privateKey.key)) {
    throw new ConfigError(`${key}: ${leaf(fileKeys.key)} ${keyFile} does not match the certificate in ${leaf(fileKeys.cert)} ${certFile}`, {
      key,
      code: 'TRACEPIPE_TLS_MATERIAL',
    });
  }
  return { key: privateKey.pem, cert: pem };
}

/** The last part of a dotted key (`key_file` of `receiver.tls.key_file`), or a flag as it is. */
function leaf(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}
