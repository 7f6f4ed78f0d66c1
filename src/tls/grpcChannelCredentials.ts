import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type { TlsMaterial } from '../config/TracepipeConfig.js';

/** grpc-js is loaded when a gRPC channel is made, not when tracepipe is imported. */
const requireOnUse = createRequire(import.meta.url);

/**
 * Plaintext unless TLS material is configured, as Teleport's gRPC trace client does; with
 * material, TLS against `ca_certs` (system roots when none) presenting the first keypair.
 */
export function grpcChannelCredentials(tls: TlsMaterial | undefined): Grpc.ChannelCredentials {
  const { credentials } = requireOnUse('@grpc/grpc-js') as typeof Grpc;
  if (tls === undefined) return credentials.createInsecure();
  const pair = tls.keypairs[0];
  return credentials.createSsl(tls.ca ?? null, pair?.key ?? null, pair?.cert ?? null);
}
