import type { Tracer } from '@opentelemetry/api';

/**
 * The two span shapes the overhead benchmark times:
 * `span` — start a root span, set 5 attributes, end it;
 * `nested` — an active parent with a nested active child (2 spans per iteration).
 */
export type SpanScenario = 'span' | 'nested';

export const SPAN_SCENARIOS: readonly SpanScenario[] = ['span', 'nested'];

/** Spans one iteration of the scenario creates. */
export function spansPerIteration(scenario: SpanScenario): number {
  return scenario === 'nested' ? 2 : 1;
}

/** Returns a loop body specialised for the scenario, so the timed loop has no branch on it. */
export function spanScenarioLoop(tracer: Tracer, scenario: SpanScenario): (iterations: number) => void {
  if (scenario === 'span') {
    return (iterations) => {
      for (let i = 0; i < iterations; i++) {
        const span = tracer.startSpan('GET /api/items');
        span.setAttribute('http.request.method', 'GET');
        span.setAttribute('http.response.status_code', 200);
        span.setAttribute('url.path', '/api/items');
        span.setAttribute('server.port', 8080);
        span.setAttribute('cache.hit', true);
        span.end();
      }
    };
  }
  const child = (span: { end(): void }) => span.end();
  const parent = (span: { end(): void }) => {
    tracer.startActiveSpan('db.query', child);
    span.end();
  };
  return (iterations) => {
    for (let i = 0; i < iterations; i++) tracer.startActiveSpan('handle request', parent);
  };
}
