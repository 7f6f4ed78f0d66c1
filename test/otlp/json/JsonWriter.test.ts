import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonWriter } from '../../../src/otlp/json/JsonWriter.js';

const writer = new JsonWriter();
import { prng } from '../../support/protobufFuzz.js';

function written(write: () => void): string {
  writer.begin();
  write();
  return writer.takeString();
}

/** Doubles of every kind the short path must get right or leave to String(). */
function* doubles(): Generator<number> {
  yield* [1e-6, 1e-7, 1.5e-6, 0.000001, 0.1 + 0.2, 0.3, 19.99, -19.99, 0.05, 1, 5, -7, 10, 100, 1e15, 1e15 - 1];
  yield* [999999999999999.9, 99999999999999.99, 123456789012345.6, 9007199254740993, 1e20, 1e21, 1e22, 1.7976931348623157e308];
  yield* [5e-324, 2.2250738585072014e-308, 0.1, 0.7, 1.005, 2.675, 1.0000005, 4.35, 0.57, 8.345, 1 / 3, Math.PI, 2 ** 52 + 0.5];
  const random = prng(7);
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 20_000; i++) {
    // A decimal with 0..8 fractional digits at magnitudes from 10^-7 to 10^16.
    const digits = Math.floor(random() * 9);
    const magnitude = 10 ** (Math.floor(random() * 24) - 7);
    const sign = random() < 0.3 ? -1 : 1;
    yield sign * Number((random() * magnitude).toFixed(digits));
    // Neighbours of a short decimal: the same digits one ulp away need all 17 digits.
    const near = Number((random() * 1000).toFixed(2));
    yield near + Number.EPSILON * near;
    // Any finite bit pattern.
    view.setUint32(0, Math.floor(random() * 2 ** 32));
    view.setUint32(4, Math.floor(random() * 2 ** 32));
    const bits = view.getFloat64(0);
    if (Number.isFinite(bits)) yield bits;
  }
}

describe('JsonWriter doubles', () => {
  it('writes every finite double exactly as String() does', () => {
    let checked = 0;
    for (const value of doubles()) {
      if (Object.is(value, -0)) continue;
      const text = written(() => writer.putFiniteDouble(value));
      if (text !== String(value)) assert.fail(`${String(value)} written as ${text}`);
      checked++;
    }
    // 37 fixed values, 2 per round and the finite bit patterns (the -0 ones skipped).
    assert.equal(checked, 59_092);
  });

  it('spells -0 and the non-finite values as proto3 JSON does', () => {
    assert.equal(written(() => writer.putDouble(-0)), '{"doubleValue":-0}');
    assert.equal(written(() => writer.putDouble(0)), '{"doubleValue":0}');
    assert.equal(written(() => writer.putDouble(Number.NaN)), '{"doubleValue":"NaN"}');
    assert.equal(written(() => writer.putDouble(Infinity)), '{"doubleValue":"Infinity"}');
    assert.equal(written(() => writer.putDouble(-Infinity)), '{"doubleValue":"-Infinity"}');
    assert.equal(written(() => writer.putDouble(-0.25)), '{"doubleValue":-0.25}');
  });
});
