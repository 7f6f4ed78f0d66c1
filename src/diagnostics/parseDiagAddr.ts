import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

/** Teleport's and tbot's documented diagnostics address. */
export const DEFAULT_DIAG_ADDR = '127.0.0.1:3000';

export interface DiagAddr {
  /** Without brackets, ready for `listen()`. */
  host: string;
  port: number;
  /** Only loopback keeps metrics and profiles on this machine. */
  loopback: boolean;
}

/**
 * Parses `host:port`, `[v6]:port`, `:port` or `port`; a missing host means 127.0.0.1, so the
 * service is never reachable from the network unless someone asks for it.
 */
export function parseDiagAddr(addr: string): DiagAddr {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^/:\s[\]]*):)?(\d{1,5})$/.exec(addr.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) {
    throw new ConfigError(`invalid diagnostics address "${addr}": expected host:port with a port from 0 to 65535`, { key: 'diag_addr' });
  }
  const raw = m[1] ?? '';
  const host = raw === '' ? '127.0.0.1' : raw.startsWith('[') ? raw.slice(1, -1) : raw;
  return { host, port, loopback: isLoopback(host) };
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}
