import assert from 'node:assert/strict';
import { appendFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { parsePrometheusText } from '../support/parsePrometheusText.js';
import { sendWith } from '../support/sendWith.js';
import { spawnServe, type ServeChild } from '../support/spawnServe.js';
import { tempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

const tempDir = tempDirs('tracepipe-durable-serve-');

const REQUESTS_WHILE_DOWN = 7;
const SPANS_PER_REQUEST = 100;

async function metric(serve: ServeChild, name: string): Promise<number> {
  return parsePrometheusText(await (await fetch(`${serve.diagnosticsUrl}/metrics`)).text()).value(name);
}

async function send(serve: ServeChild, count: number, prefix: string): Promise<string[]> {
  const spans = await makeTestSpans(count, { prefix });
  const result = await sendWith(new GrpcOtlpExporter({ url: `http://${serve.grpcAddress}` }), spans);
  assert.equal(result.code, ExportResultCode.SUCCESS, `acknowledged: ${String(result.error)}`);
  return spans.map((s) => s.spanContext().spanId);
}

describe('tracepipe serve --queue-dir: SIGKILL after acknowledging', () => {
  let sink: OtlpSink;

  before(async () => {
    sink = await OtlpSink.start();
  });

  after(async () => {
    await sink.close();
  });

  // A process crash loses nothing acknowledged under either policy: with `none` the kernel has the bytes.
  for (const policy of ['always', 'none'] as const) {
    it(`delivers every acknowledged span after a restart on the same dir, the torn tail skipped and counted (--queue-sync ${policy})`, async () => {
      sink.clear();
      const cwd = await tempDir();
      const queueDir = join(cwd, 'queue');
      const args = ['--exporter-url', sink.grpcUrl, '--listen-grpc', '127.0.0.1:0', '--listen-http', '', '--diag-addr', '127.0.0.1:0', '--queue-dir', queueDir, '--queue-sync', policy];
      const first = await spawnServe(args, { cwd, diagnostics: true });
      const acknowledged: string[] = [];
      try {
        // Delivered while the destination is up: their records are settled and their segment deleted.
        acknowledged.push(...(await send(first, 300, 'up')));
        await waitFor('300 spans exported', async () => (await metric(first, 'tracepipe_spans_exported_total')) === 300);
        await waitFor('the delivered segment deleted', async () => (await readdir(queueDir)).length === 0);
        // The destination goes down: acknowledged spans wait in the queue (and its log).
        sink.failNext(1_000_000, 'UNAVAILABLE');
        for (let i = 0; i < REQUESTS_WHILE_DOWN; i++) acknowledged.push(...(await send(first, SPANS_PER_REQUEST, `down${i}`)));
        assert.equal(await metric(first, 'tracepipe_queue_spans'), REQUESTS_WHILE_DOWN * SPANS_PER_REQUEST);
        // One request at a time, so one sync each (none without syncing); the log holds the segment still undelivered.
        assert.equal(await metric(first, 'tracepipe_queue_log_syncs_total'), policy === 'always' ? 1 + REQUESTS_WHILE_DOWN : 0);
        const [undelivered] = (await readdir(queueDir)).filter((n) => n.endsWith('.seg'));
        assert.equal(await metric(first, 'tracepipe_queue_log_bytes'), (await stat(join(queueDir, undelivered!))).size);
      } finally {
        first.child.kill('SIGKILL');
      }
      assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });
      assert.equal(sink.spans.length, 300);

      // A write the crash cut short: a header with no body after the last record.
      const segments = (await readdir(queueDir)).filter((n) => n.endsWith('.seg'));
      assert.equal(segments.length, 1);
      await appendFile(join(queueDir, segments[0]!), Buffer.from([0xff, 0x00, 0x00, 0x00, 0x01, 0x02]));

      sink.recover();
      const second = await spawnServe(args, { cwd, diagnostics: true });
      try {
        await sink.waitForSpans(300 + REQUESTS_WHILE_DOWN * SPANS_PER_REQUEST);
        assert.equal(await metric(second, 'tracepipe_queue_replayed_spans_total'), REQUESTS_WHILE_DOWN * SPANS_PER_REQUEST);
        assert.equal(await metric(second, 'tracepipe_queue_torn_records_total'), 1);
        await waitFor('the replayed segment deleted once delivered', async () => (await readdir(queueDir)).length === 0);
      } finally {
        second.child.kill('SIGTERM');
      }
      assert.deepEqual(await second.exited, { code: 0, signal: null });
      const delivered = sink.spans.map((s) => s.spanId);
      assert.equal(delivered.length, 1_000, 'no span repeated: the delivered ones had been trimmed from the log');
      assert.deepEqual(new Set(delivered), new Set(acknowledged));
      assert.equal(acknowledged.length, 1_000);
    });
  }

  it('refuses senders (RESOURCE_EXHAUSTED) when the log is full, rather than dropping what it acknowledged', async () => {
    const cwd = await tempDir();
    const queueDir = join(cwd, 'queue');
    const spans = await makeTestSpans(50, { prefix: 'fill' });
    const requests = Array.from({ length: 10 }, (_, i) => spans.slice(i * 5, i * 5 + 5));
    // What fits: each request is logged as the body the exporter sends, plus a 16-byte frame header.
    let expected = 0;
    let used = 0;
    for (const r of requests) {
      const bytes = ProtobufTraceSerializer.serializeRequest(r)!.length + 16;
      if (used + bytes > 4096) break;
      used += bytes;
      expected += r.length;
    }
    assert.ok(expected > 0 && expected < 50, `the budget holds some of the requests, not all (${expected})`);
    const serve = await spawnServe(
      [
        '--exporter-url',
        sink.grpcUrl,
        '--listen-grpc',
        '127.0.0.1:0',
        '--listen-http',
        '',
        '--diag-addr',
        '127.0.0.1:0',
        '--queue-dir',
        queueDir,
        '--max-request-bytes',
        '4096',
        '--queue-max-disk-bytes',
        '4096',
      ],
      { cwd, diagnostics: true },
    );
    try {
      sink.failNext(1_000_000, 'UNAVAILABLE');
      let accepted = 0;
      for (const r of requests) {
        // The official exporter retries RESOURCE_EXHAUSTED within its timeout: a short one.
        const result = await sendWith(new GrpcOtlpExporter({ url: `http://${serve.grpcAddress}`, timeoutMillis: 1_000 }), r);
        if (result.code === ExportResultCode.SUCCESS) accepted += r.length;
      }
      assert.equal(accepted, expected);
      assert.equal(await metric(serve, 'tracepipe_queue_spans'), expected);

    } finally {
      sink.recover();
      serve.child.kill('SIGTERM');
    }
    assert.deepEqual(await serve.exited, { code: 0, signal: null });
  });
});
