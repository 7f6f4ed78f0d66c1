import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OfficialGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OfficialHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OfficialHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { createExporter } from '../../src/exporters/createExporter.js';
import { silentLogger } from '../../src/logger.js';
import { OtlpSink } from '../support/OtlpSink.js';
import type { PlainSpan } from '../support/plainSpans.js';
import { assertArrivedExactly, makeRichSpans, withoutRaw } from '../support/richSpans.js';

/**
 * The official OTLP exporters are independent clients: the same SDK spans sent by them and by
 * tracepipe must arrive at the sink identical, field for field and AnyValue type for type. This
 * checks our encoders and the sink's decoding against a second implementation.
 */
describe('tracepipe exporters and the official OTLP exporters', () => {
  let sink: OtlpSink;
  before(async () => {
    sink = await OtlpSink.start();
  });
  after(() => sink.close());
  beforeEach(() => sink.clear());

  function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
    return new Promise((resolve, reject) =>
      exporter.export(spans, (result: ExportResult) =>
        result.code === ExportResultCode.SUCCESS ? resolve() : reject(result.error ?? new Error('official export failed')),
      ),
    );
  }

  const byId = (spans: readonly PlainSpan[]) =>
    new Map(spans.map((s) => [s.spanId, { ...withoutRaw(s), rawAttributes: s.raw.attributes, rawEvents: s.raw.events, rawLinks: s.raw.links }]));

  const cases: Array<[string, (sink: OtlpSink) => SpanExporter, (sink: OtlpSink) => string]> = [
    ['gRPC', (s) => new OfficialGrpcExporter({ url: `http://${s.grpcAddress}` }) as unknown as SpanExporter, (s) => s.grpcUrl],
    ['HTTP/protobuf', (s) => new OfficialHttpProtoExporter({ url: s.httpUrl }) as unknown as SpanExporter, (s) => s.httpUrl],
    ['HTTP/JSON', (s) => new OfficialHttpJsonExporter({ url: s.httpUrl }) as unknown as SpanExporter, (s) => `${s.httpUrl}?encoding=json`],
  ];

  for (const [name, official, ours] of cases) {
    it(`deliver identical spans over ${name}`, async () => {
      const spans = await makeRichSpans();
      const theirs = official(sink);
      await exportWith(theirs, spans);
      await theirs.shutdown();
      const fromOfficial = [...sink.spans];
      assertArrivedExactly(fromOfficial, spans);

      sink.clear();
      const exporter = createExporter(parseExporterUrl(ours(sink)), { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger });
      await exporter.export(spans);
      await exporter.shutdown();
      assertArrivedExactly(sink.spans, spans);
      assert.deepStrictEqual(byId(sink.spans), byId(fromOfficial));
    });
  }
});
