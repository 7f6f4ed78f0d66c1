import { ConfigError } from '../errors.js';

/**
 * Header names both transports can carry: gRPC metadata keys are `[0-9a-z_.-]` once lowercased
 * (grpc-js rejects the rest), a subset of HTTP's token characters.
 */
const NAME = /^[A-Za-z0-9_.-]+$/;
/** Printable ASCII: what a non-binary gRPC metadata value may hold; no CR, LF or NUL for HTTP. */
const VALUE = /^[\x20-\x7e]*$/;
/** Set by the transports themselves; a user value would corrupt the request. */
const RESERVED = new Set(['content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'host', 'connection', 'te', 'user-agent']);

/**
 * Checks `tracing_service.headers` (or what OTEL_EXPORTER_OTLP_HEADERS gave) and returns them with
 * lowercased names. Values are secrets (API keys): errors give their length, never the value.
 */
export function exporterHeaders(value: unknown, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${key} must be a mapping of header names to values, got ${Array.isArray(value) ? 'a list' : typeof value}`, { key });
  }
  for (const [rawName, v] of Object.entries(value)) {
    const name = rawName.toLowerCase();
    const where = `${key}.${rawName}`;
    if (!NAME.test(name) || name.endsWith('-bin')) {
      throw new ConfigError(`${where}: a header name must be letters, digits, "-", "_" or "." (binary "-bin" metadata is not supported), got ${JSON.stringify(rawName)}`, { key: where });
    }
    if (RESERVED.has(name) || name.startsWith('grpc-')) {
      throw new ConfigError(`${where}: ${name} is set by the exporter itself and cannot be configured`, { key: where });
    }
    if (typeof v !== 'string') throw new ConfigError(`${where} must be a string, got ${typeof v} (value not shown)`, { key: where });
    if (!VALUE.test(v)) {
      throw new ConfigError(`${where} must be printable ASCII without CR or LF, got a value of ${v.length} characters (value not shown)`, { key: where });
    }
    out[name] = v;
  }
  return out;
}
