import assert from 'node:assert/strict';
import { appendFile, open, readdir, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { DurableLog } from '../../src/receiver/DurableLog.js';
import { tempDirs } from '../support/tempDirs.js';

const tempDir = tempDirs('tracepipe-durable-');
const HEADER_BYTES = 16;

const payload = (i: number, size = 100): Buffer => Buffer.alloc(size, i % 256);

async function segments(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort((a, b) => parseInt(a) - parseInt(b));
}

describe('DurableLog', () => {
  it('reads back every appended record, in order, with its span count, after the process that wrote them is gone', async () => {
    const dir = await tempDir();
    const first = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.equal(first.records.length, 0);
    assert.equal(first.log.nextId, 1);
    await first.log.append([payload(1), payload(2, 50)], [3, 4], 'protobuf', false);
    await first.log.append([payload(3, 7)], [5], 'protobuf', false);
    await first.log.close();

    const { log, records, torn } = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.equal(torn, 0);
    assert.deepEqual(
      records.map((r) => [r.id, r.spanCount, r.payload.length, r.payload[0]]),
      [
        [1, 3, 100, 1],
        [2, 4, 50, 2],
        [3, 5, 7, 3],
      ],
    );
    assert.equal(log.nextId, 4);
    assert.equal(log.bytes, 157 + 3 * HEADER_BYTES);
    await log.close();
  });

  it('keeps each record\'s wire form, and copies a payload the caller may reuse only when asked', async () => {
    const dir = await tempDir();
    const first = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    const pooled = payload(1);
    const kept = payload(2);
    const appended = first.log.append([pooled], [1], 'json', true);
    const appendedAsIs = first.log.append([kept], [1], 'protobuf', false);
    // A pooled buffer reused before the write: the log wrote its bytes as they were at append.
    pooled.fill(7);
    await Promise.all([appended, appendedAsIs]);
    await first.log.close();

    const { log, records } = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.deepEqual(
      records.map((r) => [r.form, r.payload.equals(payload(r.id))]),
      [
        ['json', true],
        ['protobuf', true],
      ],
    );
    await log.close();
  });

  it('group-commits: appends made while a write runs are covered by the next single write, and each resolves once durable', async () => {
    const dir = await tempDir();
    const { log } = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    const order: number[] = [];
    const appends = Array.from({ length: 50 }, (_, i) => log.append([payload(i)], [1], 'protobuf', false).then(() => order.push(i)));
    await Promise.all(appends);
    assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i));
    // The first append starts a write alone; the 49 made while it ran share the next one.
    assert.equal(log.syncs, 2);
    const [only] = await segments(dir);
    assert.equal((await stat(join(dir, only!))).size, 50 * (100 + HEADER_BYTES));
    await log.close();
  });

  it('with a commit delay, appends made in later turns of the event loop within it share one write and one sync', async () => {
    const dir = await tempDir();
    const { log } = await DurableLog.open({ dir, maxBytes: 1 << 20, commitDelayMs: 200, logger: silentLogger });
    const first = log.append([payload(1)], [1], 'protobuf', false);
    // Timers fire in order of their deadlines: these run before the commit delay is over.
    const later = [10, 40].map((ms) => new Promise<void>((resolve) => setTimeout(() => resolve(log.append([payload(ms)], [1], 'protobuf', false)), ms)));
    await Promise.all([first, ...later]);
    assert.equal(log.syncs, 1);
    await log.close();
  });

  it('with sync none, acknowledges once written, never fdatasyncs, and reads back the same', async () => {
    const dir = await tempDir();
    const first = await DurableLog.open({ dir, maxBytes: 1 << 20, sync: 'none', logger: silentLogger });
    await Promise.all(Array.from({ length: 5 }, (_, i) => first.log.append([payload(i)], [1], 'protobuf', false)));
    assert.equal(first.log.syncs, 0);
    await first.log.close();
    const { log, records } = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.deepEqual(
      records.map((r) => r.payload[0]),
      [0, 1, 2, 3, 4],
    );
    await log.close();
  });

  it('refuses the appends of a write that fails (and those waiting behind it), starts a new segment, and deletes the failed one once its records are settled', async () => {
    const dir = await tempDir();
    const { log } = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    // Where the first segment goes, a device on which every write fails (ENOSPC).
    await symlink('/dev/full', join(dir, '1.seg'));
    const failing = log.append([payload(1)], [1], 'protobuf', false);
    const waiting = log.append([payload(2)], [1], 'protobuf', false);
    await assert.rejects(failing, { code: 'ENOSPC' });
    await assert.rejects(waiting, { code: 'ENOSPC' });
    await log.append([payload(3)], [1], 'protobuf', false);
    assert.deepEqual(await segments(dir), ['1.seg', '2.seg']);
    assert.equal(log.bytes, 3 * (100 + HEADER_BYTES));
    // The refused requests were queued all the same; once delivered, their segment goes.
    log.settle([1, 2]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await segments(dir), ['2.seg']);
    assert.equal(log.bytes, 100 + HEADER_BYTES);
    await log.close();
  });

  it('deletes a segment once every record in it is settled, and replays only the unsettled ones', async () => {
    const dir = await tempDir();
    const { log } = await DurableLog.open({ dir, maxBytes: 1 << 20, segmentBytes: 3 * (100 + HEADER_BYTES), logger: silentLogger });
    for (let i = 0; i < 7; i++) await log.append([payload(i)], [1], 'protobuf', false);
    assert.deepEqual(await segments(dir), ['1.seg', '2.seg', '3.seg']);
    log.settle([1, 2, 3, 5]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await segments(dir), ['2.seg', '3.seg']);
    assert.equal(log.bytes, 4 * (100 + HEADER_BYTES));
    await log.close();
    // Record 5 shares segment 2 with 4 and 6: its ack file says it was settled.
    assert.deepEqual((await readdir(dir)).sort(), ['2.ack', '2.seg', '3.seg']);

    const reopened = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.deepEqual(
      reopened.records.map((r) => r.payload[0]),
      [3, 5, 6],
    );
    // Settled across both runs: segment 2 and its ack file go.
    reopened.log.settle(reopened.records.slice(0, 2).map((r) => r.id));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual((await readdir(dir)).sort(), ['3.seg']);
    reopened.log.settle([reopened.records[2]!.id]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await readdir(dir), []);
    assert.equal(reopened.log.bytes, 0);
    await reopened.log.close();
  });

  it('replays a segment up to what its ack file lists, ignores a torn ack entry, and removes an ack file whose segment is gone', async () => {
    const dir = await tempDir();
    const { log } = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    await log.append([payload(1), payload(2), payload(3)], [1, 1, 1], 'protobuf', false);
    log.settle([1]);
    log.settle([3]);
    await log.close();
    // A crash mid-write of the next ack entry, and one left by a crash between two deletions.
    await appendFile(join(dir, '1.ack'), Buffer.from([1, 0]));
    await writeFile(join(dir, '7.ack'), Buffer.alloc(4));

    const reopened = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.deepEqual(
      reopened.records.map((r) => r.payload[0]),
      [2],
    );
    assert.deepEqual((await readdir(dir)).sort(), ['1.ack', '1.seg']);
    await reopened.log.close();
  });

  it('deletes the active segment once everything in it is delivered, and appends to a fresh one', async () => {
    const dir = await tempDir();
    const { log } = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    await log.append([payload(1)], [1], 'protobuf', false);
    log.settle([1]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await segments(dir), []);
    await log.append([payload(2)], [1], 'protobuf', false);
    assert.deepEqual(await segments(dir), ['2.seg']);
    await log.close();
  });

  it('skips and counts a torn tail (a segment cut mid-record), keeps the intact records before it, and appends after it', async () => {
    const dir = await tempDir();
    const first = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    for (let i = 0; i < 3; i++) await first.log.append([payload(i)], [2], 'protobuf', false);
    await first.log.close();
    await truncate(join(dir, '1.seg'), 2 * (100 + HEADER_BYTES) + 40);

    const second = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.equal(second.torn, 1);
    assert.deepEqual(
      second.records.map((r) => [r.payload[0], r.spanCount]),
      [
        [0, 2],
        [1, 2],
      ],
    );
    await second.log.append([payload(9)], [1], 'protobuf', false);
    await second.log.close();

    // A segment that is all torn (a cut header) is removed; new records went to a segment of their own.
    await truncate(join(dir, '1.seg'), 5);
    const third = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.equal(third.torn, 1);
    assert.deepEqual(
      third.records.map((r) => r.payload[0]),
      [9],
    );
    assert.deepEqual(await segments(dir), ['2.seg']);
    await third.log.close();
  });

  it('detects a record whose bytes changed (CRC) as torn', async () => {
    const dir = await tempDir();
    const first = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    await first.log.append([payload(1), payload(2)], [1, 1], 'protobuf', false);
    await first.log.close();
    const handle = await open(join(dir, '1.seg'), 'r+');
    await handle.write(Buffer.from([0xff]), 0, 1, 100 + HEADER_BYTES + HEADER_BYTES + 10);
    await handle.close();
    const second = await DurableLog.open({ dir, maxBytes: 1 << 20, logger: silentLogger });
    assert.equal(second.torn, 1);
    assert.deepEqual(
      second.records.map((r) => r.payload[0]),
      [1],
    );
    await second.log.close();
  });

  it('is bounded by maxBytes: hasRoom until the budget is used, couldFit for what never fits', async () => {
    const dir = await tempDir();
    const maxBytes = 3 * (100 + HEADER_BYTES);
    const { log } = await DurableLog.open({ dir, maxBytes, logger: silentLogger });
    assert.equal(log.couldFit(maxBytes - HEADER_BYTES), true);
    assert.equal(log.couldFit(maxBytes - HEADER_BYTES + 1), false);
    for (let i = 0; i < 3; i++) {
      assert.equal(log.hasRoom(100), true);
      await log.append([payload(i)], [1], 'protobuf', false);
    }
    assert.equal(log.hasRoom(1), false);
    log.settle([1, 2, 3]);
    assert.equal(log.hasRoom(100), true);
    assert.equal(log.bytes, 0);
    await log.close();
  });
});
