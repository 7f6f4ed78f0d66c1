import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultTextMapGetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { ParentBasedPerMillionSampler } from '../../src/sampling/ParentBasedPerMillionSampler.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const propagator = new W3CTraceContextPropagator();

function remote(flags: '00' | '01', tracestate?: string) {
  const carrier: Record<string, string> = { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-${flags}` };
  if (tracestate !== undefined) carrier.tracestate = tracestate;
  const ctx = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  assert.equal(trace.getSpanContext(ctx)?.isRemote, true);
  return ctx;
}

function local(flags: number) {
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: flags });
}

test('a sampled parent, remote or local, is followed even at rate 0', () => {
  const s = new ParentBasedPerMillionSampler(0);
  for (const ctx of [remote('01'), local(1)]) {
    const r = s.shouldSample(ctx, TRACE_ID);
    assert.equal(r.decision, SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(r.traceState, undefined, 'the parent tracestate is inherited unchanged');
  }
});

test('an unsampled parent, remote or local, is followed even at rate 1e6', () => {
  const s = new ParentBasedPerMillionSampler(1_000_000);
  for (const ctx of [remote('00', 'ot=rv:ffffffffffffff'), local(0)]) {
    assert.equal(s.shouldSample(ctx, TRACE_ID).decision, SamplingDecision.NOT_RECORD);
  }
});

test('roots are decided by the per-million rate from the trace id', () => {
  const s = new ParentBasedPerMillionSampler(500_000);
  assert.equal(s.shouldSample(ROOT_CONTEXT, '000000000000000000ffffffffffffff').decision, SamplingDecision.RECORD_AND_SAMPLED);
  assert.equal(s.shouldSample(ROOT_CONTEXT, 'ffffffffffffffffff7fffffffffffff').decision, SamplingDecision.NOT_RECORD);
  // An invalid parent context counts as no parent.
  const invalid = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 });
  assert.equal(s.shouldSample(invalid, 'ffffffffffffffffff7fffffffffffff').decision, SamplingDecision.NOT_RECORD);
});

test('toString shows the configuration', () => {
  assert.equal(
    new ParentBasedPerMillionSampler(100).toString(),
    'ParentBased{root=PerMillionSampler{rate=100/1000000, threshold=fff972474538ef}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}',
  );
  assert.equal(new ParentBasedPerMillionSampler(42).ratePerMillion, 42);
});
