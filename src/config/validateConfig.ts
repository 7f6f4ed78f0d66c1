import { ConfigError } from '../errors.js';
import { parseDiagAddr } from '../diagnostics/parseDiagAddr.js';
import { DEFAULT_SPAN_LIMITS } from '../span/defaultSpanLimits.js';
import { readCertificates, readKeypair } from '../tls/readPem.js';
import { didYouMean } from './didYouMean.js';
import { type EnvironmentConfig, environmentConfig } from './environmentConfig.js';
import { exporterHeaders } from './exporterHeaders.js';
import { DEFAULT_MAX_EXPORT_BATCH_BYTES } from './ExporterTarget.js';
import { parseExporterUrl } from './parseExporterUrl.js';
import type { RawConfig, RawSpanLimits } from './RawConfig.js';
import {
  type DiagnosticsConfig,
  RESOLVED,
  type ReceiverConfig,
  type QueueSync,
  type ServerTlsConfig,
  type TlsMaterial,
  type TracepipeConfig,
  type TracingServiceConfig,
} from './TracepipeConfig.js';

/** Defaults, each decided here once; nothing downstream re-checks them. */
export const DEFAULTS = {
  serviceName: 'unknown_service:node', // OTel resource semantic conventions, service.name
  queueMaxBytes: 64 * 1024 * 1024,
  /** The durable queue log's disk budget (receiver.queue_max_disk_bytes). */
  queueMaxDiskBytes: 1024 * 1024 * 1024,
  /** Acknowledged once fdatasynced, as the issue asks ("acknowledged only after its bytes are in the log"). */
  queueSync: 'always',
  queueCommitDelayMs: 0,
  maxExportBatchSize: 512, // the OTel SDK's batch size
  maxExportBatchBytes: DEFAULT_MAX_EXPORT_BATCH_BYTES,
  scheduleDelayMs: 200,
  exportTimeoutMs: 10_000, // OTLP exporter default timeout (OTEL_EXPORTER_OTLP_TIMEOUT)
  shutdownTimeoutMs: 10_000,
  grpcListen: '127.0.0.1:4317', // OTLP default ports
  httpListen: '127.0.0.1:4318',
  maxRequestBytes: 20 * 1024 * 1024, // 20 MiB, as the OTLP spec suggests for receivers
  tagSenderAttribute: 'tracepipe.forwarded_for',
  handshakeTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  heartbeatIntervalMs: 60_000, // tbot's diagnostics heartbeat
  heartbeatRetryIntervalMs: 5_000,
} as const;

const TOP_KEYS = ['service_name', 'resource_attributes', 'tracing_service', 'receiver', 'diag_addr', 'debug', 'diagnostics'];
const TRACING_KEYS = [
  'enabled',
  'exporter_url',
  'sampling_rate_per_million',
  'ca_certs',
  'https_keypairs',
  'keypairs',
  'headers',
  'queue_max_bytes',
  'max_export_batch_size',
  'max_export_batch_bytes',
  'schedule_delay_ms',
  'export_timeout_ms',
  'shutdown_timeout_ms',
  'span_limits',
];
const SPAN_LIMIT_KEYS = [
  'attribute_count_limit',
  'attribute_value_length_limit',
  'event_count_limit',
  'link_count_limit',
  'event_attribute_count_limit',
  'link_attribute_count_limit',
];
const RECEIVER_KEYS = [
  'grpc_listen',
  'http_listen',
  'tls',
  'max_request_bytes',
  'queue_max_bytes',
  'tag_sender',
  'sampling_rate_per_million',
  'shutdown_timeout_ms',
  'handshake_timeout_ms',
  'request_timeout_ms',
  'idle_timeout_ms',
  'max_retry_age_ms',
  'queue_dir',
  'queue_max_disk_bytes',
  'queue_sync',
  'queue_commit_delay_ms',
];
const RECEIVER_TLS_KEYS = ['cert_file', 'key_file', 'client_ca_file'];
const KEYPAIR_KEYS = ['key_file', 'cert_file'];
const DIAGNOSTICS_KEYS = ['heartbeat_interval_ms', 'heartbeat_retry_interval_ms'];

type Obj = Record<string, unknown>;

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
}

function fail(key: string, rule: string, value: unknown): never {
  const subject = key === '' ? 'the configuration' : key;
  throw new ConfigError(`${subject} must be ${rule}, got ${show(value)}`, { key: key === '' ? undefined : key });
}

