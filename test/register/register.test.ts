/**
 * Zero-code start: `node --import tracepipe/register` and `node --require tracepipe/register`
 * run an app that knows nothing of tracepipe (plus its own http instrumentation preload), export
 * its spans to a real receiver, and flush before SIGTERM ends the process, on the process's terms.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { OtlpSink } from '../support/OtlpSink.js';
import { tempDirs } from '../support/tempDirs.js';

const FIXTURES = fileURLToPath(new URL('../../../test/register/fixtures/', import.meta.url));
const tempDir = tempDirs('tracepipe-register-');

const FLAGS = {
  esm: ['--import', 'tracepipe/register', '--import', './instrumentHttp.mjs', 'app.mjs'],
  commonjs: ['--require', 'tracepipe/register', '--require', './instrumentHttp.cjs', 'app.cjs'],
};

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts the app; `signal` is sent once it says it is ready (modes other than 'exit'). */
async function runApp(kind: keyof typeof FLAGS, mode: 'wait' | 'handler' | 'exit', env: Record<string, string>, signal?: NodeJS.Signals): Promise<Run> {
  const child = spawn(process.execPath, FLAGS[kind], {
    cwd: FIXTURES,
    env: { PATH: process.env.PATH, APP_MODE: mode, OTEL_TRACES_SAMPLER: 'always_on', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    if (d.toString().includes('ready') && signal !== undefined) child.kill(signal);
  });
  const [code, sig] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal: sig, stderr };
}

for (const kind of ['esm', 'commonjs'] as const) {
  describe(`tracepipe/register (${kind})`, () => {
    let sink: OtlpSink;
    before(async () => {
      sink = await OtlpSink.start();
    });
    after(() => sink.close());
    const env = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://localhost:${new URL(sink.httpUrl).port}`, OTEL_SERVICE_NAME: `register-${kind}` });

    /** The app's three spans: its own, and the http client and server spans of its call to itself. */
    function checkSpans(): void {
      const names = sink.spans.map((s) => `${s.kind} ${s.name}`).sort();
      assert.deepEqual(names, ['1 manual', '2 GET', '3 GET']);
      const client = sink.spans.find((s) => s.kind === 3)!;
      const server = sink.spans.find((s) => s.kind === 2)!;
      assert.equal(server.parentSpanId, client.spanId);
      assert.equal(server.traceId, client.traceId);
      assert.deepEqual([...new Set(sink.spans.map((s) => s.resource['service.name']))], [`register-${kind}`]);
    }

    test('SIGTERM flushes, then ends the process by SIGTERM as it would have without tracepipe', async () => {
      sink.clear();
      const run = await runApp(kind, 'wait', env(), 'SIGTERM');
      assert.deepEqual([run.code, run.signal], [null, 'SIGTERM'], run.stderr);
      checkSpans();
      const lines = run.stderr.split('\n').filter((l) => l.includes('tracepipe: exporting'));
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, new RegExp(`exporting traces of register-${kind} to http://localhost:\\d+/v1/traces at 1000000 per million new traces \\(100%\\)`));
    });

    test('SIGINT likewise', async () => {
      sink.clear();
      const run = await runApp(kind, 'wait', env(), 'SIGINT');
      assert.deepEqual([run.code, run.signal], [null, 'SIGINT'], run.stderr);
      checkSpans();
    });

    test("an app's own SIGTERM handler keeps deciding how the process ends", async () => {
      sink.clear();
      const run = await runApp(kind, 'handler', env(), 'SIGTERM');
      assert.deepEqual([run.code, run.signal], [3, null], run.stderr);
      checkSpans();
    });

    test('an app whose event loop empties exits 0 with everything exported', async () => {
      sink.clear();
      const run = await runApp(kind, 'exit', env());
      assert.deepEqual([run.code, run.signal], [0, null], run.stderr);
      checkSpans();
    });

    test('TRACEPIPE_CONFIG names a YAML file; the environment fills what it leaves out', async () => {
      sink.clear();
      const dir = await tempDir();
      const file = join(dir, 'tracepipe.yaml');
      await writeFile(file, `service_name: from-yaml\ntracing_service:\n  enabled: true\n  exporter_url: ${sink.grpcUrl}\n  sampling_rate_per_million: 1000000\n`);
      const run = await runApp(kind, 'wait', { TRACEPIPE_CONFIG: file, OTEL_EXPORTER_OTLP_HEADERS: 'x-team=checkout' }, 'SIGTERM');
      assert.deepEqual([run.code, run.signal], [null, 'SIGTERM'], run.stderr);
      assert.equal(sink.spans.length, 3);
      assert.deepEqual([...new Set(sink.requests.map((q) => `${q.transport} ${String(q.headers['x-team'])}`))], ['grpc checkout']);
      assert.deepEqual([...new Set(sink.spans.map((s) => s.resource['service.name']))], ['from-yaml']);
    });
  });
}
