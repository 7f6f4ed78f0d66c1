import { ConfigError } from '../errors.js';
import type { RawKeypair, RawSpanLimits, RawTracingService } from './RawConfig.js';

/** What the OpenTelemetry environment variables say about `tracing_service`. */
export interface EnvironmentConfig {
  /** Keys as a user would write them; explicit configuration overrides each one. */
  tracing: RawTracingService;
  /** OTEL_SDK_DISABLED=true: a kill switch that wins over `enabled: true`, as in the OpenTelemetry SDKs. */
  disabled: boolean;
  /** One line per variable that is set but not (fully) honoured, for the caller to log once. */
  notes: string[];
  /**
   * The variable that asked for gRPC over https://: tracepipe's gRPC exporter speaks TLS only with a
   * CA or keypair configured, so validateConfig refuses that endpoint without one.
   */
  grpcTlsRequiredBy: string | undefined;
}

/** Default OTLP endpoints (OpenTelemetry exporter spec, "Endpoint URLs for OTLP/HTTP" and gRPC). */
const DEFAULT_ENDPOINT = { grpc: 'http://localhost:4317', http: 'http://localhost:4318' } as const;

const SAMPLERS: Record<string, { parentBased: boolean; rate: 'arg' | number }> = {
  always_on: { parentBased: false, rate: 1_000_000 },
  always_off: { parentBased: false, rate: 0 },
  traceidratio: { parentBased: false, rate: 'arg' },
  parentbased_always_on: { parentBased: true, rate: 1_000_000 },
  parentbased_always_off: { parentBased: true, rate: 0 },
  parentbased_traceidratio: { parentBased: true, rate: 'arg' },
};

/**
 * The span limit variables (SDK environment variable spec, "Span Limits") and the key each sets;
 * the general OTEL_ATTRIBUTE_* limits ("Attribute Limits") stand in for the attribute ones unset.
 */
