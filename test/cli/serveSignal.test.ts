import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { parsePrometheusText } from '../support/parsePrometheusText.js';
import { sendWith } from '../support/sendWith.js';
import { spawnServe } from '../support/spawnServe.js';

describe('tracepipe serve: SIGTERM with spans still queued', () => {
  let dir: string;
  let sink: OtlpSink;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracepipe-sigterm-'));
    sink = await OtlpSink.start();
  });

  after(async () => {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers every queued span to the exporter, then exits 0', async () => {
    const config = join(dir, 'tracepipe.yaml');
    // A long schedule delay keeps the spans queued until the signal flushes them.
    await writeFile(
      config,
      [
        'tracing_service:',
        '  enabled: true',
        `  exporter_url: ${sink.grpcUrl}`,
        '  schedule_delay_ms: 600000',
        'receiver:',
        '  grpc_listen: 127.0.0.1:4317',
        '  shutdown_timeout_ms: 30000',
        '',
      ].join('\n'),
    );
    const serve = await spawnServe(['-c', config, '--listen-grpc', '127.0.0.1:0', '--listen-http', '', '--diag-addr', '127.0.0.1:0', '--tag-sender', 'forwarded.by'], {
      cwd: dir,
      diagnostics: true,
    });
    let exited;
    try {
      assert.equal(serve.httpUrl, undefined, '--listen-http "" turned HTTP off');
      assert.equal(serve.destination, `grpc ${sink.grpcAddress}`);
      const spans = await makeTestSpans(40);
      const result = await sendWith(new GrpcOtlpExporter({ url: `http://${serve.grpcAddress}` }), spans);
      assert.equal(result.code, ExportResultCode.SUCCESS);

      const metrics = parsePrometheusText(await (await fetch(`${serve.diagnosticsUrl}/metrics`)).text());
      assert.equal(metrics.value('tracepipe_queue_spans'), 40);
      assert.equal(metrics.value('tracepipe_spans_received_total', { transport: 'grpc' }), 40);
      assert.equal(sink.spans.length, 0, 'nothing delivered before the signal');
      const ready = await fetch(`${serve.diagnosticsUrl}/readyz/receiver`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'healthy' });
    } finally {
      serve.child.kill('SIGTERM');
      exited = await serve.exited;
    }
    assert.deepEqual(exited, { code: 0, signal: null });
    assert.equal(sink.spans.length, 40);
    assert.equal(new Set(sink.spans.map((s) => s.spanId)).size, 40);
    assert.deepEqual(new Set(sink.spans.map((s) => s.attributes['forwarded.by'])), new Set(['127.0.0.1']));
    assert.match(serve.stderr(), /SIGTERM: stopping, draining 40 queued span\(s\)/);
  });
});