function object(value: unknown, key: string, known: readonly string[]): Obj {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(key, 'a mapping', value);
  for (const k of Object.keys(value)) {
    if (!known.includes(k)) {
      const full = key === '' ? k : `${key}.${k}`;
      const hint = didYouMean(k, known);
      throw new ConfigError(`unknown key ${full}${hint === undefined ? '' : ` (did you mean ${hint}?)`}`, {
        key: full,
        code: 'TRACEPIPE_CONFIG_UNKNOWN_KEY',
      });
    }
  }
  return value as Obj;
}

function integer(value: unknown, key: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(key, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A sampling rate per million (an integer from 0 to 1000000), undefined when unset; `key` names it in errors. */
export function ratePerMillion(value: unknown, key: string): number | undefined {
  return value === undefined ? undefined : integer(value, key, 0, 1_000_000, 0);
}

function boolean(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(key, 'true or false', value);
  return value;
}

function string(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(key, 'a string', value);
  return value;
}

function list(value: unknown, key: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(key, 'a list', value);
  return value;
}

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^/:\s[\]]+):(\d{1,5})$/;

/** `host:port` for a listener; an empty string turns that listener off. */
export function listenAddress(value: unknown, key: string, fallback: string | undefined): string | undefined {
  if (value === undefined) return fallback;
  if (value === '') return undefined;
  if (typeof value !== 'string' || !ADDRESS.test(value) || Number(ADDRESS.exec(value)![2]) > 65535) {
    fail(key, 'an address host:port with a port from 0 to 65535', value);
  }
  return value;
}

/** What `--diag-addr` and startDiagnostics take too: `host:port`, `[v6]:port`, `:port` or a port (loopback). */
function diagAddress(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') {
    try {
      parseDiagAddr(value);
      return value;
    } catch {
      // Reported below, in the words every config error uses.
    }
  }
  return fail('diag_addr', 'an address host:port, :port or port, with a port from 0 to 65535', value);
}

const MAX_BYTES = 2 ** 40;
/** Room for a request's framing and a small span. */
const MIN_EXPORT_BATCH_BYTES = 1024;
const MAX_MS = 24 * 3600 * 1000;
/** Span limits are counts and string lengths: a 32-bit int, as the SDKs keep them. */
const MAX_LIMIT = 2 ** 31 - 1;

/**
 * The `tracing_service` block over what the environment says: each key the user wrote wins over
 * its variable (header by header for `headers`); OTEL_SDK_DISABLED=true wins over everything.
 */
function tracingService(raw: unknown, env: EnvironmentConfig): TracingServiceConfig {
  const written = object(raw, 'tracing_service', TRACING_KEYS);
  const t: Obj = { ...env.tracing };
  for (const [k, v] of Object.entries(written)) if (v !== undefined) t[k] = v;
  const enabled = !env.disabled && boolean(t.enabled, 'tracing_service.enabled', false);
  const url = string(t.exporter_url, 'tracing_service.exporter_url');
  if (enabled && (url === undefined || url.trim() === '')) {
    throw new ConfigError('tracing_service is enabled but no exporter_url is specified', {
      key: 'tracing_service.exporter_url',
      code: 'TRACEPIPE_CONFIG_MISSING',
    });
  }
  if (t.https_keypairs !== undefined && t.keypairs !== undefined) {
    throw new ConfigError('tracing_service.https_keypairs and tracing_service.keypairs are the same setting: give only one', {
      key: 'tracing_service.keypairs',
    });
  }
  const keypairsKey = t.keypairs !== undefined ? 'tracing_service.keypairs' : 'tracing_service.https_keypairs';
  const exporter = url === undefined || url.trim() === '' ? undefined : parseExporterUrl(url);
  const tls = tlsMaterial(t.ca_certs, t.keypairs ?? t.https_keypairs, keypairsKey);
  if (env.grpcTlsRequiredBy !== undefined && written.exporter_url === undefined && tls === undefined) {
    throw new ConfigError(
      `${env.grpcTlsRequiredBy} is https:// with protocol grpc, but the gRPC exporter uses TLS only with a CA or a client keypair: set OTEL_EXPORTER_OTLP_CERTIFICATE or tracing_service.ca_certs`,
      { key: env.grpcTlsRequiredBy },
    );
  }
  return {
    enabled,
    exporter,
    samplingRatePerMillion: ratePerMillion(t.sampling_rate_per_million, 'tracing_service.sampling_rate_per_million') ?? 0,
    tls,
    headers: { ...exporterHeaders(env.tracing.headers, 'OTEL_EXPORTER_OTLP_HEADERS'), ...exporterHeaders(written.headers, 'tracing_service.headers') },
    queueMaxBytes: integer(t.queue_max_bytes, 'tracing_service.queue_max_bytes', 1024, MAX_BYTES, DEFAULTS.queueMaxBytes),
    maxExportBatchSize: integer(t.max_export_batch_size, 'tracing_service.max_export_batch_size', 1, 1_000_000, DEFAULTS.maxExportBatchSize),
    maxExportBatchBytes: integer(t.max_export_batch_bytes, 'tracing_service.max_export_batch_bytes', MIN_EXPORT_BATCH_BYTES, MAX_BYTES, DEFAULTS.maxExportBatchBytes),
    scheduleDelayMs: integer(t.schedule_delay_ms, 'tracing_service.schedule_delay_ms', 0, MAX_MS, DEFAULTS.scheduleDelayMs),
    exportTimeoutMs: integer(t.export_timeout_ms, 'tracing_service.export_timeout_ms', 1, MAX_MS, DEFAULTS.exportTimeoutMs),
    shutdownTimeoutMs: integer(t.shutdown_timeout_ms, 'tracing_service.shutdown_timeout_ms', 1, MAX_MS, DEFAULTS.shutdownTimeoutMs),
    spanLimits: spanLimits(written.span_limits, env.tracing.span_limits),
  };
}

