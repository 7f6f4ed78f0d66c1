import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { TlsMaterial } from '../config/TracepipeConfig.js';

/**
 * Plaintext unless TLS material is configured, as Teleport's gRPC trace client does; with
 * material, TLS against `ca_certs` (system roots when none) presenting the first keypair.
 */
export function grpcChannelCredentials(tls: TlsMaterial | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  const pair = tls.keypairs[0];
  return credentials.createSsl(tls.ca ?? null, pair?.key ?? null, pair?.cert ?? null);
}
