import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MODULE = new URL('../../src/receiver/tuneHeapForForwarding.js', import.meta.url).href;

interface Trace {
  /** What tuneHeapForForwarding returned, or undefined when the child did not call it. */
  applied: boolean | undefined;
  /** The growing factor each new old-generation limit was computed with. */
  factors: string[];
  /** The factor V8 chose by itself each time (from its speeds), used when none is fixed. */
  chosen: string[];
}

/**
 * A fresh process (the flag is process-wide) that optionally tunes, then forces three major GCs,
 * each of which sets a new old-generation limit; V8's --trace-gc-verbose prints the factor used.
 * The last comes after 100 ms of next to no allocation, when V8's own choice is low (about 1.2).
 */
async function traceLimits(tune: boolean, nodeFlags: string[] = []): Promise<Trace> {
  const script = tune
    ? `const { tuneHeapForForwarding } = await import(${JSON.stringify(MODULE)}); console.log('applied=' + tuneHeapForForwarding()); gc(); setTimeout(gc, 20); setTimeout(gc, 120);`
    : 'gc(); setTimeout(gc, 20); setTimeout(gc, 120);';
  const { stdout } = await run(process.execPath, [...nodeFlags, '--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script]);
  const applied = /applied=(true|false)/.exec(stdout)?.[1];
  return {
    applied: applied === undefined ? undefined : applied === 'true',
    factors: [...stdout.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)$/gm)].map((m) => m[1]!),
    chosen: [...stdout.matchAll(/\[HeapController\] factor (\d+\.\d) based on/g)].map((m) => m[1]!),
  };
}

test('tuneHeapForForwarding fixes the growing factor at 4 for every major GC that follows', async () => {
  const { applied, factors, chosen } = await traceLimits(true);
  assert.equal(applied, true);
  assert.deepEqual(factors, ['4.0', '4.0', '4.0']);
  // By the last GC V8 would have picked less than 4 by itself (see the next test), so the 4.0
  // above is the fixed factor at work.
  assert.equal(chosen.length, 3);
  assert.notEqual(chosen[2], '4.0');
});

test('without it V8 uses the factor it chooses', async () => {
  const { applied, factors, chosen } = await traceLimits(false);
  assert.equal(applied, undefined);
  assert.equal(factors.length, 3);
  assert.deepEqual(factors, chosen);
  assert.notEqual(factors[2], '4.0');
});

test('a process started with its own --heap-growing-percent keeps it', async () => {
  for (const flag of ['--heap-growing-percent=50', '--heap_growing_percent=50']) {
    const traced = await traceLimits(true, [flag]);
    assert.deepEqual(traced, { applied: false, factors: ['1.5', '1.5', '1.5'], chosen: traced.chosen }, flag);
  }
});