/** `tracing_service.span_limits` key by key over the OTEL_SPAN_* variables, then the SDK's defaults. */
function spanLimits(raw: unknown, fromEnv: RawSpanLimits | undefined): TracingServiceConfig['spanLimits'] {
  const written = raw === undefined ? {} : object(raw, 'tracing_service.span_limits', SPAN_LIMIT_KEYS);
  const l: Obj = { ...fromEnv };
  for (const [k, v] of Object.entries(written)) if (v !== undefined) l[k] = v;
  const count = (key: string, fallback: number): number => integer(l[key], `tracing_service.span_limits.${key}`, 0, MAX_LIMIT, fallback);
  const d = DEFAULT_SPAN_LIMITS;
  return Object.freeze({
    attributeCountLimit: count('attribute_count_limit', d.attributeCountLimit),
    // The SDK reads a length limit of 0 as "no limit": refused here rather than meaning that.
    attributeValueLengthLimit: integer(l.attribute_value_length_limit, 'tracing_service.span_limits.attribute_value_length_limit', 1, MAX_LIMIT, d.attributeValueLengthLimit),
    eventCountLimit: count('event_count_limit', d.eventCountLimit),
    linkCountLimit: count('link_count_limit', d.linkCountLimit),
    attributePerEventCountLimit: count('event_attribute_count_limit', d.attributePerEventCountLimit),
    attributePerLinkCountLimit: count('link_attribute_count_limit', d.attributePerLinkCountLimit),
  });
}

/** Reads and checks the exporter's CA certificates and client keypairs (also used by `replay --to`). */
export function tlsMaterial(caCerts: unknown, keypairs: unknown, keypairsKey: string): TlsMaterial | undefined {
  const caFiles = list(caCerts, 'tracing_service.ca_certs').map((f, i) => {
    const key = `tracing_service.ca_certs[${i}]`;
    if (typeof f !== 'string' || f === '') fail(key, 'a file path', f);
    return f;
  });
  const cas = caFiles.map((f, i) => readCertificates(f, `tracing_service.ca_certs[${i}]`).pem);
  const pairs = list(keypairs, keypairsKey).map((p, i) => {
    const key = `${keypairsKey}[${i}]`;
    const o = object(p, key, KEYPAIR_KEYS);
    const keyFile = string(o.key_file, `${key}.key_file`);
    const certFile = string(o.cert_file, `${key}.cert_file`);
    if (keyFile === undefined || keyFile === '') fail(`${key}.key_file`, 'a file path', o.key_file);
    if (certFile === undefined || certFile === '') fail(`${key}.cert_file`, 'a file path', o.cert_file);
    return { ...readKeypair(keyFile, certFile, key), keyFile, certFile };
  });
  if (cas.length === 0 && pairs.length === 0) return undefined;
  return { ca: cas.length === 0 ? undefined : Buffer.concat(cas), keypairs: pairs, caFiles };
}

