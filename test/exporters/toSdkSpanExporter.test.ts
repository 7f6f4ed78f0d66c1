import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { ExportError } from '../../src/errors.js';
import { createExporter } from '../../src/exporters/createExporter.js';
import { toSdkSpanExporter } from '../../src/exporters/toSdkSpanExporter.js';
import { silentLogger } from '../../src/logger.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { makeRichSpans } from '../support/richSpans.js';

describe('toSdkSpanExporter', () => {
  let sink: OtlpSink;
  before(async () => {
    sink = await OtlpSink.start();
  });
  after(() => sink.close());

  it('lets a stock SDK BatchSpanProcessor export through tracepipe gRPC', async () => {
    const exporter = toSdkSpanExporter(createExporter(parseExporterUrl(sink.grpcUrl), { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger }));
    const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('sdk-adapter-test');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const span = tracer.startSpan(`sdk-${i}`);
      ids.push(span.spanContext().spanId);
      span.end();
    }
    await provider.forceFlush();
    await provider.shutdown();
    assert.deepEqual(sink.spans.map((s) => s.spanId).sort(), ids.sort());
    assert.deepEqual(new Set(sink.spans.map((s) => s.scope.name)), new Set(['sdk-adapter-test']));
  });

  it('reports a failed export through the callback, with the ExportError', async () => {
    const exporter = toSdkSpanExporter(createExporter(parseExporterUrl(sink.grpcUrl), { timeoutMs: 10_000, stats: new PipelineStats(), logger: silentLogger }));
    sink.failNext(1, 'INVALID_ARGUMENT');
    const result = await new Promise<ExportResult>((resolve) => exporter.export(richSpans, resolve));
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.ok(result.error instanceof ExportError);
    assert.match(result.error.message, /INVALID_ARGUMENT/);
    await exporter.shutdown();
    const after = await new Promise<ExportResult>((resolve) => exporter.export(richSpans, resolve));
    assert.equal(after.code, ExportResultCode.FAILED);
    assert.equal((after.error as ExportError).code, 'TRACEPIPE_EXPORTER_SHUTDOWN');
  });
});

const richSpans = await makeRichSpans();
