import type { PeerCertificate } from 'node:tls';

/**
 * Who sent a request, for the sender tag: the subject of a verified client certificate
 * (`CN=checkout,O=acme`) when mTLS is on, the peer's IP address otherwise (without the
 * port, which changes with every connection).
 */
export function senderIdentity(remoteAddress: string | undefined, cert: PeerCertificate | undefined): string {
  if (cert !== undefined && cert.subject !== undefined) {
    const parts: string[] = [];
    for (const [name, value] of Object.entries(cert.subject)) {
      for (const v of Array.isArray(value) ? value : [value]) parts.push(`${name}=${v}`);
    }
    if (parts.length > 0) return parts.join(',');
  }
  return remoteAddress ?? 'unknown';
}

/** `127.0.0.1:51234` or `::1:51234` (grpc-js `getPeer()`) → the address alone. */
export function stripPort(peer: string): string {
  const colon = peer.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(peer.slice(colon + 1)) ? peer.slice(0, colon) : peer;
}
