import assert from 'node:assert/strict';
import { readdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonOtlpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoOtlpExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { decodeRpcStatus } from '../../src/exporters/decodeRpcStatus.js';
import { silentLogger } from '../../src/logger.js';
import { DurableLog, parseSegment } from '../../src/receiver/DurableLog.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { httpPost } from '../support/httpPost.js';
import { makeTestSpans } from '../support/makeTestSpans.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { sendWith } from '../support/sendWith.js';
import { tempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

const tempDir = tempDirs('tracepipe-durable-forward-');

/** A forwarder on free ports with its durable queue in `queueDir`, forwarding to `to`. */
function forwarder(queueDir: string, to: string): Promise<Forwarder> {
  return startForwarder(
    {
      tracing_service: { exporter_url: to, schedule_delay_ms: 10, export_timeout_ms: 300 },
      receiver: { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0', queue_dir: queueDir, shutdown_timeout_ms: 300 },
    },
    { logger: silentLogger },
  );
}

async function acknowledged(exporter: SpanExporter, spans: ReadableSpan[]): Promise<string[]> {
  const result = await sendWith(exporter, spans);
  assert.equal(result.code, ExportResultCode.SUCCESS, `acknowledged: ${String(result.error)}`);
  return spans.map((s) => s.spanContext().spanId);
}

/** Every intact record in the log's segment files, as [form, span count]. */
async function logged(queueDir: string): Promise<Array<[string, number]>> {
  const names = (await readdir(queueDir)).filter((n) => n.endsWith('.seg')).sort((a, b) => parseInt(a) - parseInt(b));
  const out: Array<[string, number]> = [];
  for (const name of names) {
    const { found, tornAt } = parseSegment(await readFile(join(queueDir, name)));
    assert.equal(tornAt, undefined);
    out.push(...found.map((r): [string, number] => [r.form, r.spanCount]));
  }
  return out;
}

const segments = async (queueDir: string) => (await readdir(queueDir)).filter((n) => n.endsWith('.seg'));

describe('the durable queue behind the OTLP/HTTP receiver', () => {
  let sink: OtlpSink;

  before(async () => {
    sink = await OtlpSink.start();
  });

  after(async () => {
    await sink.close();
  });

  /**
   * OTLP/HTTP protobuf and JSON senders (the official exporters) to a forwarder whose destination
   * takes OTLP/JSON and is down: each is answered only once its request is in the log, where it
   * stays through a shutdown. The protobuf request is logged as received, the JSON one as the
   * queue holds it.
   */
  async function leaveInLog(queueDir: string, prefix: string): Promise<string[]> {
    sink.failNext(1_000_000, 'UNAVAILABLE');
    const first = await forwarder(queueDir, `${sink.httpUrl}?encoding=json`);
    const sent: string[] = [];
    try {
      sent.push(...(await acknowledged(new ProtoOtlpExporter({ url: first.httpUrl }), await makeTestSpans(30, { prefix: `${prefix}-proto` }))));
      assert.deepEqual(await logged(queueDir), [['protobuf', 30]]);
      sent.push(...(await acknowledged(new JsonOtlpExporter({ url: first.httpUrl }), await makeTestSpans(20, { prefix: `${prefix}-json` }))));
      assert.deepEqual(await logged(queueDir), [
        ['protobuf', 30],
        ['json', 20],
      ]);
    } finally {
      await first.close();
      sink.recover();
    }
    assert.equal(first.stats.dropped.shutdown, 50);
    assert.equal(sink.spans.length, 0);
    return sent;
  }

  it('acknowledges OTLP/HTTP only once logged; a restart forwarding over gRPC delivers exactly what was acknowledged, the OTLP/JSON record re-encoded', async () => {
    sink.clear();
    const queueDir = join(await tempDir(), 'queue');
    const sent = await leaveInLog(queueDir, 'to-grpc');
    const second = await forwarder(queueDir, sink.grpcUrl);
    try {
      const delivered = await sink.waitForSpans(50);
      assert.deepEqual(new Set(delivered.map((s) => s.spanId)), new Set(sent));
      assert.equal(second.stats.queueReplayedSpans, 50);
      await waitFor('the replayed segments deleted once delivered', async () => (await segments(queueDir)).length === 0);
    } finally {
      await second.close();
    }
    assert.equal(sink.spans.length, 50);
    assert.deepEqual(
      sink.requests.filter((r) => r.outcome === 'ok').map((r) => r.transport),
      sink.requests.filter((r) => r.outcome === 'ok').map(() => 'grpc'),
    );
  });

  it('a restart writing capture files transcodes the logged protobuf request and writes the OTLP/JSON one as it is', async () => {
    sink.clear();
    const cwd = await tempDir();
    const queueDir = join(cwd, 'queue');
    const sent = await leaveInLog(queueDir, 'to-file');
    const captures = join(cwd, 'captures');
    const second = await forwarder(queueDir, `file://${captures}`);
    try {
      await waitFor('50 spans captured', async () => (await readCapturedSpans(captures)).length === 50);
      await waitFor('the replayed segments deleted once delivered', async () => (await segments(queueDir)).length === 0);
    } finally {
      await second.close();
    }
    const captured = await readCapturedSpans(captures);
    assert.deepEqual(new Set(captured.map((s) => s.spanId)), new Set(sent));
    assert.equal(captured.length, 50);
  });

  it('starts past a logged request that does not decode (CRC intact: another version\'s bug), counting its spans as invalid', async () => {
    sink.clear();
    const queueDir = join(await tempDir(), 'queue');
    const written = await DurableLog.open({ dir: queueDir, maxBytes: 1 << 20, logger: silentLogger });
    const good = await makeTestSpans(5, { prefix: 'good' });
    await written.log.append([Buffer.from('{"resourceSpans": [nope')], [3], 'json', false);
    await written.log.append([ProtobufTraceSerializer.serializeRequest(good)!], [5], 'protobuf', false);
    await written.log.close();
    const fwd = await forwarder(queueDir, sink.grpcUrl);
    try {
      const delivered = await sink.waitForSpans(5);
      assert.deepEqual(
        delivered.map((s) => s.spanId),
        good.map((s) => s.spanContext().spanId),
      );
      assert.equal(fwd.stats.dropped.invalid, 3);
      await waitFor('the segment deleted once both records are settled', async () => (await segments(queueDir)).length === 0);
    } finally {
      await fwd.close();
    }
  });

  it('refuses a request whose log write fails (HTTP 503, gRPC UNAVAILABLE) instead of acknowledging it; the next write goes to a new segment', async () => {
    sink.clear();
    const queueDir = join(await tempDir(), 'queue');
    const fwd = await forwarder(queueDir, sink.grpcUrl);
    try {
      // The next two segments are a device on which every write fails (ENOSPC), as a full or failing disk.
      await symlink('/dev/full', join(queueDir, '1.seg'));
      await symlink('/dev/full', join(queueDir, '2.seg'));
      const refusedSpans = await makeTestSpans(10, { prefix: 'refused' });
      const reply = await httpPost(fwd.httpUrl!, ProtobufTraceSerializer.serializeRequest(refusedSpans)!, { 'content-type': 'application/x-protobuf' });
      assert.equal(reply.status, 503);
      assert.deepEqual(decodeRpcStatus(reply.body), { code: 14, message: 'forwarder queue log could not be written, retry later', retryDelayMs: undefined });
      // The official gRPC exporter is refused (segment 2), then acknowledged (segment 3).
      const refusedOverGrpc = await makeTestSpans(20, { prefix: 'refused-grpc' });
      const result = await sendWith(new GrpcOtlpExporter({ url: `http://${fwd.grpcAddress}` }), refusedOverGrpc);
      assert.equal(result.code, ExportResultCode.FAILED);
      assert.equal(result.error?.message, '14 UNAVAILABLE: forwarder queue log could not be written, retry later');
      const accepted = await acknowledged(new GrpcOtlpExporter({ url: `http://${fwd.grpcAddress}` }), await makeTestSpans(20, { prefix: 'accepted' }));
      assert.deepEqual(
        [...fwd.stats.requests].sort(),
        [
          ['grpc OK', 1],
          ['grpc UNAVAILABLE', 1],
          ['http 503', 1],
        ],
      );
      // Refused requests were queued all the same (at least once: a sender's retry would repeat them).
      await sink.waitForSpans(50);
      const ids = sink.spans.map((s) => s.spanId);
      assert.deepEqual(new Set(ids), new Set([...[...refusedSpans, ...refusedOverGrpc].map((s) => s.spanContext().spanId), ...accepted]));
      // Every segment, the failed ones included, is deleted once what it carried is delivered.
      await waitFor('every segment deleted', async () => (await segments(queueDir)).length === 0);
    } finally {
      await fwd.close();
    }
    assert.equal(sink.spans.length, 50);
  });
});
