import assert from 'node:assert/strict';
import { test } from 'node:test';
import { environmentConfig } from '../../src/config/environmentConfig.js';
import { validateConfig } from '../../src/config/validateConfig.js';
import { ConfigError } from '../../src/errors.js';

/** Variables → the tracing_service keys they give. */
const CASES: Array<[string, Record<string, string>, Record<string, unknown>]> = [
  ['nothing set', {}, {}],
  ['generic endpoint: /v1/traces appended', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, { exporter_url: 'http://collector:4318/v1/traces' }],
  ['generic endpoint with a path and a trailing slash', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/otlp/' }, { exporter_url: 'https://otlp.example.com/otlp/v1/traces' }],
  ['signal endpoint as it is', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:1' }, { exporter_url: 'http://c:4318/custom' }],
  ['grpc', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' }, { exporter_url: 'grpc://collector:4317' }],
  ['grpc default endpoint', { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, { exporter_url: 'grpc://localhost:4317' }],
  ['http/json and gzip', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, { exporter_url: 'http://localhost:4318/v1/traces?encoding=json&compression=gzip' }],
  ['headers, percent-decoded', { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%3Db,x=1' }, { headers: { 'api-key': 'a=b', x: '1' } }],
  ['timeouts and batch', { OTEL_EXPORTER_OTLP_TIMEOUT: '500', OTEL_BSP_SCHEDULE_DELAY: '0', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64' }, { export_timeout_ms: 500, schedule_delay_ms: 0, max_export_batch_size: 64 }],
  ['BSP export timeout when the OTLP one is unset', { OTEL_BSP_EXPORT_TIMEOUT: '700' }, { export_timeout_ms: 700 }],
  ['certificates', { OTEL_EXPORTER_OTLP_CERTIFICATE: '/ca.pem', OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: '/k.pem', OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/c.pem' }, { ca_certs: ['/ca.pem'], https_keypairs: [{ key_file: '/k.pem', cert_file: '/c.pem' }] }],
  ['sampler always_on', { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }, { sampling_rate_per_million: 1000000 }],
  ['sampler always_off', { OTEL_TRACES_SAMPLER: 'always_off' }, { sampling_rate_per_million: 0 }],
  ['ratio', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.0001' }, { sampling_rate_per_million: 100 }],
  ['ratio without arg', { OTEL_TRACES_SAMPLER: 'traceidratio' }, { sampling_rate_per_million: 1000000 }],
  ['exporter none', { OTEL_TRACES_EXPORTER: 'none' }, { enabled: false }],
  [
    'span limits',
    { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '16', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100', OTEL_SPAN_EVENT_COUNT_LIMIT: '3', OTEL_SPAN_LINK_COUNT_LIMIT: '0', OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '5', OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '6' },
    { span_limits: { attribute_count_limit: 16, attribute_value_length_limit: 100, event_count_limit: 3, link_count_limit: 0, event_attribute_count_limit: 5, link_attribute_count_limit: 6 } },
  ],
  [
    'general attribute limits stand in for the unset span ones',
    { OTEL_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '50', OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '2' },
    { span_limits: { attribute_count_limit: 10, attribute_value_length_limit: 50, event_attribute_count_limit: 2, link_attribute_count_limit: 10 } },
  ],
];

for (const [what, env, expected] of CASES) {
  test(`environmentConfig: ${what}`, () => {
    assert.deepEqual(environmentConfig(env).tracing, expected);
  });
}

const NOTES: Array<[Record<string, string>, string]> = [
  [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER=zipkin is not supported (tracepipe exports OTLP); ignored'],
  [{ OTEL_TRACES_SAMPLER: 'xray' }, 'OTEL_TRACES_SAMPLER=xray is not supported (use one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio); ignored'],
  [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "2"; 1 is used'],
  [{ OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, 'OTEL_EXPORTER_OTLP_TIMEOUT must be a positive integer (milliseconds), got "10s"; ignored'],
  [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, 'OTEL_EXPORTER_OTLP_PROTOCOL must be grpc, http/protobuf or http/json, got "http"; http/protobuf is used'],
  [{ OTEL_EXPORTER_OTLP_CLIENT_KEY: '/k.pem' }, 'OTEL_EXPORTER_OTLP_CLIENT_KEY is set without its pair (CLIENT_KEY and CLIENT_CERTIFICATE go together); ignored'],
  [{ OTEL_PROPAGATORS: 'b3' }, 'OTEL_PROPAGATORS=b3 is not supported: tracepipe propagates tracecontext and baggage'],
  [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED must be true or false, got "yes"; read as false'],
  [{ OTEL_LOG_LEVEL: 'debug' }, 'OTEL_LOG_LEVEL is not supported by tracepipe; ignored'],
  [{ OTEL_SPAN_EVENT_COUNT_LIMIT: '-1' }, 'OTEL_SPAN_EVENT_COUNT_LIMIT must be an integer from 0 to 2147483647, got "-1"; ignored'],
  [{ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '0' }, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT must be an integer from 1 to 2147483647, got "0"; ignored'],
];

for (const [env, note] of NOTES) {
  test(`environmentConfig notes ${Object.keys(env).join(', ')}`, () => {
    assert.deepEqual(environmentConfig(env).notes, [note]);
  });
}

test('variables of other signals and the honoured ones make no note', () => {
  const env = { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_LOGS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m', OTEL_BLRP_SCHEDULE_DELAY: '1', OTEL_SERVICE_NAME: 's', OTEL_PROPAGATORS: 'tracecontext,baggage' };
  assert.deepEqual(environmentConfig(env).notes, []);
});

test('validateConfig: OTEL_SDK_DISABLED=true wins over enabled: true; the config wins over every other variable', () => {
  assert.equal(validateConfig({ tracing_service: { enabled: true, exporter_url: 'grpc://c:4317' } }, { OTEL_SDK_DISABLED: 'true' }).tracing.enabled, false);
  const c = validateConfig(
    { tracing_service: { enabled: true, exporter_url: 'grpc://c:4317', sampling_rate_per_million: 5, export_timeout_ms: 99, headers: { a: 'config' } } },
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://e:4318', OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_TIMEOUT: '1', OTEL_EXPORTER_OTLP_HEADERS: 'a=env,b=env', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '7' },
  );
  assert.deepEqual(
    [c.tracing.exporter?.url, c.tracing.samplingRatePerMillion, c.tracing.exportTimeoutMs, c.tracing.headers, c.tracing.maxExportBatchSize],
    ['grpc://c:4317', 5, 99, { a: 'config', b: 'env' }, 7],
  );
});

test('validateConfig: span limits key by key, tracing_service.span_limits over the variables', () => {
  const c = validateConfig(
    { tracing_service: { span_limits: { attribute_count_limit: 64 } } },
    { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '16', OTEL_SPAN_LINK_COUNT_LIMIT: '1' },
  );
  assert.deepEqual(c.tracing.spanLimits, {
    attributeCountLimit: 64,
    attributeValueLengthLimit: Infinity,
    eventCountLimit: 128,
    linkCountLimit: 1,
    attributePerEventCountLimit: 128,
    attributePerLinkCountLimit: 128,
  });
});

test('validateConfig: an https gRPC endpoint needs a certificate; malformed OTLP headers are an error without their values', () => {
  assert.throws(
    () => validateConfig({ tracing_service: { enabled: true } }, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4317' }),
    (err: unknown) => err instanceof ConfigError && err.key === 'OTEL_EXPORTER_OTLP_ENDPOINT' && /set OTEL_EXPORTER_OTLP_CERTIFICATE or tracing_service\.ca_certs/.test(err.message),
  );
  assert.throws(
    () => validateConfig({}, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization Bearer s3cr3t' }),
    (err: unknown) => err instanceof ConfigError && err.message === 'OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas (values not shown)',
  );
});
