import { type HeapProfiler, Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Bytes `run` allocates on the JS heap once the code is warm: the sampling heap profiler,
 * counting objects already collected; with `within`, only what was allocated with a matching
 * module on the stack (a function V8 inlined counts as its caller). Until V8 has optimized them,
 * functions box numbers that do not fit a small integer, and a busy machine may still be compiling
 * after a warm-up, so it takes the fewest bytes of a few rounds, stopping at the first under `enough`;
 * between rounds it pauses, so V8's background compiler can finish and install the optimized code.
 */
export async function heapAllocations(run: () => void, enough: number, within?: RegExp): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    let fewest = Infinity;
    for (let round = 0; round < 8 && fewest >= enough; round++) {
      if (round > 0) await sleep(50);
      for (let i = 0; i < 4; i++) run();
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 64,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      run();
      const { profile } = await session.post('HeapProfiler.stopSampling');
      fewest = Math.min(fewest, allocatedBelow(profile.head, within, within === undefined));
    }
    return fewest;
  } finally {
    session.disconnect();
  }
}

/** Modules under src/otlp: what the encoders allocate, whoever calls them. */
export const ENCODING_MODULES = /\/src\/otlp\/.+\.[jt]s$/;

function allocatedBelow(node: HeapProfiler.SamplingHeapProfileNode, within: RegExp | undefined, counting: boolean): number {
  const here = counting || (within !== undefined && within.test(node.callFrame.url));
  let bytes = here ? node.selfSize : 0;
  for (const child of node.children) bytes += allocatedBelow(child, within, here);
  return bytes;
}