function receiver(raw: unknown): ReceiverConfig {
  const r = object(raw, 'receiver', RECEIVER_KEYS);
  let tls: ServerTlsConfig | undefined;
  if (r.tls !== undefined) {
    const o = object(r.tls, 'receiver.tls', RECEIVER_TLS_KEYS);
    const certFile = string(o.cert_file, 'receiver.tls.cert_file');
    const keyFile = string(o.key_file, 'receiver.tls.key_file');
    if (certFile === undefined) fail('receiver.tls.cert_file', 'a file path', o.cert_file);
    if (keyFile === undefined) fail('receiver.tls.key_file', 'a file path', o.key_file);
    const clientCaFile = string(o.client_ca_file, 'receiver.tls.client_ca_file');
    const pair = readKeypair(keyFile, certFile, 'receiver.tls');
    tls = {
      ...pair,
      certFile,
      keyFile,
      clientCaFile,
      clientCa: clientCaFile === undefined ? undefined : readCertificates(clientCaFile, 'receiver.tls.client_ca_file').pem,
    };
  }
  const tag = r.tag_sender;
  if (tag !== undefined && typeof tag !== 'boolean' && (typeof tag !== 'string' || tag === '')) {
    fail('receiver.tag_sender', 'true, false or an attribute name', tag);
  }
  const maxRequestBytes = integer(r.max_request_bytes, 'receiver.max_request_bytes', 1024, MAX_BYTES, DEFAULTS.maxRequestBytes);
  const queueMaxBytes = integer(r.queue_max_bytes, 'receiver.queue_max_bytes', 1024, MAX_BYTES, DEFAULTS.queueMaxBytes);
  checkQueueFitsRequest(queueMaxBytes, maxRequestBytes, 'receiver.queue_max_bytes', 'receiver.max_request_bytes');
  const queueMaxDiskBytes = integer(r.queue_max_disk_bytes, 'receiver.queue_max_disk_bytes', 1024, MAX_BYTES, DEFAULTS.queueMaxDiskBytes);
  checkQueueFitsRequest(queueMaxDiskBytes, maxRequestBytes, 'receiver.queue_max_disk_bytes', 'receiver.max_request_bytes');
  const handshakeTimeoutMs = integer(r.handshake_timeout_ms, 'receiver.handshake_timeout_ms', 1, MAX_MS, DEFAULTS.handshakeTimeoutMs);
  const requestTimeoutMs = integer(r.request_timeout_ms, 'receiver.request_timeout_ms', 1, MAX_MS, DEFAULTS.requestTimeoutMs);
  // The headers are part of the request, so the whole request cannot have less time than they do.
  if (requestTimeoutMs < handshakeTimeoutMs) {
    fail('receiver.request_timeout_ms', `at least receiver.handshake_timeout_ms (${handshakeTimeoutMs})`, requestTimeoutMs);
  }
  return {
    grpcAddr: listenAddress(r.grpc_listen, 'receiver.grpc_listen', DEFAULTS.grpcListen),
    httpAddr: listenAddress(r.http_listen, 'receiver.http_listen', DEFAULTS.httpListen),
    tls,
    maxRequestBytes,
    queueMaxBytes,
    tagSenderAttribute: tag === true ? DEFAULTS.tagSenderAttribute : typeof tag === 'string' ? tag : undefined,
    samplingRatePerMillion: ratePerMillion(r.sampling_rate_per_million, 'receiver.sampling_rate_per_million'),
    shutdownTimeoutMs: integer(r.shutdown_timeout_ms, 'receiver.shutdown_timeout_ms', 1, MAX_MS, DEFAULTS.shutdownTimeoutMs),
    handshakeTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs: integer(r.idle_timeout_ms, 'receiver.idle_timeout_ms', 1, MAX_MS, DEFAULTS.idleTimeoutMs),
    maxRetryAgeMs: r.max_retry_age_ms === undefined ? undefined : integer(r.max_retry_age_ms, 'receiver.max_retry_age_ms', 1, MAX_MS, 0),
    queueDir: queueDir(r.queue_dir),
    queueMaxDiskBytes,
    queueSync: queueSync(r.queue_sync, 'receiver.queue_sync'),
    queueCommitDelayMs: queueCommitDelayMs(r.queue_commit_delay_ms, 'receiver.queue_commit_delay_ms'),
  };
}

const QUEUE_SYNC_POLICIES: readonly QueueSync[] = ['always', 'none'];

/** The durable queue's sync policy; `key` names the setting (or flag) in errors. */
export function queueSync(value: unknown, key: string): QueueSync {
  if (value === undefined) return DEFAULTS.queueSync;
  if (!QUEUE_SYNC_POLICIES.includes(value as QueueSync)) fail(key, `one of ${QUEUE_SYNC_POLICIES.join(', ')}`, value);
  return value as QueueSync;
}

