import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcOtlpExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonOtlpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoOtlpExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { RawReceiver, RawTracingService } from '../../src/config/RawConfig.js';
import { silentLogger } from '../../src/logger.js';
import { type Forwarder, startForwarder } from '../../src/receiver/startForwarder.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { makeTestSpans, TEST_PARENT_SPAN_ID } from '../support/makeTestSpans.js';
import { type PlainSpan, plainSpansFromProto } from '../support/plainSpans.js';
import { readCapturedSpans } from '../support/readCapturedSpans.js';
import { sendWith } from '../support/sendWith.js';
import { waitFor } from '../support/waitFor.js';

/** What the sender meant: the official serializer's bytes, decoded independently. */
function reference(spans: ReadableSpan[]): PlainSpan[] {
  return comparable(plainSpansFromProto(ProtobufTraceSerializer.serializeRequest(spans)!));
}

function comparable(spans: PlainSpan[]): PlainSpan[] {
  return spans.map(({ raw: _raw, ...rest }) => rest as PlainSpan).sort((a, b) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
}

const N = 25;

/** A forwarder on free ports that writes capture files into a new temporary directory. */
async function startCapturing(receiver: RawReceiver, tracing: RawTracingService = {}): Promise<{ dir: string; forwarder: Forwarder }> {
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-forward-file-'));
  const forwarder = await startForwarder(
    {
      tracing_service: { exporter_url: `file://${dir}`, schedule_delay_ms: 10, ...tracing },
      receiver: { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0', ...receiver },
    },
    { logger: silentLogger },
  );
  return { dir, forwarder };
}

/** Sends each batch through its exporter, all at once, and checks that every export succeeded. */
async function sendAll(sends: [SpanExporter, ReadableSpan[]][]): Promise<void> {
  const results = await Promise.all(sends.map(([exporter, spans]) => sendWith(exporter, spans)));
  assert.deepEqual(
    results.map((r) => r.code),
    sends.map(() => ExportResultCode.SUCCESS),
  );
}

async function stopCapturing(dir: string, forwarder: Forwarder): Promise<void> {
  await forwarder.close();
  await rm(dir, { recursive: true, force: true });
}

describe('forwarding from the official OpenTelemetry exporters', () => {
  describe('into a file capture', () => {
    let dir: string;
    let forwarder: Forwarder;

    before(async () => {
      ({ dir, forwarder } = await startCapturing({}, { max_export_batch_size: 20 }));
    });

    after(() => stopCapturing(dir, forwarder));

    it('delivers every span from OTLP/gRPC, OTLP/HTTP protobuf and OTLP/HTTP JSON, unchanged', async () => {
      const [viaGrpc, viaProto, viaJson] = await Promise.all([
        makeTestSpans(N, { service: 'svc-grpc', prefix: 'grpc' }),
        makeTestSpans(N, { service: 'svc-proto', prefix: 'proto', traceState: 'ot=th:8;rv:0123456789abcd' }),
        makeTestSpans(N, { service: 'svc-json', prefix: 'json' }),
      ]);
      await sendAll([
        [new GrpcOtlpExporter({ url: `http://${forwarder.grpcAddress}` }), viaGrpc],
        [new ProtoOtlpExporter({ url: forwarder.httpUrl }), viaProto],
        [new JsonOtlpExporter({ url: forwarder.httpUrl }), viaJson],
      ]);

      const captured = await waitFor('75 spans in the capture', async () => {
        const s = await readCapturedSpans(dir);
        return s.length >= 3 * N ? s : undefined;
      });
      assert.equal(captured.length, 3 * N);
      assert.deepEqual(comparable(captured), reference([...viaGrpc, ...viaProto, ...viaJson]));

      // Spot checks of what the comparison covers: parentage and the sender's tracestate.
      const first = captured.find((s) => s.name === 'proto-0')!;
      assert.equal(first.parentSpanId, TEST_PARENT_SPAN_ID);
      assert.equal(first.traceState, 'ot=th:8;rv:0123456789abcd');
      assert.deepEqual(first.resource, { 'service.name': 'svc-proto' });
      assert.deepEqual(first.scope, { name: 'tracepipe-test', version: '1.2.3' });

      assert.equal(forwarder.stats.received.grpc, N);
      assert.equal(forwarder.stats.received.http, 2 * N);
      await waitFor('exported count', () => forwarder.stats.exported === 3 * N);
      assert.equal(forwarder.stats.exportFailed, 0);
    });
  });

  describe('into a gRPC collector, tagged with the sender', () => {
    let sink: OtlpSink;
    let forwarder: Forwarder;

    before(async () => {
      sink = await OtlpSink.start();
      forwarder = await startForwarder(
        {
          tracing_service: { exporter_url: sink.grpcUrl, schedule_delay_ms: 10 },
          receiver: { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0', tag_sender: true },
        },
        { logger: silentLogger },
      );
    });

    after(async () => {
      await forwarder.close();
      await sink.close();
    });

    it('delivers every span exactly once with tracepipe.forwarded_for set to the peer address', async () => {
      const [viaGrpc, viaJson] = await Promise.all([
        makeTestSpans(N, { prefix: 'grpc' }),
        makeTestSpans(N, { prefix: 'json' }),
      ]);
      await sendAll([
        [new GrpcOtlpExporter({ url: `http://${forwarder.grpcAddress}` }), viaGrpc],
        [new JsonOtlpExporter({ url: forwarder.httpUrl }), viaJson],
      ]);
      const received = await sink.waitForSpans(2 * N);
      await forwarder.close();
      assert.equal(sink.spans.length, 2 * N);
      const expected = reference([...viaGrpc, ...viaJson]).map((s) => ({
        ...s,
        attributes: { ...s.attributes, 'tracepipe.forwarded_for': '127.0.0.1' },
      }));
      assert.deepEqual(comparable(received), expected);
    });
  });

  describe('sampled again at receiver.sampling_rate_per_million', () => {
    let dir: string;
    let forwarder: Forwarder;

    before(async () => {
      ({ dir, forwarder } = await startCapturing({ sampling_rate_per_million: 500_000 }));
    });

    after(() => stopCapturing(dir, forwarder));

    it('forwards the traces whose randomness reaches the threshold, with th raised; counts the others as sampled out', async () => {
      // The trace id's last 14 hex digits are its randomness; 50% keeps those from 80000000000000 up.
      const [kept, sampledOut] = await Promise.all([
        makeTestSpans(N, { prefix: 'kept', traceId: '4bf92f3577b34da6a380000000000000' }),
        makeTestSpans(N, { prefix: 'out', traceId: '4bf92f3577b34da6a37fffffffffffff' }),
      ]);
      await sendAll([
        [new GrpcOtlpExporter({ url: `http://${forwarder.grpcAddress}` }), kept],
        [new ProtoOtlpExporter({ url: forwarder.httpUrl }), sampledOut],
      ]);
      await waitFor('the kept spans exported', () => forwarder.stats.exported === N);
      const captured = await readCapturedSpans(dir);
      assert.equal(captured.length, N);
      // The sender sampled at 100% (th:0); the forwarder's 50% is now the trace's probability.
      const expected = reference(kept).map((s) => ({ ...s, traceState: 'ot=th:8,vendor=kept' }));
      assert.deepEqual(comparable(captured), expected);
      assert.equal(forwarder.stats.sampledOut, N);
      assert.equal(forwarder.stats.received.grpc, N);
      assert.equal(forwarder.stats.received.http, 0);
    });
  });
});
