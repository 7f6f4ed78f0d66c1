import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonOtlpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { sendWith } from '../support/sendWith.js';
import { spawnServe } from '../support/spawnServe.js';
import { waitFor } from '../support/waitFor.js';

/** What `npm start` runs (`tracepipe serve` on built-in defaults), with free ports instead of 4317/4318. */
describe('npm start: tracepipe serve with no configuration', () => {
  let cwd: string;

  before(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'tracepipe-smoke-')));
  });

  after(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('starts, accepts a span, writes it to ./traces and stops cleanly on SIGINT', async () => {
    const serve = await spawnServe(['--listen-grpc', '127.0.0.1:0', '--listen-http', '127.0.0.1:0'], { cwd });
    try {
      assert.match(serve.grpcAddress!, /^127\.0\.0\.1:\d+$/);
      assert.match(serve.httpUrl!, /^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
      assert.match(serve.destination, new RegExp(`${join(cwd, 'traces').replace(/[/.]/g, '\\$&')}`));

      const [span] = await makeTestSpans(1, { prefix: 'smoke' });
      const result = await sendWith(new JsonOtlpExporter({ url: serve.httpUrl }), [span!]);
      assert.equal(result.code, ExportResultCode.SUCCESS);
      const captured = await waitFor('the span in ./traces', async () => {
        const s = await readCapturedSpans(join(cwd, 'traces'));
        return s.length > 0 ? s : undefined;
      });
      assert.deepEqual(
        captured.map((s) => [s.name, s.spanId]),
        [['smoke-0', span!.spanContext().spanId]],
      );
    } finally {
      serve.child.kill('SIGINT');
    }
    assert.deepEqual(await serve.exited, { code: 0, signal: null });
    assert.match(serve.stderr(), /"msg":"stopped"/);
    assert.equal((await readCapturedSpans(join(cwd, 'traces'))).length, 1);
  });

  it('fixes the V8 heap growing factor for forwarding, unless node was started with its own', async () => {
    const cases = [
      { nodeArgs: [], logged: /"msg":"V8 heap growing factor fixed for forwarding","heapGrowingPercent":150/ },
      { nodeArgs: ['--heap-growing-percent=50'], logged: /"msg":"V8 heap growing factor left as --heap-growing-percent sets it"/ },
    ];
    for (const { nodeArgs, logged } of cases) {
      const serve = await spawnServe(['--listen-grpc', '127.0.0.1:0', '--listen-http', '', '--log-level', 'debug'], { cwd, nodeArgs });
      serve.child.kill('SIGTERM');
      assert.deepEqual(await serve.exited, { code: 0, signal: null });
      assert.match(serve.stderr(), logged);
    }
  });
  it('samples forwarded traces again with --sampling-rate-per-million: at 0 a span is acknowledged, counted and not written', async () => {
    const dir = join(cwd, 'sampled');
    const serve = await spawnServe(['--listen-grpc', '', '--listen-http', '127.0.0.1:0', '--exporter-url', `file://${dir}`, '--sampling-rate-per-million', '0'], {
      cwd,
    });
    try {
      await waitFor('the sampling line', () => serve.stdout().includes('tracepipe serve: sampling forwarded traces again at 0 per million\n'));
      const result = await sendWith(new JsonOtlpExporter({ url: serve.httpUrl }), await makeTestSpans(3, { prefix: 'sampled' }));
      assert.equal(result.code, ExportResultCode.SUCCESS);
    } finally {
      serve.child.kill('SIGTERM');
    }
    assert.deepEqual(await serve.exited, { code: 0, signal: null });
    assert.match(serve.stderr(), /"msg":"stopped","received":0,"sampledOut":3,"exported":0,/);
    assert.equal((await readCapturedSpans(dir)).length, 0);
  });
});
