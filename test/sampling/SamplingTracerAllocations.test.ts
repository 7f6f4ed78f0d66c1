import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { createTracing } from '../../src/createTracing.js';
import { silentLogger } from '../../src/logger.js';
import { heapAllocations } from '../support/heapAllocations.js';
import { RecordingExporter } from '../support/RecordingExporter.js';

// A file of its own: V8 keeps one type-feedback record per function per process, and the other
// SamplingTracer tests send sampled and suppressed spans through startSpan too. A return that can be
// either kind of span is a merge V8's escape analysis does not see through, so the same loop would
// allocate its LazySpans there, as it does in a service that also starts sampled spans.
test('an unsampled span that stays in its caller allocates nothing once warm: a root at rate 0, a child of a lazy span', async () => {
  // startSpan is small enough for V8 to inline (226 bytecode bytes; the limit is 460), so the
  // LazySpan of a span nobody keeps is never built, as the no-op API's span is not. At 617 bytes it
  // was never inlined: 72 bytes a span, and a tight loop paid young-generation collections (the
  // first one copying what start-up left in the young generation) that the no-op API never triggers.
  const tracing = createTracing(
    { tracing_service: { enabled: true, exporter_url: 'grpc://127.0.0.1:4317', sampling_rate_per_million: 0 } },
    { exporter: new RecordingExporter(), logger: silentLogger },
  );
  const tracer = tracing.tracer('t');
  const lazyParent = trace.setSpan(ROOT_CONTEXT, tracer.startSpan('parent'));
  const spans = 20_000;
  let runs = 0;
  for (const parent of [undefined, lazyParent]) {
    const bytes = await heapAllocations(() => {
      runs++;
      for (let i = 0; i < spans; i++) {
        const span = tracer.startSpan('GET /api/items', undefined, parent);
        span.setAttribute('http.request.method', 'GET');
        span.setAttribute('http.response.status_code', 200);
        span.setAttribute('url.path', '/api/items');
        span.setAttribute('server.port', 8080);
        span.setAttribute('request.index', i);
        span.end();
      }
    }, 4 * spans);
    const perSpan = bytes / spans;
    assert.ok(perSpan < 4, `${perSpan.toFixed(1)} bytes allocated per unsampled span (${parent === undefined ? 'root' : 'child'})`);
  }
  assert.equal(tracing.stats.notSampled, 1 + runs * spans);
  assert.equal(tracing.stats.sampled, 0);
  await tracing.shutdown();
});
