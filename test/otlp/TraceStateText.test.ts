import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTraceState } from '@opentelemetry/api';
import { OtlpTraceState } from '../../src/otlp/OtlpTraceState.js';
import { TraceStateText } from '../../src/otlp/TraceStateText.js';

test('each TraceState object gives its own text, however the calls alternate; none gives ""', () => {
  const a = createTraceState('ot=th:8,vendor=a');
  const b = new OtlpTraceState('vendor=b');
  const c = a.set('vendor', 'c');
  const texts = new TraceStateText();
  assert.deepEqual(
    [a, a, b, a, c, undefined, c].map((state) => texts.text(state)),
    ['ot=th:8,vendor=a', 'ot=th:8,vendor=a', 'vendor=b', 'ot=th:8,vendor=a', 'vendor=c,ot=th:8', '', 'vendor=c,ot=th:8'],
  );
});
