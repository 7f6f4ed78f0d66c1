import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBufferPool } from '../../../src/exporters/file/LineBufferPool.js';

describe('LineBufferPool', () => {
  it('hands out Buffers of exactly the size asked, reusing released slabs', () => {
    const pool = new LineBufferPool(2, 1024);
    const first = pool.allocate(100);
    assert.equal(first.length, 100);
    assert.equal(first.buffer.byteLength, 1024, 'a slab is at least minSlabBytes');
    pool.release(first);
    const second = pool.allocate(700);
    assert.equal(second.length, 700);
    assert.equal(second.buffer, first.buffer, 'the released slab is reused');
  });

  it('replaces a free slab that is too small, and makes a fresh one when none is free', () => {
    const pool = new LineBufferPool(2, 1024);
    const small = pool.allocate(10);
    pool.release(small);
    const big = pool.allocate(5000);
    assert.equal(big.length, 5000);
    assert.notEqual(big.buffer, small.buffer);
    const other = pool.allocate(10);
    assert.notEqual(other.buffer, big.buffer, 'a slab in use is never handed out twice');
  });

  it('sizes slabs in eighths of a power of two, from minSlabBytes up', () => {
    const pool = new LineBufferPool(2, 1024);
    const slabFor = (size: number) => pool.allocate(size).buffer.byteLength;
    assert.equal(slabFor(1), 1024);
    assert.equal(slabFor(1024), 1024);
    assert.equal(slabFor(1025), 1280, '5/8 of 2048');
    assert.equal(slabFor(1500), 1536, '6/8 of 2048');
    assert.equal(slabFor(2048), 2048);
    assert.equal(slabFor(5000), 5120, '5/8 of 8192');
    assert.equal(slabFor(7169), 8192);
    // A forwarder's line of 512 realistic spans (~600 KB) with the JSON writer's 1.25x headroom.
    assert.equal(new LineBufferPool(2, 64 * 1024).allocate(750_000).buffer.byteLength, 786_432, '6/8 of 1 MiB, not all of it');
  });

  it('keeps at most maxFree slabs', () => {
    const pool = new LineBufferPool(1, 64);
    const a = pool.allocate(8);
    const b = pool.allocate(8);
    pool.release(a);
    pool.release(b);
    assert.equal(pool.allocate(8).buffer, a.buffer);
    assert.notEqual(pool.allocate(8).buffer, b.buffer, 'the second slab was not kept');
  });

  it('takes back only its own slabs: a foreign Buffer may share memory with others', () => {
    const pool = new LineBufferPool(4, 64);
    const foreign = Buffer.from('small');
    pool.release(foreign);
    pool.release(Buffer.allocUnsafeSlow(128));
    const line = pool.allocate(8);
    assert.notEqual(line.buffer, foreign.buffer);
    assert.equal(line.buffer.byteLength, 64, 'a fresh slab of its own, not the foreign 128-byte one');
  });

  it('never lends a slab far larger than the line: the holder is charged the whole slab', () => {
    const pool = new LineBufferPool(4, 1024);
    pool.release(pool.allocate(10 * 1024 * 1024));
    const small = pool.allocate(1000);
    assert.equal(small.buffer.byteLength, 1024, 'a slab sized for 1000 bytes, not the 10 MiB one');
    // Within twice the slab it would get, a free slab is still reused.
    const pool2 = new LineBufferPool(4, 1024);
    const mid = pool2.allocate(2048);
    pool2.release(mid);
    assert.equal(pool2.allocate(1000).buffer, mid.buffer);
  });
});
