import type { Span, Tracer } from '@opentelemetry/api';

/** One span of issue 19's workload, started and given its 5 attributes (`i`: the varying one), not ended. */
export function startWorkloadSpan(tracer: Tracer, i: number): Span {
  const span = tracer.startSpan('GET /api/items');
  span.setAttribute('http.request.method', 'GET');
  span.setAttribute('http.response.status_code', 200);
  span.setAttribute('url.path', '/api/items');
  span.setAttribute('server.port', 8080);
  span.setAttribute('app.request.sequence', i);
  return span;
}

/**
 * Issue 19's workload, close to what instrumentation does per request: start a root span, set 5
 * attributes (one an integer that changes from span to span, as ids and sizes do), end it.
 * `first` numbers the spans across calls so the varying attribute keeps varying.
 */
export function workloadLoop(tracer: Tracer): (iterations: number, first: number) => void {
  return (iterations, first) => {
    const end = first + iterations;
    for (let i = first; i < end; i++) startWorkloadSpan(tracer, i).end();
  };
}
