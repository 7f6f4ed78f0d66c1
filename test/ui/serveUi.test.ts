import assert from 'node:assert/strict';
import { realpath } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonOtlpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { LiveTraceStore } from '../../src/ui/LiveTraceStore.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { sendWith } from '../support/sendWith.js';
import { spawnServe, type ServeChild } from '../support/spawnServe.js';
import { tempDirs } from '../support/tempDirs.js';
import { launchChromium, type Browser } from './launchChromium.js';

const tempDir = tempDirs('tracepipe-serve-ui-');
let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(() => browser?.close());

const LIVE_TRACE = 'abcdef0123456789abcdef0123456789';
const GRPC_TRACE = '0123456789abcdef0123456789abcdef';

test('serve --ui: spans sent with the official exporters appear on the open page without a reload, and are still forwarded', async () => {
  const cwd = await realpath(await tempDir());
  const serve: ServeChild = await spawnServe(
    ['--listen-grpc', '127.0.0.1:0', '--listen-http', '127.0.0.1:0', '--exporter-url', `file://${cwd}/out`, '--ui', '127.0.0.1:0'],
    { cwd },
  );
  try {
    const viewer = /^tracepipe serve: trace viewer on (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(serve.stdout())?.[1];
    assert.ok(viewer, serve.stdout());
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(viewer);
    const empty = page.locator('p.empty');
    await empty.waitFor();
    assert.equal(await empty.textContent(), `No traces received yet on ${serve.grpcAddress}, ${serve.httpUrl}: send some and they appear here.`);
    let loads = 0;
    page.on('load', () => loads++);

    const http = await sendWith(new JsonOtlpExporter({ url: serve.httpUrl }), await makeTestSpans(3, { service: 'live-http', prefix: 'http', traceId: LIVE_TRACE }));
    assert.equal(http.code, ExportResultCode.SUCCESS);
    await page.locator(`tr[data-trace-id="${LIVE_TRACE}"]`).waitFor();
    const grpc = await sendWith(new GrpcOtlpExporter({ url: `http://${serve.grpcAddress}` }), await makeTestSpans(2, { service: 'live-grpc', prefix: 'grpc', traceId: GRPC_TRACE }));
    assert.equal(grpc.code, ExportResultCode.SUCCESS);
    await page.locator(`tr[data-trace-id="${GRPC_TRACE}"]`).waitFor();

    assert.equal(loads, 0, 'the page was not reloaded');
    assert.equal(await page.locator('.status p').first().textContent(), `2 traces, 5 spans received on ${serve.grpcAddress}, ${serve.httpUrl}`);
    assert.equal(await page.locator(`tr[data-trace-id="${LIVE_TRACE}"] td`).nth(1).textContent(), '3');
    assert.equal(await page.locator(`tr[data-trace-id="${LIVE_TRACE}"] .note`).textContent(), ' (partial)', 'the parent is remote');
    await page.click(`tr[data-trace-id="${GRPC_TRACE}"] a.trace-link`);
    await page.locator('[role="treeitem"]').nth(1).waitFor();
    assert.equal(await page.locator('[role="treeitem"]').count(), 2);
    assert.equal(await page.locator('.trace-head h1').textContent(), 'live-grpc grpc-0');
    await page.screenshot({ path: `${cwd}/serve-ui.png` });
    assert.deepEqual(errors, []);
    await page.close();

    const forwarded = await readCapturedSpans(`${cwd}/out`);
    assert.equal(forwarded.length, 5, 'every span was forwarded as well');
  } finally {
    serve.child.kill('SIGTERM');
  }
  assert.deepEqual(await serve.exited, { code: 0, signal: null });
});

test('serve --ui with a bad address is a usage error naming the flag', async () => {
  const cwd = await tempDir();
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../support/spawnServe.js');
  const child = spawn(process.execPath, [BIN, 'serve', '--listen-grpc', '127.0.0.1:0', '--listen-http', '', '--ui', 'nowhere'], { cwd });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.equal(err, 'tracepipe: --ui must be host:port with a port from 0 to 65535, got "nowhere" [TRACEPIPE_CONFIG_INVALID]\n');
});

test('the live store keeps at most maxSpans spans, evicting whole oldest traces and counting them', async () => {
  const store = new LiveTraceStore(5);
  const a = await makeTestSpans(3, { traceId: 'a'.repeat(32) });
  const b = await makeTestSpans(2, { traceId: 'b'.repeat(32) });
  const c = await makeTestSpans(2, { traceId: 'c'.repeat(32) });
  store.add(a);
  store.add(b);
  assert.equal(store.status().spans, 5);
  assert.deepEqual(store.status().evicted, { traces: 0, spans: 0 });
  store.add(c);
  const status = store.status();
  assert.equal(status.traces, 2);
  assert.equal(status.spans, 4);
  assert.deepEqual(status.evicted, { traces: 1, spans: 3 });
  assert.equal(status.version, 3);
  assert.equal(await store.spans('a'.repeat(32)), undefined);
  assert.equal((await store.spans('c'.repeat(32)))!.length, 2);
  assert.deepEqual(store.catalog.candidates({ tags: [], errorsOnly: false, limit: 20, sort: 'oldest' }).map((e) => e.traceId), ['b'.repeat(32), 'c'.repeat(32)]);
});
