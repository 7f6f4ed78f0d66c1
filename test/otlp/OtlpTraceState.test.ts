import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OtlpTraceState } from '../../src/otlp/OtlpTraceState.js';

describe('OtlpTraceState', () => {
  it('serializes to exactly the text it was given, odd spacing and empty members included', () => {
    assert.equal(new OtlpTraceState('b=2, a=1 ,,c=3').serialize(), 'b=2, a=1 ,,c=3');
    assert.equal(new OtlpTraceState('not a valid=tracestate!!').serialize(), 'not a valid=tracestate!!');
  });

  it('reads entries, and set/unset return new states with the W3C ordering (new entry first)', () => {
    const state = new OtlpTraceState('vendor=abc, ot=th:8');
    assert.equal(state.get('ot'), 'th:8');
    assert.equal(state.get('vendor'), 'abc');
    assert.equal(state.get('missing'), undefined);
    assert.equal(state.set('ot', 'th:0').serialize(), 'ot=th:0,vendor=abc');
    assert.equal(state.set('new', 'x').serialize(), 'new=x,vendor=abc, ot=th:8');
    assert.equal(state.unset('vendor').serialize(), ' ot=th:8');
    assert.equal(state.serialize(), 'vendor=abc, ot=th:8', 'the original is unchanged');
  });
});
