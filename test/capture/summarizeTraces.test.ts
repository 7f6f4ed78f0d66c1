import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { renderTraceList } from '../../src/cli/renderTraceList.js';
import type { Paint } from '../../src/cli/useColor.js';
import { summarizeTraces } from '../../src/capture/summarizeTraces.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const same = (s: string) => s;
const plain: Paint = { red: same, green: same, cyan: same, dim: same, bold: same };

/** Spans of one trace made by the stock SDK; each entry: name, kind, whether its parent is remote, start (ms). */
function spans(entries: Array<[string, SpanKind, boolean, number]>) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('t');
  entries.forEach(([name, kind, remote, startMs], i) => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: `00f067aa0ba902${String(i).padStart(2, '0')}`, traceFlags: 1, isRemote: remote });
    tracer.startSpan(name, { kind, startTime: 1_700_000_000_000 + startMs }, parent).end(1_700_000_000_000 + startMs + 5);
  });
  return memory.getFinishedSpans();
}

test('a trace continued from an upstream caller is named after its local entry span, whatever starts first', () => {
  // The client span's parent is local but not captured; it starts (clock skew, file order) first.
  const [t] = summarizeTraces(spans([
    ['GET', SpanKind.CLIENT, false, 0],
    ['GET /checkout', SpanKind.SERVER, true, 10],
    ['request handler', SpanKind.INTERNAL, false, 12],
  ]));
  assert.deepEqual([t!.rootName, t!.hasRoot, t!.continued], ['GET /checkout', false, true]);
  assert.match(renderTraceList([t!], plain), /\(continued\) GET \/checkout/);
});

test('without is-remote flags (another producer\'s capture), a server or consumer span is the entry', () => {
  const [t] = summarizeTraces(spans([
    ['SELECT', SpanKind.CLIENT, false, 0],
    ['process order', SpanKind.CONSUMER, false, 20],
  ]));
  assert.deepEqual([t!.rootName, t!.continued], ['process order', true]);
});

test('a trace whose root and entry spans are all missing is still "(no root)", after its earliest span', () => {
  const [t] = summarizeTraces(spans([
    ['later', SpanKind.INTERNAL, false, 30],
    ['earliest', SpanKind.CLIENT, false, 0],
  ]));
  assert.deepEqual([t!.rootName, t!.hasRoot, t!.continued], ['earliest', false, false]);
  assert.match(renderTraceList([t!], plain), /\(no root\) earliest/);
});
