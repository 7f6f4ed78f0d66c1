import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import {
  type Compression,
  DEFAULT_FILE_LIMIT_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_HTTP_PATH,
  type ExporterTarget,
  type HttpEncoding,
  SUPPORTED_SCHEMES,
} from './ExporterTarget.js';

/** The OTLP/gRPC default port (OTLP spec, "OTLP/gRPC Default Port"). */
const DEFAULT_GRPC_PORT = 4317;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^/:?#\s[\]]+):(\d{1,5})$/;

/**
 * Parses `exporter_url` once, at start-up, into the target the exporter factory builds from.
 * `key` is the config key as the user wrote it, so every message can name it.
 */
export function parseExporterUrl(raw: string, key = 'tracing_service.exporter_url'): ExporterTarget {
  const url = raw.trim();
  if (url === '') throw new ConfigError(`${key} must not be empty`, { key, code: 'TRACEPIPE_CONFIG_MISSING' });
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) {
    // A bare host:port is gRPC, as in Teleport's tracing client.
    if (!HOST_PORT.test(url)) {
      throw new ConfigError(
        `${key} must be a URL with one of the schemes ${SUPPORTED_SCHEMES.join(', ')}, got ${JSON.stringify(raw)}`,
        { key, code: 'TRACEPIPE_UNSUPPORTED_SCHEME' },
      );
    }
    return parseGrpc(`grpc://${url}`, raw, key);
  }
  const scheme = url.slice(0, schemeEnd).toLowerCase();
  switch (scheme) {
    case 'grpc':
      return parseGrpc(url, raw, key);
    case 'http':
    case 'https':
      return parseHttp(url, raw, key);
    case 'file':
      return parseFile(url, raw, key);
    default:
      throw new ConfigError(
        `${key} has unsupported scheme "${scheme}://" in ${JSON.stringify(raw)}; supported: ${SUPPORTED_SCHEMES.join(', ')}`,
        { key, code: 'TRACEPIPE_UNSUPPORTED_SCHEME' },
      );
  }
}

function parseUrl(url: string, raw: string, key: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new ConfigError(`${key} is not a valid URL, got ${JSON.stringify(raw)}`, { key, cause });
  }
  if (u.hostname === '') throw new ConfigError(`${key} must name a host, got ${JSON.stringify(raw)}`, { key });
  // WHATWG URL accepts port 0, which nothing can connect to.
  if (u.port === '0') throw new ConfigError(`${key} port must be 1 to 65535, got ${JSON.stringify(raw)}`, { key });
  return u;
}

function queryParams(u: URL, allowed: readonly string[], raw: string, key: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of u.searchParams) {
    if (!allowed.includes(name)) {
      const list = allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : '; this scheme takes none';
      throw new ConfigError(`${key} has unknown query parameter "${name}" in ${JSON.stringify(raw)}${list}`, { key });
    }
    if (out.has(name)) throw new ConfigError(`${key} repeats query parameter "${name}" in ${JSON.stringify(raw)}`, { key });
    out.set(name, value);
  }
  return out;
}

function compression(params: Map<string, string>, key: string): Compression {
  const v = params.get('compression') ?? 'none';
  if (v !== 'none' && v !== 'gzip') {
    throw new ConfigError(`${key} query parameter compression must be one of none, gzip, got ${JSON.stringify(v)}`, { key });
  }
  return v;
}

function parseGrpc(url: string, raw: string, key: string): ExporterTarget {
  const u = parseUrl(url, raw, key);
  if (u.pathname !== '' && u.pathname !== '/') {
    throw new ConfigError(`${key} must not have a path for gRPC (the service is fixed by OTLP), got ${JSON.stringify(raw)}`, { key });
  }
  const params = queryParams(u, ['compression'], raw, key);
  const port = u.port === '' ? DEFAULT_GRPC_PORT : Number(u.port);
  return { kind: 'grpc', address: `${u.hostname}:${port}`, compression: compression(params, key), url: raw };
}

function parseHttp(url: string, raw: string, key: string): ExporterTarget {
  const u = parseUrl(url, raw, key);
  const params = queryParams(u, ['encoding', 'compression'], raw, key);
  const encoding = params.get('encoding') ?? 'protobuf';
  if (encoding !== 'protobuf' && encoding !== 'json') {
    throw new ConfigError(`${key} query parameter encoding must be one of protobuf, json, got ${JSON.stringify(encoding)}`, { key });
  }
  const path = u.pathname === '' || u.pathname === '/' ? DEFAULT_HTTP_PATH : u.pathname;
  const endpoint = `${u.protocol}//${u.host}${path}`;
  return {
    kind: 'http',
    endpoint,
    secure: u.protocol === 'https:',
    encoding: encoding as HttpEncoding,
    compression: compression(params, key),
    url: raw,
  };
}

function positiveInt(name: string, value: string, raw: string, key: string, min = 1): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    const rule = min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
    throw new ConfigError(`${key} query parameter ${name} must be ${rule}, got ${JSON.stringify(value)} in ${JSON.stringify(raw)}`, { key });
  }
  return n;
}

function decodePath(path: string, raw: string, key: string): string {
  try {
    return decodeURIComponent(path);
  } catch (cause) {
    throw new ConfigError(`${key} has a malformed %-escape in its path, got ${JSON.stringify(raw)}`, { key, cause });
  }
}

/** Room for the line's framing and a small span: below it nearly every span would be on a line of its own. */
const MIN_LINE_BYTES = 1024;

function parseFile(url: string, raw: string, key: string): ExporterTarget {
  // Parsed by hand: WHATWG URL would read the "." of `file://./traces` as a host.
  const rest = url.slice('file://'.length);
  const q = rest.indexOf('?');
  const pathPart = decodePath(q < 0 ? rest : rest.slice(0, q), raw, key);
  if (pathPart === '') throw new ConfigError(`${key} must name a directory, got ${JSON.stringify(raw)}`, { key });
  const params = queryParams(new URL(`file:///?${q < 0 ? '' : rest.slice(q + 1)}`), ['limit', 'max_files', 'max_line_bytes'], raw, key);
  const limit = params.get('limit');
  const maxFiles = params.get('max_files');
  const maxLineBytes = params.get('max_line_bytes');
  return {
    kind: 'file',
    dir: resolve(pathPart),
    limitBytes: limit === undefined ? DEFAULT_FILE_LIMIT_BYTES : positiveInt('limit', limit, raw, key),
    maxFiles: maxFiles === undefined ? undefined : positiveInt('max_files', maxFiles, raw, key),
    maxLineBytes: maxLineBytes === undefined ? DEFAULT_MAX_LINE_BYTES : positiveInt('max_line_bytes', maxLineBytes, raw, key, MIN_LINE_BYTES),
    url: raw,
  };
}
