/**
 * The forwarder's downstream exports and `replay` run with tracing suppressed: in a process whose
 * node:http is instrumented (ESM under the loader hook) and whose own spans go through its
 * forwarder, the destination gets exactly the app's spans and the replayed capture, and no span
 * describing an export.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { OtlpSink } from '../support/OtlpSink.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';

const run = promisify(execFile);
const FIXTURES = fileURLToPath(new URL('../../../test/instrumentation/fixtures/', import.meta.url));
const CAPTURE = fileURLToPath(new URL('../../../test/fixtures/view-capture/', import.meta.url));

test('forwarder and replay exports make no spans under the http instrumentation', async () => {
  const sink = await OtlpSink.start();
  try {
    const captured = await readCapturedSpans(CAPTURE);
    const { stdout, stderr } = await run(process.execPath, ['forwardAndReplay.mjs'], {
      cwd: FIXTURES,
      env: { PATH: process.env.PATH, DOWNSTREAM_URL: sink.httpUrl, CAPTURE_DIR: CAPTURE },
    });
    assert.deepEqual(JSON.parse(stdout), { replayed: captured.length, failed: 0 }, stderr);
    const app = sink.spans.filter((s) => s.resource['service.name'] === 'app').map((s) => s.name).sort();
    assert.deepEqual(app, ['work 0', 'work 1', 'work 2', 'work 3', 'work 4']);
    assert.equal(sink.spans.length, 5 + captured.length, JSON.stringify(sink.spans.filter((s) => s.resource['service.name'] === 'app' && !s.name.startsWith('work')).map((s) => s.name)));
  } finally {
    await sink.close();
  }
});
