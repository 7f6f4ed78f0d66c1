import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OtlpSpan } from '../../src/otlp/OtlpSpan.js';
import { buildTraceTree, type TraceTreeNode } from '../../src/capture/buildTraceTree.js';
import { handSpan } from '../support/everyFieldSpans.js';

function span(spanId: string, parentSpanId: string, startMs: number): OtlpSpan {
  return handSpan({
    spanId,
    parentSpanId,
    flags: 1,
    name: `span ${spanId}`,
    startTime: [1_700_000_000, startMs * 1_000_000],
    endTime: [1_700_000_001, 0],
  });
}

function shape(nodes: TraceTreeNode[]): unknown[] {
  return nodes.map((n) => (n.children.length === 0 ? n.span.spanContext().spanId : { [n.span.spanContext().spanId]: shape(n.children) }));
}

test('children hang under their parents in start order, whatever the input order', () => {
  const tree = buildTraceTree([
    span('000000000000000c', '000000000000000a', 30),
    span('000000000000000b', '000000000000000a', 10),
    span('000000000000000d', '000000000000000b', 20),
    span('000000000000000a', '', 0),
  ]);
  assert.deepEqual(shape(tree), [{ '000000000000000a': [{ '000000000000000b': ['000000000000000d'] }, '000000000000000c'] }]);
});

test('spans whose parent is missing become roots; a parent loop is cut so no span is lost', () => {
  const tree = buildTraceTree([
    span('000000000000000a', '', 50),
    span('000000000000000b', '00000000000000ff', 10),
    span('0000000000000001', '0000000000000002', 5),
    span('0000000000000002', '0000000000000001', 7),
  ]);
  assert.deepEqual(shape(tree), [{ '0000000000000001': ['0000000000000002'] }, '000000000000000b', '000000000000000a']);
});
