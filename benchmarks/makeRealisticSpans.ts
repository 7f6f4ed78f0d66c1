import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';

/**
 * Ended SDK spans shaped like a web service's: 10 attributes of mixed types and 1 event each,
 * in traces of 8 (a server root with client children), one resource and scope.
 */
export async function makeRealisticSpans(count: number): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: new AlwaysOnSampler(),
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '1.4.2',
      'deployment.environment.name': 'production',
      'host.name': 'web-7f9c',
      'process.pid': 4242,
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('bench.realistic', '1.0.0');
  const decorate = (span: ReturnType<typeof tracer.startSpan>, i: number) => {
    span.setAttributes({
      'http.request.method': i % 3 === 0 ? 'POST' : 'GET',
      'http.route': '/api/orders/:id',
      'url.full': `https://shop.example.com/api/orders/${100000 + i}?expand=items`,
      'http.response.status_code': i % 17 === 0 ? 500 : 200,
      'server.address': 'shop.example.com',
      'server.port': 443,
      'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0',
      'app.cart.items': i % 9,
      'app.cart.total': 19.99 + i,
      'app.feature_flags': ['new-checkout', 'fast-path'],
    });
    span.addEvent('cache.lookup', { 'cache.hit': i % 2 === 0, 'cache.key': `order:${i}` });
    if (i % 17 === 0) span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream returned 500' });
  };
  let made = 0;
  while (made < count) {
    const root = tracer.startSpan('POST /api/orders/:id', { kind: SpanKind.SERVER });
    decorate(root, made);
    const ctx = trace.setSpan(context.active(), root);
    for (let c = 1; c < 8 && made + c < count; c++) {
      const child = tracer.startSpan(`SELECT orders ${c}`, { kind: SpanKind.CLIENT }, ctx);
      decorate(child, made + c);
      child.end();
    }
    root.end();
    made = memory.getFinishedSpans().length;
  }
  // Taken before shutdown, which empties the in-memory exporter.
  const spans = memory.getFinishedSpans().slice(0, count);
  await provider.shutdown();
  return spans;
}
