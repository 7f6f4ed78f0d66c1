/**
 * The OpenTelemetry SDK environment variables, each in a child process that starts tracing the
 * way an application does, checked by what arrives at a real local receiver.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { makeCerts } from '../support/certs.js';
import { OtlpSink } from '../support/OtlpSink.js';

const run = promisify(execFile);
const APP = fileURLToPath(new URL('../../../test/config/fixtures/envApp.mjs', import.meta.url));

interface AppResult {
  enabled: boolean;
  sampled: number;
  exported: number;
  exportFailed: number;
  stderr: string;
}

/** Runs the app with only these variables (nothing inherited that could change the outcome). */
async function runApp(vars: Record<string, string>, config: unknown = { tracing_service: { enabled: true } }, spans = 10): Promise<AppResult> {
  const { stdout, stderr } = await run(process.execPath, [APP], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    env: { PATH: process.env.PATH, TEST_CONFIG: JSON.stringify(config), TEST_SPANS: String(spans), ...vars },
  });
  return { ...(JSON.parse(stdout) as Omit<AppResult, 'stderr'>), stderr };
}

const port = (url: string) => new URL(url).port;

describe('OpenTelemetry environment variables', () => {
  let sink: OtlpSink;
  before(async () => {
    sink = await OtlpSink.start();
  });
  after(() => sink.close());
  const base = () => `http://localhost:${port(sink.httpUrl)}`;
  const grpcBase = () => `http://localhost:${sink.grpcAddress.split(':')[1]}`;
  const ALWAYS = { OTEL_TRACES_SAMPLER: 'always_on' };

  test('OTEL_EXPORTER_OTLP_ENDPOINT alone gives OTLP/HTTP protobuf to <endpoint>/v1/traces', async () => {
    sink.clear();
    const r = await runApp({ ...ALWAYS, OTEL_EXPORTER_OTLP_ENDPOINT: base() });
    assert.deepEqual([r.enabled, r.exported, r.exportFailed], [true, 10, 0], r.stderr);
    assert.equal(sink.spans.length, 10);
    assert.deepEqual([...new Set(sink.requests.map((q) => `${q.transport} ${q.encoding} ${q.compressed}`))], ['http protobuf false']);
  });

  test('OTEL_SDK_DISABLED=true sends nothing, even with enabled: true and an exporter_url', async () => {
    sink.clear();
    const r = await runApp({ ...ALWAYS, OTEL_SDK_DISABLED: 'TRUE' }, { tracing_service: { enabled: true, exporter_url: sink.httpUrl } });
    assert.deepEqual([r.enabled, r.sampled, r.exported], [false, 0, 0]);
    assert.equal(sink.requests.length, 0);
  });

  test('OTEL_TRACES_EXPORTER=none sends nothing; otlp sends', async () => {
    sink.clear();
    const none = await runApp({ ...ALWAYS, OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: base() }, {});
    assert.deepEqual([none.enabled, none.exported], [false, 0]);
    assert.equal(sink.requests.length, 0);
    const otlp = await runApp({ ...ALWAYS, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: base() });
    assert.equal(otlp.exported, 10);
    assert.equal(sink.spans.length, 10);
  });

  test('OTEL_TRACES_EXPORTER=console is not supported: logged once, OTLP still used', async () => {
    sink.clear();
    const r = await runApp({ ...ALWAYS, OTEL_TRACES_EXPORTER: 'otlp,console', OTEL_EXPORTER_OTLP_ENDPOINT: base(), OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_LOG_LEVEL: 'debug' });
    assert.equal(r.exported, 10);
    const lines = r.stderr.split('\n').filter((l) => l.includes('"level":"warn"'));
    assert.equal(lines.filter((l) => l.includes('OTEL_TRACES_EXPORTER=console is not supported')).length, 1, r.stderr);
    assert.equal(lines.filter((l) => l.includes('OTEL_BSP_MAX_QUEUE_SIZE is not supported')).length, 1, r.stderr);
    assert.equal(lines.filter((l) => l.includes('OTEL_LOG_LEVEL is not supported')).length, 1, r.stderr);
  });

  test('OTEL_SPAN_* and OTEL_ATTRIBUTE_* limits apply to the exported spans', async () => {
    sink.clear();
    const limits = { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '3', OTEL_SPAN_EVENT_COUNT_LIMIT: '1', OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '1' };
    const r = await runApp({ OTEL_TRACES_SAMPLER: 'parentbased_always_on', ...limits, OTEL_EXPORTER_OTLP_ENDPOINT: base(), TEST_ATTRIBUTES: JSON.stringify({ a: 'abcdef', b: 1, c: true }), TEST_EVENTS: '3' }, undefined, 2);
    assert.deepEqual([r.exported, r.stderr], [2, '']);
    assert.deepEqual(
      sink.spans.map((s) => [s.attributes, s.droppedAttributesCount, s.events.map((e) => [e.name, e.attributes, e.droppedAttributesCount]), s.droppedEventsCount]),
      [0, 1].map(() => [{ a: 'abc', b: 1 }, 1, [['event 2', { a: 'abc' }, 2]], 2]),
    );
  });

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is; _PROTOCOL=http/json and _COMPRESSION=gzip', async () => {
    sink.clear();
    const r = await runApp({
      ...ALWAYS,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:1', // the signal-specific variable wins
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.httpUrl,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    assert.equal(r.exported, 10, r.stderr);
    assert.deepEqual([...new Set(sink.requests.map((q) => `${q.transport} ${q.encoding} ${q.compressed}`))], ['http json true']);
  });

  test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends to the endpoint over gRPC', async () => {
    sink.clear();
    const r = await runApp({ ...ALWAYS, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: grpcBase() });
    assert.equal(r.exported, 10, r.stderr);
    assert.deepEqual([...new Set(sink.requests.map((q) => q.transport))], ['grpc']);
  });

  for (const transport of ['http', 'grpc'] as const) {
    test(`OTEL_EXPORTER_OTLP_HEADERS arrive over ${transport}, merged under tracing_service.headers; no value is logged`, async () => {
      sink.clear();
      sink.failNext(1, 'UNAUTHENTICATED'); // a failure is logged: its line must not hold a value
      const r = await runApp(
        {
          ...ALWAYS,
          OTEL_EXPORTER_OTLP_PROTOCOL: transport === 'grpc' ? 'grpc' : 'http/protobuf',
          OTEL_EXPORTER_OTLP_ENDPOINT: transport === 'grpc' ? grpcBase() : base(),
          OTEL_EXPORTER_OTLP_HEADERS: 'X-Api-Key=s3cr3t%20key%2C1,x-tenant=from-env',
        },
        { tracing_service: { enabled: true, headers: { 'x-tenant': 'from-config' } } },
      );
      assert.equal(r.exportFailed, 10);
      assert.equal(sink.requests.length, 1);
      const headers = sink.requests[0]!.headers;
      assert.equal(headers['x-api-key'], 's3cr3t key,1');
      assert.equal(headers['x-tenant'], 'from-config');
      assert.match(r.stderr, /export failed/);
      assert.ok(!r.stderr.includes('s3cr3t'), r.stderr);
      assert.ok(!r.stderr.includes('from-config'), r.stderr);
    });
  }

  test('a malformed header value is a config error that does not show the value', async () => {
    await assert.rejects(
      runApp({ OTEL_EXPORTER_OTLP_ENDPOINT: base() }, { tracing_service: { enabled: true, headers: { 'x-api-key': 'top\r\nsecret' } } }),
      (err: Error & { stderr: string }) => {
        assert.match(err.stderr, /tracing_service\.headers\.x-api-key must be printable ASCII without CR or LF, got a value of 11 characters \(value not shown\)/);
        assert.ok(!err.stderr.includes('secret'));
        return true;
      },
    );
  });

  test('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the resource; service_name in the config wins', async () => {
    sink.clear();
    await runApp({ ...ALWAYS, OTEL_EXPORTER_OTLP_ENDPOINT: base(), OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'team=payments' }, { tracing_service: { enabled: true } }, 1);
    await runApp({ ...ALWAYS, OTEL_EXPORTER_OTLP_ENDPOINT: base(), OTEL_SERVICE_NAME: 'from-env' }, { service_name: 'from-config', tracing_service: { enabled: true } }, 1);
    assert.deepEqual(
      sink.spans.map((s) => [s.resource['service.name'], s.resource.team]),
      [
        ['from-env', 'payments'],
        ['from-config', undefined],
      ],
    );
  });

  test('OTEL_TRACES_SAMPLER=traceidratio with _ARG=0.25 keeps a quarter of 4000 roots (within 5 sigma)', async () => {
    sink.clear();
    const r = await runApp({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_EXPORTER_OTLP_ENDPOINT: base() }, undefined, 4000);
    const sigma = Math.sqrt(4000 * 0.25 * 0.75);
    assert.ok(Math.abs(sink.spans.length - 1000) <= 5 * sigma, `${sink.spans.length} spans`);
    assert.equal(r.exported, sink.spans.length);
    assert.match(r.stderr, /traceidratio is applied as parentbased_traceidratio/);
  });

  test('OTEL_TRACES_SAMPLER=always_off keeps no root but a sampled parent is still honoured', async () => {
    sink.clear();
    const off = await runApp({ OTEL_TRACES_SAMPLER: 'parentbased_always_off', OTEL_EXPORTER_OTLP_ENDPOINT: base() });
    assert.deepEqual([off.sampled, off.exported], [0, 0]);
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const child = await run(process.execPath, [APP], {
      env: { PATH: process.env.PATH, TEST_PARENT: parent, TEST_CONFIG: '{"tracing_service":{"enabled":true}}', OTEL_TRACES_SAMPLER: 'parentbased_always_off', OTEL_EXPORTER_OTLP_ENDPOINT: base() },
    });
    assert.equal((JSON.parse(child.stdout) as AppResult).exported, 10);
    assert.deepEqual([...new Set(sink.spans.map((s) => s.parentSpanId))], ['b7ad6b7169203331']);
  });

  test('precedence: the config beats the environment, the environment beats the defaults', async () => {
    sink.clear();
    // exporter_url and sampling_rate_per_million from the config; the batch size from the env.
    const r = await runApp(
      { OTEL_TRACES_SAMPLER: 'always_off', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:1', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4', OTEL_BSP_SCHEDULE_DELAY: '60000' },
      { tracing_service: { enabled: true, exporter_url: sink.grpcUrl, sampling_rate_per_million: 1000000 } },
    );
    assert.equal(r.exported, 10, r.stderr);
    assert.deepEqual(sink.requests.map((q) => `${q.transport} ${q.spans}`), ['grpc 4', 'grpc 4', 'grpc 2']);
  });

  test('OTEL_EXPORTER_OTLP_TIMEOUT bounds an export against a receiver that never answers', async () => {
    sink.clear();
    sink.stall();
    try {
      const started = performance.now();
      const r = await runApp({ ...ALWAYS, OTEL_EXPORTER_OTLP_ENDPOINT: base(), OTEL_EXPORTER_OTLP_TIMEOUT: '300' }, { tracing_service: { enabled: true, shutdown_timeout_ms: 20000 } });
      assert.deepEqual([r.exported, r.exportFailed], [0, 10]);
      assert.ok(performance.now() - started < 15000);
    } finally {
      sink.resume();
    }
  });
});

describe('OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_KEY and _CLIENT_CERTIFICATE', () => {
  test('give TLS and mTLS to an https endpoint, and to gRPC', async () => {
    const certs = await makeCerts();
    const sink = await OtlpSink.start({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.caCert } });
    try {
      const tls = { OTEL_EXPORTER_OTLP_CERTIFICATE: certs.caCert, OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKey, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCert, OTEL_TRACES_SAMPLER: 'always_on' };
      const http = await runApp({ ...tls, OTEL_EXPORTER_OTLP_ENDPOINT: `https://localhost:${port(sink.httpUrl)}` });
      const grpc = await runApp({ ...tls, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: `https://${sink.grpcAddress}` });
      assert.deepEqual([http.exported, grpc.exported], [10, 10], http.stderr + grpc.stderr);
      assert.deepEqual(sink.requests.map((q) => q.transport), ['http', 'grpc']);
      await assert.rejects(runApp({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: `https://${sink.grpcAddress}` }), /needs|OTEL_EXPORTER_OTLP_CERTIFICATE/);
    } finally {
      await sink.close();
    }
  });
});