/** Longest commit delay: past it the delay costs every sender more than any disk could save (PostgreSQL caps commit_delay at 100 ms). */
const MAX_COMMIT_DELAY_MS = 1_000;

/** The durable queue's commit delay in ms; `key` names the setting (or flag) in errors. */
export function queueCommitDelayMs(value: unknown, key: string): number {
  return integer(value, key, 0, MAX_COMMIT_DELAY_MS, DEFAULTS.queueCommitDelayMs);
}

function queueDir(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') fail('receiver.queue_dir', 'a directory path', value);
  return value;
}

/**
 * One request of the largest accepted size must fit the queue, or its sender would be told
 * "retry later" for ever. `queueKey`/`requestKey` name the settings as the user gave them.
 */
export function checkQueueFitsRequest(queueMaxBytes: number, maxRequestBytes: number, queueKey: string, requestKey: string): void {
  if (queueMaxBytes < maxRequestBytes) {
    throw new ConfigError(
      `${queueKey} must be at least ${requestKey} (${maxRequestBytes}) so that the largest request accepted fits the queue, got ${queueMaxBytes}`,
      { key: queueKey },
    );
  }
}

function diagnostics(addr: unknown, debug: unknown, raw: unknown): DiagnosticsConfig {
  const d = object(raw, 'diagnostics', DIAGNOSTICS_KEYS);
  return {
    addr: diagAddress(addr),
    debug: boolean(debug, 'debug', false),
    heartbeatIntervalMs: integer(d.heartbeat_interval_ms, 'diagnostics.heartbeat_interval_ms', 1, MAX_MS, DEFAULTS.heartbeatIntervalMs),
    heartbeatRetryIntervalMs: integer(
      d.heartbeat_retry_interval_ms,
      'diagnostics.heartbeat_retry_interval_ms',
      1,
      MAX_MS,
      DEFAULTS.heartbeatRetryIntervalMs,
    ),
  };
}

function resourceAttributes(raw: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('resource_attributes', 'a mapping', raw);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      fail(`resource_attributes.${k}`, 'a string, number or boolean', v);
    }
    out[k] = v;
  }
  return out;
}

/** Parses `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values percent-encoded) as the OTel SDKs do. */
function envResourceAttributes(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = env.OTEL_RESOURCE_ATTRIBUTES;
  if (raw === undefined || raw.trim() === '') return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, got ${show(raw)}`, { key: 'OTEL_RESOURCE_ATTRIBUTES' });
    try {
      out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch (cause) {
      throw new ConfigError(`OTEL_RESOURCE_ATTRIBUTES has a badly percent-encoded pair ${show(pair)}`, { key: 'OTEL_RESOURCE_ATTRIBUTES', cause });
    }
  }
  return out;
}

/**
 * Validates a raw configuration once, applies every default and reads every TLS file.
 * Resource precedence, lowest first: OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, then the
 * config's `resource_attributes` and `service_name` (explicit configuration wins, as in the
 * OTel NodeSDK where code-given options override the environment). `tracing_service` keys take
 * the OpenTelemetry variables the same way (environmentConfig).
 */
export function validateConfig(raw: RawConfig | unknown, env: NodeJS.ProcessEnv = process.env): TracepipeConfig {
  const top = object(raw, '', TOP_KEYS);
  const fromEnv = environmentConfig(env);
  const attrs: Record<string, string | number | boolean> = { ...envResourceAttributes(env) };
  if (env.OTEL_SERVICE_NAME !== undefined && env.OTEL_SERVICE_NAME !== '') attrs['service.name'] = env.OTEL_SERVICE_NAME;
  Object.assign(attrs, resourceAttributes(top.resource_attributes));
  const configured = string(top.service_name, 'service_name');
  if (configured !== undefined && configured !== '') attrs['service.name'] = configured;
  const serviceName = typeof attrs['service.name'] === 'string' ? attrs['service.name'] : DEFAULTS.serviceName;
  attrs['service.name'] = serviceName;
  return {
    [RESOLVED]: true,
    serviceName,
    resourceAttributes: attrs,
    tracing: tracingService(top.tracing_service, fromEnv),
    receiver: receiver(top.receiver),
    diagnostics: diagnostics(top.diag_addr, top.debug, top.diagnostics),
    environmentNotes: fromEnv.notes,
  };
}
