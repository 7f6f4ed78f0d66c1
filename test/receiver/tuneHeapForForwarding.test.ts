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
}

/**
 * A fresh process (the flag is process-wide) started with `nodeFlags`, or else first fixing the
 * factor at 1.5 from inside (a baseline, where V8's own choice varies with its speeds);
 * optionally tuning; then forcing three major GCs, each of which sets a new old-generation
 * limit, whose factor --trace-gc-verbose prints.
 */
async function traceLimits(tune: boolean, nodeFlags: string[] = []): Promise<Trace> {
  const baseline = nodeFlags.length > 0 ? '' : `(await import('node:v8')).setFlagsFromString('--heap-growing-percent=50');`;
  const tuning = `const { tuneHeapForForwarding } = await import(${JSON.stringify(MODULE)}); console.log('applied=' + tuneHeapForForwarding());`;
  const gcs = 'gc(); setTimeout(gc, 20); setTimeout(gc, 120);';
  const script = baseline + (tune ? tuning : '') + gcs;
  const { stdout } = await run(process.execPath, [...nodeFlags, '--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script]);
  const applied = /applied=(true|false)/.exec(stdout)?.[1];
  return {
    applied: applied === undefined ? undefined : applied === 'true',
    factors: [...stdout.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)$/gm)].map((m) => m[1]!),
  };
}

test('tuneHeapForForwarding fixes the growing factor at 2.5 for every major GC that follows', async () => {
  assert.deepEqual(await traceLimits(true), { applied: true, factors: ['2.5', '2.5', '2.5'] });
});

test('without it the factor stays as it was set (the baseline the case above overrides)', async () => {
  assert.deepEqual(await traceLimits(false), { applied: undefined, factors: ['1.5', '1.5', '1.5'] });
});

test('a process started with its own --heap-growing-percent keeps it', async () => {
  for (const flag of ['--heap-growing-percent=100', '--heap_growing_percent=100']) {
    assert.deepEqual(await traceLimits(true, [flag]), { applied: false, factors: ['2.0', '2.0', '2.0'] }, flag);
  }
});
