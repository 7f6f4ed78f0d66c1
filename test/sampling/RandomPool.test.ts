import { equal, match } from 'node:assert/strict';
import { test } from 'node:test';
import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { RandomPool } from '../../src/sampling/RandomPool.js';

// 20,000 of each crosses several 16 KiB refills and every window boundary inside them.
const COUNT = 20_000;

test('randomTraceId and spanId give W3C-valid, lowercase, distinct ids across refills', () => {
  const pool = new RandomPool();
  const traceIds = new Set<string>();
  const spanIds = new Set<string>();
  for (let i = 0; i < COUNT; i++) {
    const traceId = pool.randomTraceId();
    const spanId = pool.spanId();
    match(traceId, /^[0-9a-f]{32}$/);
    match(spanId, /^[0-9a-f]{16}$/);
    equal(isValidTraceId(traceId), true);
    equal(isValidSpanId(spanId), true);
    traceIds.add(traceId);
    spanIds.add(spanId);
    // Draws of other sizes between ids shift where the next id starts inside a window.
    if (i % 3 === 0) pool.bits28();
  }
  equal(traceIds.size, COUNT);
  equal(spanIds.size, COUNT);
});

test('traceId(hi, lo) ends in exactly those 56 bits', () => {
  const pool = new RandomPool();
  for (const [hi, lo] of [
    [0, 0],
    [0x0fff_ffff, 0x0fff_ffff],
    [0x0123_4567, 0x089a_bcde],
  ] as const) {
    const id = pool.traceId(hi, lo);
    equal(id.slice(18), ((BigInt(hi) << 28n) | BigInt(lo)).toString(16).padStart(14, '0'));
    equal(isValidTraceId(id), true);
  }
});
