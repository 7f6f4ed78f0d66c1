import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hex28, Threshold } from '../../src/sampling/Threshold.js';

/** Reference decision in BigInt, independent of the two-part comparison under test. */
function reference(rate: number, traceId: string): boolean {
  const t = (2n * ((1_000_000n - BigInt(rate)) << 56n) + 1_000_000n) / 2_000_000n;
  return BigInt(`0x${traceId.slice(18)}`) >= t;
}

test('thresholds are round((1 - rate/1e6) * 2^56), as th values with trailing zeros trimmed', () => {
  const cases: Array<[number, string, string]> = [
    [1, 'ffffef39085f4a', 'ffffef39085f4a'],
    [100, 'fff972474538ef', 'fff972474538ef'],
    [10_000, 'fd70a3d70a3d71', 'fd70a3d70a3d71'],
    [100_000, 'e6666666666666', 'e6666666666666'],
    [250_000, 'c0000000000000', 'c'],
    [500_000, '80000000000000', '8'],
    [999_999, '000010c6f7a0b6', '000010c6f7a0b6'],
    [1_000_000, '00000000000000', '0'],
  ];
  for (const [rate, full, th] of cases) {
    const t = Threshold.forRatePerMillion(rate);
    assert.equal(t.toString(), full, `rate ${rate}`);
    assert.equal(t.th, th, `rate ${rate}`);
    assert.equal(t.never, false);
  }
  const zero = Threshold.forRatePerMillion(0);
  assert.equal(zero.never, true);
  assert.equal(zero.toString(), 'never');
});

test('boundary vectors: randomness just below T is rejected, at T accepted, in both halves', () => {
  const prefix = '4bf92f3577b34da6a3';
  const t = Threshold.forRatePerMillion(100); // T = fff9724 74538ef
  assert.equal(t.acceptsTraceId(`${prefix}fff972474538ee`), false);
  assert.equal(t.acceptsTraceId(`${prefix}fff972474538ef`), true);
  assert.equal(t.acceptsTraceId(`${prefix}fff972474538f0`), true);
  assert.equal(t.acceptsTraceId(`${prefix}fff9723fffffff`), false, 'upper half below, lower half at maximum');
  assert.equal(t.acceptsTraceId(`${prefix}fff97240000000`), false, 'upper half equal, lower half below');
  assert.equal(t.acceptsTraceId(`${prefix}fff97250000000`), true, 'upper half above, lower half zero');
  assert.equal(t.acceptsTraceId(`${prefix}ffffffffffffff`), true);
  assert.equal(t.acceptsTraceId(`${prefix}00000000000000`), false);

  const half = Threshold.forRatePerMillion(500_000);
  assert.equal(half.acceptsTraceId(`${prefix}7fffffffffffff`), false);
  assert.equal(half.acceptsTraceId(`${prefix}80000000000000`), true);
  // The upper 72 bits of the trace id play no part.
  assert.equal(half.acceptsTraceId(`ffffffffffffffffff7fffffffffffff`), false);

  const all = Threshold.forRatePerMillion(1_000_000);
  assert.equal(all.acceptsTraceId(`${prefix}00000000000000`), true);
  const none = Threshold.forRatePerMillion(0);
  assert.equal(none.acceptsTraceId(`${prefix}ffffffffffffff`), false);
});

test('the two-part comparison agrees with a BigInt reference on random ids and rates', () => {
  for (let i = 0; i < 20_000; i++) {
    const rate = i % 7 === 0 ? [0, 1, 999_999, 1_000_000][i % 4]! : Math.floor(Math.random() * 1_000_001);
    const traceId = randomBytes(16).toString('hex');
    assert.equal(Threshold.forRatePerMillion(rate).acceptsTraceId(traceId), reference(rate, traceId), `${rate} ${traceId}`);
  }
});

test('monotone: thresholds fall as the rate rises, so a trace kept at r is kept above r', () => {
  const rates = [0, 1, 2, 100, 101, 10_000, 100_000, 500_000, 999_999, 1_000_000];
  const thresholds = rates.map((r) => Threshold.forRatePerMillion(r));
  for (let i = 0; i < 5_000; i++) {
    const traceId = randomBytes(16).toString('hex');
    let kept = false;
    for (let r = 0; r < rates.length; r++) {
      const now = thresholds[r]!.acceptsTraceId(traceId);
      assert.ok(!kept || now, `kept below rate ${rates[r]} but not at it: ${traceId}`);
      kept = now;
    }
    assert.equal(kept, true, 'everything is kept at 1e6');
  }
});

test('th values read back (trailing zeros restored) give the threshold; bad rates are refused', () => {
  for (const rate of [1, 100, 250_000, 999_999, 1_000_000]) {
    const t = Threshold.forRatePerMillion(rate);
    assert.equal(t.th.padEnd(14, '0'), t.toString());
  }
  assert.throws(() => Threshold.forRatePerMillion(1.5), RangeError);
  assert.throws(() => Threshold.forRatePerMillion(1_000_001), RangeError);
});

test('hex28 reads 7 hex digits', () => {
  assert.equal(hex28('xxfffffff', 2), 0x0fffffff);
  assert.equal(hex28('0a1b2c3d', 1), 0xa1b2c3d);
});
