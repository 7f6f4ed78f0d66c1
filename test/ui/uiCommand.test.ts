import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN } from '../support/spawnServe.js';
import { tempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';
import { CHECKOUT, JOB, XSS, writeUiCapture } from './uiCapture.js';

const tempDir = tempDirs('tracepipe-ui-cli-');

function runUi(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'ui', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

test('tracepipe ui PATH --addr indexes the capture, serves it, and stops on SIGINT', async () => {
  const dir = await tempDir();
  await writeUiCapture(dir);
  const ui = runUi([dir, '--addr', '127.0.0.1:0']);
  try {
    const url = await waitFor('the viewer to print its address', () => /^tracepipe ui: serving (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(ui.out())?.[1]);
    assert.match(ui.out(), new RegExp(`^tracepipe ui: indexed 3 trace\\(s\\), 6 span\\(s\\) from ${dir.replace(/[/.]/g, '\\$&')} in \\d+\\.\\ds$`, 'm'));
    const body = (await (await fetch(`${url}api/traces?limit=10`)).json()) as { data: { traceID: string }[] };
    assert.deepEqual(body.data.map((t) => t.traceID), [XSS, JOB, CHECKOUT]);
  } finally {
    ui.child.kill('SIGINT');
  }
  assert.equal(await ui.exited, 0);
  assert.equal(ui.err(), '');
});

test('tracepipe ui with a missing path or a bad address exits 2 with the reason', async () => {
  const missing = join(await tempDir(), 'nope');
  const a = runUi([missing, '--addr', '127.0.0.1:0']);
  assert.equal(await a.exited, 2);
  assert.equal(a.err(), `tracepipe: capture ${missing} does not exist [TRACEPIPE_CAPTURE_READ]\n`);
  const b = runUi([await tempDir(), '--addr', 'here']);
  assert.equal(await b.exited, 2);
  assert.equal(b.err(), 'tracepipe: --addr must be host:port with a port from 0 to 65535, got "here" [TRACEPIPE_CONFIG_INVALID]\n');
});
