import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { startBlackhole } from '../support/blackholeServer.js';
import { httpPost } from '../support/httpPost.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { spawnServe } from '../support/spawnServe.js';

const SHUTDOWN_TIMEOUT_MS = 1_500;
/** What the machine may add to the deadline: the process's own exit, on a shared, noisy host. */
const EXIT_SLACK_MS = 1_500;

describe('tracepipe serve: SIGTERM with a destination that never answers', () => {
  let dir: string;
  let hole: Awaited<ReturnType<typeof startBlackhole>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracepipe-deadline-'));
    hole = await startBlackhole();
  });

  after(async () => {
    await hole.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits by the shutdown deadline and counts every acknowledged span, those in running exports included, as dropped shutdown', async () => {
    const config = join(dir, 'tracepipe.yaml');
    // A long export timeout: without the deadline the exports would hang for a minute.
    await writeFile(
      config,
      [
        'tracing_service:',
        `  exporter_url: grpc://127.0.0.1:${hole.port}`,
        '  export_timeout_ms: 60000',
        '  schedule_delay_ms: 10',
        '  max_export_batch_size: 100',
        'receiver:',
        '  grpc_listen: ""',
        '  http_listen: 127.0.0.1:0',
        `  shutdown_timeout_ms: ${SHUTDOWN_TIMEOUT_MS}`,
        '',
      ].join('\n'),
    );
    const serve = await spawnServe(['-c', config], { cwd: dir });
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(await makeTestSpans(100))!);
    for (let i = 0; i < 9; i++) {
      assert.equal((await httpPost(serve.httpUrl!, body, { 'content-type': 'application/x-protobuf' })).status, 200);
    }
    // Four exports in flight (the queue's concurrency), the other five batches waiting.
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    serve.child.kill('SIGTERM');
    const exited = await serve.exited;
    const took = Date.now() - signalled;
    assert.ok(took < SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS, `exited ${took} ms after SIGTERM, deadline ${SHUTDOWN_TIMEOUT_MS} ms`);
    assert.deepEqual(exited, { code: 0, signal: null });
    const stopped = serve.stderr().split('\n').find((line) => line.includes('"msg":"stopped with spans not delivered"'));
    assert.ok(stopped !== undefined, serve.stderr());
    const summary = JSON.parse(stopped) as Record<string, unknown>;
    assert.equal(summary.received, 900);
    assert.equal(summary.exported, 0);
    assert.equal(summary.exportFailed, 0);
    assert.equal(summary.droppedAtShutdown, 900);
  });
});
