import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpTraceState } from '../../src/encoding/OtlpTraceState.js';
import { ForwardingSampler } from '../../src/sampling/ForwardingSampler.js';
import { handSpan } from '../support/everyFieldSpans.js';

/** The first 18 hex digits of a trace id; the last 14 are the randomness (56 bits). */
const PREFIX = '4bf92f3577b34da6a3';

function span(randomness: string, traceState?: string) {
  return handSpan({ traceId: `${PREFIX}${randomness}`, traceState: traceState === undefined ? undefined : new OtlpTraceState(traceState) });
}

test('keeps a trace iff its randomness reaches the threshold (8 at 500000 per million), and says so in th', () => {
  const sampler = new ForwardingSampler(500_000);
  const kept = span('80000000000000');
  assert.equal(sampler.keep(kept), true);
  assert.equal(kept.spanContext().traceState?.serialize(), 'ot=th:8');
  const dropped = span('7fffffffffffff');
  assert.equal(sampler.keep(dropped), false);
  assert.equal(dropped.spanContext().traceState, undefined);
});

test('the ot entry\'s explicit rv decides instead of the trace id', () => {
  const sampler = new ForwardingSampler(500_000);
  assert.equal(sampler.keep(span('ffffffffffffff', 'ot=rv:7fffffffffffff')), false);
  const kept = span('00000000000000', 'ot=rv:80000000000000');
  assert.equal(sampler.keep(kept), true);
  assert.equal(kept.spanContext().traceState?.serialize(), 'ot=th:8;rv:80000000000000');
});

test('a lower th is raised to this threshold, a higher one is kept; other entries pass unchanged', () => {
  const sampler = new ForwardingSampler(500_000);
  const raised = span('c0000000000000', 'vendor=a,ot=th:4,other=b');
  assert.equal(sampler.keep(raised), true);
  assert.equal(raised.spanContext().traceState?.serialize(), 'ot=th:8,vendor=a,other=b');
  // The sender sampled at 25%: the trace passed a higher threshold than this one, so th stays.
  const higher = span('c0000000000000', 'vendor=a,ot=th:c,other=b');
  assert.equal(sampler.keep(higher), true);
  assert.equal(higher.spanContext().traceState?.serialize(), 'vendor=a,ot=th:c,other=b');
  const malformed = span('c0000000000000', 'ot=th:xyz');
  assert.equal(sampler.keep(malformed), true);
  assert.equal(malformed.spanContext().traceState?.serialize(), 'ot=th:8');
});

test('rate 1000000 keeps every span untouched; rate 0 keeps none', () => {
  const all = new ForwardingSampler(1_000_000);
  const untouched = span('00000000000000', 'vendor=a');
  assert.equal(all.keep(untouched), true);
  assert.equal(untouched.spanContext().traceState?.serialize(), 'vendor=a');
  const none = new ForwardingSampler(0);
  assert.equal(none.keep(span('ffffffffffffff')), false);
  assert.equal(String(none), 'ForwardingSampler{rate=0/1000000, threshold=never}');
  assert.equal(String(new ForwardingSampler(500_000)), 'ForwardingSampler{rate=500000/1000000, threshold=80000000000000}');
});
