import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

/** Where `tracepipe ui` listens unless told otherwise (otel-desktop-viewer's port, loopback only). */
export const DEFAULT_UI_ADDR = '127.0.0.1:8000';

export interface UiAddr {
  /** Without brackets, ready for `listen()`. */
  host: string;
  port: number;
  loopback: boolean;
}

/** Parses `host:port`, `[v6]:port`, `:port` or `port` (host 127.0.0.1); `key` names the flag in errors. */
export function parseUiAddr(addr: string, key: string): UiAddr {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^/:\s[\]]*):)?(\d{1,5})$/.exec(addr.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) {
    throw new ConfigError(`${key} must be host:port with a port from 0 to 65535, got ${JSON.stringify(addr)}`, { key });
  }
  const raw = m[1] ?? '';
  const host = raw === '' ? '127.0.0.1' : raw.startsWith('[') ? raw.slice(1, -1) : raw;
  return { host, port, loopback: isLoopbackHost(host) };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}
