import type { AgentOptions } from 'node:https';
import type { TlsMaterial } from '../config/TracepipeConfig.js';

/** The TLS part of an https Agent: `ca_certs` (system roots when none) and the first keypair for mTLS. */
export function httpsClientOptions(tls: TlsMaterial | undefined): Pick<AgentOptions, 'ca' | 'key' | 'cert'> {
  const pair = tls?.keypairs[0];
  return {
    ...(tls?.ca !== undefined && { ca: tls.ca }),
    ...(pair !== undefined && { key: pair.key, cert: pair.cert }),
  };
}
