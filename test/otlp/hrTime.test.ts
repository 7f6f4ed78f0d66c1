import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HrTime } from '@opentelemetry/api';
import { fixed64ToHrTime, hrTimeToFixed64, hrTimeToNanosString, nanosStringToHrTime } from '../../src/otlp/hrTime.js';

const toBig = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** Deterministic pseudo-random uint64 values (xorshift), plus the edges. */
function* samples(): Generator<bigint> {
  yield 0n;
  yield 1n;
  yield 999_999_999n;
  yield 1_000_000_000n;
  yield 2n ** 32n - 1n;
  yield 2n ** 32n;
  yield 2n ** 53n + 1n;
  yield 1_763_700_000_123_456_789n;
  yield 2n ** 64n - 1n;
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 20_000; i++) {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    yield x;
  }
}

describe('hrTime conversions', () => {
  it('fixed64 halves to HrTime and back are exact for every uint64 sample', () => {
    const out = new Uint32Array(2);
    for (const n of samples()) {
      const t = fixed64ToHrTime(Number(n & 0xffffffffn), Number(n >> 32n));
      assert.equal(toBig(t), n);
      assert.ok(t[1] >= 0 && t[1] < 1e9);
      hrTimeToFixed64(t, out);
      assert.equal((BigInt(out[1]!) << 32n) | BigInt(out[0]!), n);
      assert.equal(hrTimeToNanosString(t), n.toString());
      assert.deepStrictEqual(nanosStringToHrTime(n.toString()), t);
    }
  });

  it('normalises SDK times whose nanoseconds overflow or are fractional', () => {
    assert.equal(hrTimeToNanosString([1, 1_500_000_000]), '2500000000');
    assert.equal(hrTimeToNanosString([1, 5.7]), '1000000005');
    assert.equal(hrTimeToNanosString([0, 42]), '42');
  });

  it('rejects text that is not a uint64', () => {
    for (const bad of ['', '-1', '1.5', '1e9', ' 1', '18446744073709551616', 'abc']) {
      assert.equal(nanosStringToHrTime(bad), undefined, bad);
    }
  });
});
