import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/validateConfig.js';
import { ConfigError } from '../../src/errors.js';

const noEnv = {};

test('an empty config is a disabled tracing service with every default', () => {
  const c = validateConfig({}, noEnv);
  assert.equal(c.serviceName, 'unknown_service:node');
  assert.deepEqual(c.resourceAttributes, { 'service.name': 'unknown_service:node' });
  assert.deepEqual(c.tracing, {
    enabled: false,
    exporter: undefined,
    samplingRatePerMillion: 0,
    tls: undefined,
    headers: {},
    queueMaxBytes: 67108864,
    maxExportBatchSize: 512,
    maxExportBatchBytes: 4194304,
    scheduleDelayMs: 200,
    exportTimeoutMs: 10000,
    shutdownTimeoutMs: 10000,
    spanLimits: {
      attributeCountLimit: 128,
      attributeValueLengthLimit: Infinity,
      eventCountLimit: 128,
      linkCountLimit: 128,
      attributePerEventCountLimit: 128,
      attributePerLinkCountLimit: 128,
    },
  });
  assert.deepEqual(c.receiver, {
    grpcAddr: '127.0.0.1:4317',
    httpAddr: '127.0.0.1:4318',
    tls: undefined,
    maxRequestBytes: 20971520,
    queueMaxBytes: 67108864,
    tagSenderAttribute: undefined,
    samplingRatePerMillion: undefined,
    shutdownTimeoutMs: 10000,
    handshakeTimeoutMs: 10000,
    requestTimeoutMs: 30000,
    idleTimeoutMs: 60000,
    maxRetryAgeMs: undefined,
    queueDir: undefined,
    queueMaxDiskBytes: 1073741824,
    queueSync: 'always',
    queueCommitDelayMs: 0,
  });
  assert.deepEqual(c.diagnostics, { addr: undefined, debug: false, heartbeatIntervalMs: 60000, heartbeatRetryIntervalMs: 5000 });
});

test('the durable queue settings resolve as given', () => {
  const { receiver } = validateConfig({ receiver: { queue_dir: '/var/lib/tracepipe', queue_sync: 'none', queue_commit_delay_ms: 5 } });
  assert.deepEqual([receiver.queueDir, receiver.queueSync, receiver.queueCommitDelayMs], ['/var/lib/tracepipe', 'none', 5]);
});

test('a full tracing_service block resolves every key', () => {
  const c = validateConfig(
    {
      service_name: 'checkout',
      resource_attributes: { 'deployment.environment': 'prod', shard: 3 },
      tracing_service: {
        enabled: true,
        exporter_url: 'grpc://collector.example.com:4317',
        sampling_rate_per_million: 1000000,
        queue_max_bytes: 1048576,
        max_export_batch_size: 100,
        max_export_batch_bytes: 65536,
        schedule_delay_ms: 50,
        export_timeout_ms: 2000,
        shutdown_timeout_ms: 3000,
        span_limits: {
          attribute_count_limit: 32,
          attribute_value_length_limit: 4096,
          event_count_limit: 0,
          link_count_limit: 4,
          event_attribute_count_limit: 8,
          link_attribute_count_limit: 2,
        },
      },
      receiver: { grpc_listen: '0.0.0.0:0', http_listen: '', tag_sender: true, sampling_rate_per_million: 250000 },
      diag_addr: '127.0.0.1:3000',
      debug: true,
      diagnostics: { heartbeat_interval_ms: 10, heartbeat_retry_interval_ms: 5 },
    },
    noEnv,
  );
  assert.equal(c.serviceName, 'checkout');
  assert.deepEqual(c.resourceAttributes, { 'deployment.environment': 'prod', shard: 3, 'service.name': 'checkout' });
  assert.deepEqual(c.tracing.exporter, { kind: 'grpc', address: 'collector.example.com:4317', compression: 'none', url: 'grpc://collector.example.com:4317' });
  assert.equal(c.tracing.samplingRatePerMillion, 1000000);
  assert.equal(c.tracing.queueMaxBytes, 1048576);
  assert.equal(c.tracing.maxExportBatchSize, 100);
  assert.equal(c.tracing.maxExportBatchBytes, 65536);
  assert.equal(c.tracing.scheduleDelayMs, 50);
  assert.equal(c.tracing.exportTimeoutMs, 2000);
  assert.equal(c.tracing.shutdownTimeoutMs, 3000);
  assert.deepEqual(c.tracing.spanLimits, {
    attributeCountLimit: 32,
    attributeValueLengthLimit: 4096,
    eventCountLimit: 0,
    linkCountLimit: 4,
    attributePerEventCountLimit: 8,
    attributePerLinkCountLimit: 2,
  });
  assert.equal(c.receiver.grpcAddr, '0.0.0.0:0');
  assert.equal(c.receiver.httpAddr, undefined);
  assert.equal(c.receiver.tagSenderAttribute, 'tracepipe.forwarded_for');
  assert.equal(c.receiver.samplingRatePerMillion, 250000);
  assert.deepEqual(c.diagnostics, { addr: '127.0.0.1:3000', debug: true, heartbeatIntervalMs: 10, heartbeatRetryIntervalMs: 5 });
});

