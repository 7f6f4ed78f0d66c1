/**
 * Finished spans made by the stock OpenTelemetry SDK (not by tracepipe), so tests feed the
 * official exporters what an instrumented service would. Every span is a child of one remote,
 * sampled parent that carries `traceState`, so the tracestate a forwarder must pass through is
 * on every span.
 */
import { ROOT_CONTEXT, SpanKind, createTraceState, trace, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface TestSpanOptions {
  /** `service.name` of the resource. */
  service?: string;
  /** Prefix of span names: `${prefix}-${i}`. */
  prefix?: string;
  traceState?: string;
  /** 32 hex digits; a random one by default. */
  traceId?: string;
  /** More attributes on every span (a large `db.query.text`, say). */
  attributes?: Attributes;
}

export const TEST_PARENT_SPAN_ID = '00f067aa0ba902b7';

export async function makeTestSpans(count: number, options: TestSpanOptions = {}): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service ?? 'forward-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const traceId = options.traceId ?? randomHex(32);
  const parent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId: TEST_PARENT_SPAN_ID,
    traceFlags: 1,
    isRemote: true,
    traceState: createTraceState(options.traceState ?? 'ot=th:0,vendor=kept'),
  });
  const tracer = provider.getTracer('tracepipe-test', '1.2.3');
  const prefix = options.prefix ?? 'op';
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(`${prefix}-${i}`, { kind: SpanKind.SERVER, attributes: { 'test.index': i, 'test.tag': 'fixture', ...options.attributes } }, parent);
    span.addEvent('checkpoint', { 'event.index': i });
    span.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

function randomHex(digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}