const SPAN_LIMIT_VARIABLES: ReadonlyArray<readonly [string, keyof RawSpanLimits, string | undefined]> = [
  ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'attribute_count_limit', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
  ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'attribute_value_length_limit', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
  ['OTEL_SPAN_EVENT_COUNT_LIMIT', 'event_count_limit', undefined],
  ['OTEL_SPAN_LINK_COUNT_LIMIT', 'link_count_limit', undefined],
  ['OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 'event_attribute_count_limit', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
  ['OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 'link_attribute_count_limit', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
];

/** Variables read here; any other OTEL_ variable about traces or the SDK is reported as not supported. */
const HANDLED = new Set([
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_PROPAGATORS',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  ...SPAN_LIMIT_VARIABLES.map(([name]) => name),
  ...['ENDPOINT', 'PROTOCOL', 'HEADERS', 'TIMEOUT', 'COMPRESSION', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].flatMap((s) => [
    `OTEL_EXPORTER_OTLP_${s}`,
    `OTEL_EXPORTER_OTLP_TRACES_${s}`,
  ]),
]);
/** Other signals' variables: not ours to judge. */
const OTHER_SIGNALS = /^OTEL_(METRICS?|LOGS|LOGRECORD|BLRP|EXPORTER_OTLP_(METRICS|LOGS)|EXPORTER_PROMETHEUS)_/;

/**
 * Reads the OpenTelemetry SDK environment variables (SDK configuration spec, "Environment Variable
 * Specification") into `tracing_service` keys. A value that cannot be parsed is reported in
 * `notes` and ignored, as the spec asks; only malformed OTEL_EXPORTER_OTLP_HEADERS (whose values
 * are secrets, so nothing of them may reach a log line) are an error.
 */
export function environmentConfig(env: NodeJS.ProcessEnv): EnvironmentConfig {
  const notes: string[] = [];
  const tracing: RawTracingService = {};
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const otlp = (name: string): string | undefined => get(`OTEL_EXPORTER_OTLP_TRACES_${name}`) ?? get(`OTEL_EXPORTER_OTLP_${name}`);
  const otlpName = (name: string): string =>
    get(`OTEL_EXPORTER_OTLP_TRACES_${name}`) !== undefined ? `OTEL_EXPORTER_OTLP_TRACES_${name}` : `OTEL_EXPORTER_OTLP_${name}`;
  const millis = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    if (/^\d+$/.test(v) && Number(v) > 0) return Number(v);
    notes.push(`${name} must be a positive integer (milliseconds), got ${JSON.stringify(v)}; ignored`);
    return undefined;
  };

  const disabledText = get('OTEL_SDK_DISABLED')?.toLowerCase();
  if (disabledText !== undefined && disabledText !== 'true' && disabledText !== 'false') {
    notes.push(`OTEL_SDK_DISABLED must be true or false, got ${JSON.stringify(disabledText)}; read as false`);
  }

  const exporters = get('OTEL_TRACES_EXPORTER')?.split(',').map((s) => s.trim().toLowerCase()) ?? [];
  for (const e of exporters) {
    if (e !== 'otlp' && e !== 'none') notes.push(`OTEL_TRACES_EXPORTER=${e} is not supported (tracepipe exports OTLP); ignored`);
  }
  if (exporters.length > 0 && exporters.every((e) => e === 'none')) tracing.enabled = false;

  const sampler = get('OTEL_TRACES_SAMPLER')?.toLowerCase();
  if (sampler !== undefined) {
    const known = SAMPLERS[sampler];
    if (known === undefined) {
      notes.push(`OTEL_TRACES_SAMPLER=${sampler} is not supported (use one of ${Object.keys(SAMPLERS).join(', ')}); ignored`);
    } else {
      const rate = known.rate === 'arg' ? ratioArg(get('OTEL_TRACES_SAMPLER_ARG'), notes) : known.rate;
      tracing.sampling_rate_per_million = rate;
      if (!known.parentBased) {
        notes.push(`OTEL_TRACES_SAMPLER=${sampler} is applied as parentbased_${sampler}: tracepipe's sampler always honours a sampled parent`);
      }
    }
  }

  const propagators = get('OTEL_PROPAGATORS');
  if (propagators !== undefined && propagators.split(',').some((p) => !['tracecontext', 'baggage'].includes(p.trim()))) {
    notes.push(`OTEL_PROPAGATORS=${propagators} is not supported: tracepipe propagates tracecontext and baggage`);
  }

  const tls: { required?: string } = {};
  const endpoint = exporterUrl(otlp, otlpName, notes, tls);
  if (endpoint !== undefined) tracing.exporter_url = endpoint;

  const headers = otlp('HEADERS');
  if (headers !== undefined) tracing.headers = parseHeaders(headers, otlpName('HEADERS'));

  const timeout = millis(otlpName('TIMEOUT')) ?? millis('OTEL_BSP_EXPORT_TIMEOUT');
  if (timeout !== undefined) tracing.export_timeout_ms = timeout;
  const delay = get('OTEL_BSP_SCHEDULE_DELAY') === '0' ? 0 : millis('OTEL_BSP_SCHEDULE_DELAY');
  if (delay !== undefined) tracing.schedule_delay_ms = delay;
  const batch = get('OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
  if (batch !== undefined) {
    if (/^\d+$/.test(batch) && Number(batch) > 0) tracing.max_export_batch_size = Number(batch);
    else notes.push(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be a positive integer, got ${JSON.stringify(batch)}; ignored`);
  }
  if (get('OTEL_BSP_MAX_QUEUE_SIZE') !== undefined) {
    notes.push('OTEL_BSP_MAX_QUEUE_SIZE is not supported: the queue is bounded in bytes (tracing_service.queue_max_bytes)');
  }

  const limits: RawSpanLimits = {};
  for (const [name, key, general] of SPAN_LIMIT_VARIABLES) {
    const source = get(name) !== undefined || general === undefined ? name : general;
    const v = get(source);
    if (v === undefined) continue;
    // A value length of 0 reads as "no limit" in the SDK: only positive lengths are taken.
    const min = key === 'attribute_value_length_limit' ? 1 : 0;
    if (/^\d+$/.test(v) && Number(v) >= min && Number(v) < 2 ** 31) limits[key] = Number(v);
    else notes.push(`${source} must be an integer from ${min} to ${2 ** 31 - 1}, got ${JSON.stringify(v)}; ignored`);
  }
  if (Object.keys(limits).length > 0) tracing.span_limits = limits;

  const ca = otlp('CERTIFICATE');
  if (ca !== undefined) tracing.ca_certs = [ca];
  const key = otlp('CLIENT_KEY');
  const cert = otlp('CLIENT_CERTIFICATE');
  if (key !== undefined && cert !== undefined) tracing.https_keypairs = [{ key_file: key, cert_file: cert } satisfies RawKeypair];
  else if (key !== undefined || cert !== undefined) {
    notes.push(`${key === undefined ? otlpName('CLIENT_CERTIFICATE') : otlpName('CLIENT_KEY')} is set without its pair (CLIENT_KEY and CLIENT_CERTIFICATE go together); ignored`);
  }

  for (const name of Object.keys(env)) {
    if (name.startsWith('OTEL_') && !HANDLED.has(name) && !OTHER_SIGNALS.test(name) && get(name) !== undefined) {
      notes.push(`${name} is not supported by tracepipe; ignored`);
    }
  }
  return { tracing, disabled: disabledText === 'true', notes, grpcTlsRequiredBy: tls.required };
}

/** OTEL_TRACES_SAMPLER_ARG, a probability from 0 to 1 (default 1), as a rate per million. */
function ratioArg(arg: string | undefined, notes: string[]): number {
  if (arg === undefined) return 1_000_000;
  const p = Number(arg);
  if (arg !== '' && Number.isFinite(p) && p >= 0 && p <= 1) return Math.round(p * 1_000_000);
  notes.push(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got ${JSON.stringify(arg)}; 1 is used`);
  return 1_000_000;
}

/**
 * OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _PROTOCOL and _COMPRESSION as an `exporter_url`. The
 * signal-specific endpoint is used as it is; the generic one gets `/v1/traces` appended for HTTP.
 */
function exporterUrl(
  otlp: (name: string) => string | undefined,
  otlpName: (name: string) => string,
  notes: string[],
  tls: { required?: string },
): string | undefined {
  const protocolText = otlp('PROTOCOL');
  const compression = otlp('COMPRESSION')?.toLowerCase();
  let endpoint = otlp('ENDPOINT');
  if (endpoint === undefined && protocolText === undefined && compression === undefined) return undefined;
  let protocol: 'grpc' | 'http/protobuf' | 'http/json' = 'http/protobuf';
  if (protocolText === 'grpc' || protocolText === 'http/protobuf' || protocolText === 'http/json') protocol = protocolText;
  else if (protocolText !== undefined) {
    notes.push(`${otlpName('PROTOCOL')} must be grpc, http/protobuf or http/json, got ${JSON.stringify(protocolText)}; http/protobuf is used`);
  }
  const grpc = protocol === 'grpc';
  const specific = endpoint !== undefined && otlpName('ENDPOINT') === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  endpoint ??= grpc ? DEFAULT_ENDPOINT.grpc : DEFAULT_ENDPOINT.http;
  const params: string[] = [];
  if (protocol === 'http/json') params.push('encoding=json');
  if (compression === 'gzip') params.push('compression=gzip');
  else if (compression !== undefined && compression !== 'none') {
    notes.push(`${otlpName('COMPRESSION')} must be gzip or none, got ${JSON.stringify(compression)}; none is used`);
  }
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`);
  } catch {
    notes.push(`${otlpName('ENDPOINT')} is not a URL, got ${JSON.stringify(endpoint)}; ignored`);
    return undefined;
  }
  const query = params.length === 0 ? '' : `?${params.join('&')}`;
  if (grpc) {
    if (url.protocol === 'https:') tls.required = otlpName('ENDPOINT');
    return `grpc://${url.host}${query}`;
  }
  const path = specific ? url.pathname : `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return `${url.protocol}//${url.host}${path}${query}`;
}

/** `key1=value1,key2=value2`, values percent-encoded (W3C Baggage format, as the OTLP exporter spec says). */
function parseHeaders(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${name} must be key=value pairs separated by commas (values not shown)`, { key: name });
    try {
      out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch (cause) {
      throw new ConfigError(`${name} has a badly percent-encoded pair (values not shown)`, { key: name, cause });
    }
  }
  return out;
}