test('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are honoured; the config file wins', () => {
  const env = { OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr,team=core%20infra, region = eu ' };
  const fromEnv = validateConfig({}, env);
  assert.equal(fromEnv.serviceName, 'from-env');
  assert.deepEqual(fromEnv.resourceAttributes, { 'service.name': 'from-env', team: 'core infra', region: 'eu' });
  const onlyAttrs = validateConfig({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr' });
  assert.equal(onlyAttrs.serviceName, 'attr');
  const configured = validateConfig({ service_name: 'cfg', resource_attributes: { team: 'payments' } }, env);
  assert.equal(configured.serviceName, 'cfg');
  assert.deepEqual(configured.resourceAttributes, { 'service.name': 'cfg', team: 'payments', region: 'eu' });
});

test('bad configs are typed errors with exact messages', () => {
  const cases: Array<[string, unknown, string, string]> = [
    ['enabled without url', { tracing_service: { enabled: true } }, 'TRACEPIPE_CONFIG_MISSING', 'tracing_service is enabled but no exporter_url is specified'],
    ['enabled with empty url', { tracing_service: { enabled: true, exporter_url: '  ' } }, 'TRACEPIPE_CONFIG_MISSING', 'tracing_service is enabled but no exporter_url is specified'],
    ['rate 1.5', { tracing_service: { sampling_rate_per_million: 1.5 } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.sampling_rate_per_million must be an integer from 0 to 1000000, got 1.5'],
    ['rate -1', { tracing_service: { sampling_rate_per_million: -1 } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.sampling_rate_per_million must be an integer from 0 to 1000000, got -1'],
    ['rate 1000001', { tracing_service: { sampling_rate_per_million: 1000001 } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.sampling_rate_per_million must be an integer from 0 to 1000000, got 1000001'],
    ['rate "abc"', { tracing_service: { sampling_rate_per_million: 'abc' } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.sampling_rate_per_million must be an integer from 0 to 1000000, got "abc"'],
    ['enabled "yes"', { tracing_service: { enabled: 'yes' } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.enabled must be true or false, got "yes"'],
    ['typo exporter_ulr', { tracing_service: { exporter_ulr: 'x:1' } }, 'TRACEPIPE_CONFIG_UNKNOWN_KEY', 'unknown key tracing_service.exporter_ulr (did you mean exporter_url?)'],
    ['typo tracing_servce', { tracing_servce: {} }, 'TRACEPIPE_CONFIG_UNKNOWN_KEY', 'unknown key tracing_servce (did you mean tracing_service?)'],
    ['unrelated key', { tracing_service: { colour: 'blue' } }, 'TRACEPIPE_CONFIG_UNKNOWN_KEY', 'unknown key tracing_service.colour'],
    ['tracing_service a list', { tracing_service: [] }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service must be a mapping, got []'],
    ['ca_certs a string', { tracing_service: { ca_certs: '/a.pem' } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.ca_certs must be a list, got "/a.pem"'],
    ['ca_certs missing file', { tracing_service: { ca_certs: ['/nonexistent/ca.pem'] } }, 'TRACEPIPE_TLS_MATERIAL', 'tracing_service.ca_certs[0]: file /nonexistent/ca.pem does not exist'],
    [
      'keypair missing cert_file',
      { tracing_service: { https_keypairs: [{ key_file: '/k.pem' }] } },
      'TRACEPIPE_CONFIG_INVALID',
      'tracing_service.https_keypairs[0].cert_file must be a file path, got undefined',
    ],
    [
      'keypair typo',
      { tracing_service: { keypairs: [{ key_file: '/k.pem', cert_fle: '/c.pem' }] } },
      'TRACEPIPE_CONFIG_UNKNOWN_KEY',
      'unknown key tracing_service.keypairs[0].cert_fle (did you mean cert_file?)',
    ],
    [
      'both keypair keys',
      { tracing_service: { keypairs: [], https_keypairs: [] } },
      'TRACEPIPE_CONFIG_INVALID',
      'tracing_service.https_keypairs and tracing_service.keypairs are the same setting: give only one',
    ],
    ['unsupported scheme', { tracing_service: { enabled: true, exporter_url: 'udp://x:1' } }, 'TRACEPIPE_UNSUPPORTED_SCHEME', 'tracing_service.exporter_url has unsupported scheme "udp://" in "udp://x:1"; supported: grpc://, http://, https://, file://, host:port (gRPC)'],
    ['span limit typo', { tracing_service: { span_limits: { atribute_count_limit: 5 } } }, 'TRACEPIPE_CONFIG_UNKNOWN_KEY', 'unknown key tracing_service.span_limits.atribute_count_limit (did you mean attribute_count_limit?)'],
    ['span limit -1', { tracing_service: { span_limits: { event_count_limit: -1 } } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.span_limits.event_count_limit must be an integer from 0 to 2147483647, got -1'],
    ['value length 0', { tracing_service: { span_limits: { attribute_value_length_limit: 0 } } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.span_limits.attribute_value_length_limit must be an integer from 1 to 2147483647, got 0'],
    ['queue too small', { tracing_service: { queue_max_bytes: 10 } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.queue_max_bytes must be an integer from 1024 to 1099511627776, got 10'],
    ['batch bytes too small', { tracing_service: { max_export_batch_bytes: 100 } }, 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.max_export_batch_bytes must be an integer from 1024 to 1099511627776, got 100'],
    ['bad listen', { receiver: { grpc_listen: 'localhost' } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.grpc_listen must be an address host:port with a port from 0 to 65535, got "localhost"'],
    ['port too big', { receiver: { http_listen: '127.0.0.1:70000' } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.http_listen must be an address host:port with a port from 0 to 65535, got "127.0.0.1:70000"'],
    ['tag_sender empty', { receiver: { tag_sender: '' } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.tag_sender must be true, false or an attribute name, got ""'],
    ['receiver rate fraction', { receiver: { sampling_rate_per_million: 1.5 } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.sampling_rate_per_million must be an integer from 0 to 1000000, got 1.5'],
    ['receiver rate too high', { receiver: { sampling_rate_per_million: 1000001 } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.sampling_rate_per_million must be an integer from 0 to 1000000, got 1000001'],
    [
      'queue smaller than one request',
      { receiver: { queue_max_bytes: 1048576, max_request_bytes: 2097152 } },
      'TRACEPIPE_CONFIG_INVALID',
      'receiver.queue_max_bytes must be at least receiver.max_request_bytes (2097152) so that the largest request accepted fits the queue, got 1048576',
    ],
    [
      'request timeout under the handshake timeout',
      { receiver: { handshake_timeout_ms: 5000, request_timeout_ms: 1000 } },
      'TRACEPIPE_CONFIG_INVALID',
      'receiver.request_timeout_ms must be at least receiver.handshake_timeout_ms (5000), got 1000',
    ],
    ['queue_sync unknown', { receiver: { queue_sync: 'sometimes' } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.queue_sync must be one of always, none, got "sometimes"'],
    ['queue_sync a boolean', { receiver: { queue_sync: false } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.queue_sync must be one of always, none, got false'],
    ['queue_commit_delay_ms too long', { receiver: { queue_commit_delay_ms: 1001 } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.queue_commit_delay_ms must be an integer from 0 to 1000, got 1001'],
    ['queue_commit_delay_ms a fraction', { receiver: { queue_commit_delay_ms: 0.5 } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.queue_commit_delay_ms must be an integer from 0 to 1000, got 0.5'],
    ['max_retry_age_ms zero', { receiver: { max_retry_age_ms: 0 } }, 'TRACEPIPE_CONFIG_INVALID', 'receiver.max_retry_age_ms must be an integer from 1 to 86400000, got 0'],
    ['diag_addr bad', { diag_addr: 3000 }, 'TRACEPIPE_CONFIG_INVALID', 'diag_addr must be an address host:port, :port or port, with a port from 0 to 65535, got 3000'],
    ['diag_addr port too large', { diag_addr: ':70000' }, 'TRACEPIPE_CONFIG_INVALID', 'diag_addr must be an address host:port, :port or port, with a port from 0 to 65535, got ":70000"'],
    ['heartbeat zero', { diagnostics: { heartbeat_interval_ms: 0 } }, 'TRACEPIPE_CONFIG_INVALID', 'diagnostics.heartbeat_interval_ms must be an integer from 1 to 86400000, got 0'],
    ['resource attr object', { resource_attributes: { a: { b: 1 } } }, 'TRACEPIPE_CONFIG_INVALID', 'resource_attributes.a must be a string, number or boolean, got {"b":1}'],
    ['top level not a mapping', 'tracing_service', 'TRACEPIPE_CONFIG_INVALID', 'the configuration must be a mapping, got "tracing_service"'],
  ];
  for (const [name, raw, code, message] of cases) {
    assert.throws(
      () => validateConfig(raw, noEnv),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `${name}: ${String(err)}`);
        assert.equal(err.code, code, name);
        assert.equal(err.message, message, name);
        return true;
      },
      name,
    );
  }
});

test('OTEL_RESOURCE_ATTRIBUTES that is not key=value pairs is a config error', () => {
  assert.throws(() => validateConfig({}, { OTEL_RESOURCE_ATTRIBUTES: 'novalue' }), {
    code: 'TRACEPIPE_CONFIG_INVALID',
    message: 'OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, got "novalue"',
  });
});

test('diag_addr takes what --diag-addr takes: host:port, [v6]:port, :port or a port', () => {
  for (const addr of ['0.0.0.0:3000', '[::1]:3000', ':3001', '3002']) {
    assert.equal(validateConfig({ diag_addr: addr }).diagnostics.addr, addr);
  }
  assert.equal(validateConfig({ diag_addr: '' }).diagnostics.addr, undefined);
});
