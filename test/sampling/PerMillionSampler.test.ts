import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTraceState, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { PerMillionSampler } from '../../src/sampling/PerMillionSampler.js';
import { PresetIdGenerator } from '../../src/sampling/PresetIdGenerator.js';
import { RandomPool } from '../../src/sampling/RandomPool.js';

const PREFIX = '4bf92f3577b34da6a3';

test('a sampled root carries ot=th:<threshold>; an unsampled one no tracestate', () => {
  const s = new PerMillionSampler(100);
  const kept = s.shouldSample(ROOT_CONTEXT, `${PREFIX}fff972474538ef`);
  assert.equal(kept.decision, SamplingDecision.RECORD_AND_SAMPLED);
  assert.equal(kept.traceState?.serialize(), 'ot=th:fff972474538ef');
  const dropped = s.shouldSample(ROOT_CONTEXT, `${PREFIX}fff972474538ee`);
  assert.equal(dropped.decision, SamplingDecision.NOT_RECORD);
  assert.equal(dropped.traceState, undefined);
});

test('th values: 0 at 1e6, exact trimmed hex at other rates', () => {
  const id = `${PREFIX}ffffffffffffff`;
  assert.equal(new PerMillionSampler(1_000_000).shouldSample(ROOT_CONTEXT, id).traceState?.serialize(), 'ot=th:0');
  assert.equal(new PerMillionSampler(500_000).shouldSample(ROOT_CONTEXT, id).traceState?.serialize(), 'ot=th:8');
  assert.equal(new PerMillionSampler(250_000).shouldSample(ROOT_CONTEXT, id).traceState?.serialize(), 'ot=th:c');
  assert.equal(new PerMillionSampler(1).shouldSample(ROOT_CONTEXT, id).traceState?.serialize(), 'ot=th:ffffef39085f4a');
  assert.equal(new PerMillionSampler(0).shouldSample(ROOT_CONTEXT, id).decision, SamplingDecision.NOT_RECORD);
});

test('an explicit rv in the ot entry decides instead of the trace id; other entries and ot sub-keys are kept', () => {
  const s = new PerMillionSampler(500_000);
  const withState = (ts: string) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0, traceState: createTraceState(ts) });
  const lowId = `${PREFIX}00000000000000`;
  const highId = `${PREFIX}ffffffffffffff`;

  const kept = s.shouldSample(withState('vendor=kept,ot=rv:80000000000000;x:1'), lowId);
  assert.equal(kept.decision, SamplingDecision.RECORD_AND_SAMPLED);
  assert.equal(kept.traceState?.serialize(), 'ot=th:8;rv:80000000000000;x:1,vendor=kept');

  const dropped = s.shouldSample(withState('vendor=kept,ot=th:0;rv:7fffffffffffff'), highId);
  assert.equal(dropped.decision, SamplingDecision.NOT_RECORD);
  assert.equal(dropped.traceState?.serialize(), 'ot=rv:7fffffffffffff,vendor=kept', 'a stale th is removed from an unsampled span');

  // Without rv, the trace id decides; a previous th is replaced, not duplicated.
  const replaced = s.shouldSample(withState('ot=th:c,vendor=kept'), highId);
  assert.equal(replaced.traceState?.serialize(), 'ot=th:8,vendor=kept');
  // A malformed rv is ignored.
  assert.equal(s.shouldSample(withState('ot=rv:zz'), lowId).decision, SamplingDecision.NOT_RECORD);
});

test('toString shows the configuration', () => {
  assert.equal(new PerMillionSampler(100).toString(), 'PerMillionSampler{rate=100/1000000, threshold=fff972474538ef}');
  assert.equal(new PerMillionSampler(0).toString(), 'PerMillionSampler{rate=0/1000000, threshold=never}');
  assert.equal(new PerMillionSampler(1_000_000).toString(), 'PerMillionSampler{rate=1000000/1000000, threshold=00000000000000}');
});

test('statistics: over 1,000,000 generated ids per rate the sampled count is within 5 standard deviations', () => {
  const ids = new PresetIdGenerator(new RandomPool());
  const n = 1_000_000;
  for (const rate of [1, 100, 10_000, 500_000]) {
    const s = new PerMillionSampler(rate);
    let sampled = 0;
    for (let i = 0; i < n; i++) {
      if (s.shouldSample(ROOT_CONTEXT, ids.generateTraceId()).decision === SamplingDecision.RECORD_AND_SAMPLED) sampled++;
    }
    const p = rate / 1e6;
    const mean = n * p;
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(sampled - mean) <= 5 * sd, `rate ${rate}: ${sampled} sampled, expected ${mean} ± ${5 * sd}`);
  }
});
