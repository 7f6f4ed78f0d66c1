/**
 * Two services instrumented with the official http, express and undici instrumentations, as
 * CommonJS and as ES modules under the OpenTelemetry loader hook, exporting through each exporter
 * kind. Service A's /checkout calls service B's /work with fetch and with http.get; the trace must
 * hold exactly the spans of those calls, linked across the processes, and none of tracepipe's own
 * exports (which run with tracing suppressed).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { OtlpSink } from '../support/OtlpSink.js';
import type { PlainSpan } from '../support/plainSpans.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { tempDirs } from '../support/tempDirs.js';

const FIXTURES = fileURLToPath(new URL('../../../test/instrumentation/fixtures/', import.meta.url));
const tempDir = tempDirs('tracepipe-instr-');

type ModuleKind = 'commonjs' | 'esm';

interface Service {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

async function startService(kind: ModuleKind, name: string, exporterUrl: string, peer = ''): Promise<Service> {
  const args = kind === 'commonjs' ? ['serviceApp.cjs'] : ['--import', './instrument.mjs', 'serviceApp.mjs'];
  const child = spawn(process.execPath, args, {
    cwd: FIXTURES,
    env: { ...process.env, SERVICE_NAME: name, EXPORTER_URL: exporterUrl, PEER_URL: peer, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0]!;
      if (out.includes('\n')) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening: ${err}`)));
  });
  return { child, port, stderr: () => err };
}

async function stop(service: Service): Promise<void> {
  const exited = once(service.child, 'exit');
  service.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, `service exited with ${code}: ${service.stderr()}`);
}

/** Runs one /checkout through both services and returns every span they exported. */
async function runCheckout(kind: ModuleKind, exporterUrl: string, collect: () => Promise<PlainSpan[]>): Promise<PlainSpan[]> {
  const b = await startService(kind, 'service-b', exporterUrl);
  const a = await startService(kind, 'service-a', exporterUrl, `http://127.0.0.1:${b.port}`);
  try {
    const res = await fetch(`http://127.0.0.1:${a.port}/checkout`);
    assert.equal(res.status, 200, a.stderr());
    assert.deepEqual(await res.json(), { ok: true });
    // Several export rounds (schedule_delay_ms is 20): an export traced by the instrumentations
    // would have produced spans that are exported in turn by now.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await Promise.all([stop(a), stop(b)]);
  }
  return collect();
}

/** A span as the test names it: service, kind, name and, for /work calls, which client made them. */
function label(s: PlainSpan): string {
  const via = s.attributes['url.query'] ?? s.attributes['url.full'] ?? '';
  const client = /via=(fetch|http)/.exec(String(via))?.[1];
  const kind = ['', 'internal', 'server', 'client'][s.kind] ?? String(s.kind);
  return `${String(s.resource['service.name'])} ${kind} ${s.name}${client === undefined ? '' : ` (${client})`}`;
}

/** Every span of the one trace /checkout makes, each with its parent; nothing else. */
const EXPECTED = [
  'service-a server GET /checkout <- (root)',
  'service-a internal request handler <- service-a server GET /checkout',
  'service-a client GET (fetch) <- service-a internal request handler',
  'service-a client GET (http) <- service-a internal request handler',
  'service-b server GET /work (fetch) <- service-a client GET (fetch)',
  'service-b internal request handler <- service-b server GET /work (fetch)',
  'service-b server GET /work (http) <- service-a client GET (http)',
  'service-b internal request handler <- service-b server GET /work (http)',
].sort();

function checkTrace(spans: PlainSpan[], receiverPorts: number[]): void {
  const own = spans.filter((s) => {
    const text = JSON.stringify(s.attributes);
    return text.includes('/v1/traces') || text.includes('TraceService') || receiverPorts.includes(Number(s.attributes['server.port']));
  });
  assert.deepEqual(own.map(label), [], 'spans describing tracepipe\'s own exports');
  assert.deepEqual([...new Set(spans.map((s) => s.traceId))].length, 1, `one trace: ${spans.map((s) => `${s.traceId} ${label(s)}`).join('; ')}`);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const edges = spans.map((s) => {
    const parent = s.parentSpanId === '' ? undefined : byId.get(s.parentSpanId);
    assert.ok(s.parentSpanId === '' || parent !== undefined, `the parent of ${label(s)} is in the trace`);
    return `${label(s)} <- ${parent === undefined ? '(root)' : label(parent)}`;
  });
  assert.deepEqual(edges.sort(), EXPECTED);
}

for (const kind of ['commonjs', 'esm'] as const) {
  describe(`two instrumented services (${kind})`, () => {
    let sink: OtlpSink;
    before(async () => {
      sink = await OtlpSink.start();
    });
    after(() => sink.close());

    test('export to a file capture', async () => {
      const dir = await tempDir();
      checkTrace(await runCheckout(kind, `file://${dir}`, () => readCapturedSpans(dir)), []);
    });
    test('export over OTLP/HTTP (protobuf)', async () => {
      sink.clear();
      checkTrace(await runCheckout(kind, sink.httpUrl, async () => [...sink.spans]), [Number(new URL(sink.httpUrl).port)]);
    });
    test('export over OTLP/HTTP with JSON', async () => {
      sink.clear();
      checkTrace(await runCheckout(kind, `${sink.httpUrl}?encoding=json`, async () => [...sink.spans]), [Number(new URL(sink.httpUrl).port)]);
    });
    test('export over OTLP/gRPC', async () => {
      sink.clear();
      checkTrace(await runCheckout(kind, sink.grpcUrl, async () => [...sink.spans]), [Number(sink.grpcAddress.split(":")[1])]);
    });
  });
}
