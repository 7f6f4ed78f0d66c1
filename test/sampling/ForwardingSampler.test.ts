import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpTraceState } from '../../src/otlp/OtlpTraceState.js';
import { ForwardingSampler } from '../../src/sampling/ForwardingSampler.js';
import { handSpan } from '../support/everyFieldSpans.js';

/** The first 18 hex digits of a trace id; the last 14 are the randomness (56 bits). */
const PREFIX = '4bf92f3577b34da6a3';

/** What `sampler` does with a span of that randomness and tracestate: false when it drops it, else the tracestate it forwards. */
function decide(sampler: ForwardingSampler, randomness: string, traceState?: string): string | undefined | false {
  const span = handSpan({ traceId: `${PREFIX}${randomness}`, traceState: traceState === undefined ? undefined : new OtlpTraceState(traceState) });
  return sampler.keep(span) && span.spanContext().traceState?.serialize();
}

const HALF = new ForwardingSampler(500_000);

test('keeps a trace iff its randomness reaches the threshold (8 at 500000 per million), and says so in th', () => {
  assert.equal(decide(HALF, '80000000000000'), 'ot=th:8');
  assert.equal(decide(HALF, '7fffffffffffff'), false);
});

test('the ot entry\'s explicit rv decides instead of the trace id', () => {
  assert.equal(decide(HALF, 'ffffffffffffff', 'ot=rv:7fffffffffffff'), false);
  assert.equal(decide(HALF, '00000000000000', 'ot=rv:80000000000000'), 'ot=th:8;rv:80000000000000');
});

test('a lower th is raised to this threshold, a higher one is kept; other entries pass unchanged', () => {
  assert.equal(decide(HALF, 'c0000000000000', 'vendor=a,ot=th:4,other=b'), 'ot=th:8,vendor=a,other=b');
  // The sender sampled at 25%: the trace passed a higher threshold than this one, so th stays.
  assert.equal(decide(HALF, 'c0000000000000', 'vendor=a,ot=th:c,other=b'), 'vendor=a,ot=th:c,other=b');
  assert.equal(decide(HALF, 'c0000000000000', 'ot=th:xyz'), 'ot=th:8');
});

test('rate 1000000 keeps every span untouched; rate 0 keeps none', () => {
  assert.equal(decide(new ForwardingSampler(1_000_000), '00000000000000', 'vendor=a'), 'vendor=a');
  assert.equal(decide(new ForwardingSampler(1_000_000), '00000000000000'), undefined);
  const none = new ForwardingSampler(0);
  assert.equal(decide(none, 'ffffffffffffff'), false);
  assert.equal(String(none), 'ForwardingSampler{rate=0/1000000, threshold=never}');
  assert.equal(String(HALF), 'ForwardingSampler{rate=500000/1000000, threshold=80000000000000}');
});
