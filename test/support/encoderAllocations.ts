import { type HeapProfiler, Session } from 'node:inspector/promises';

/**
 * Bytes allocated on the JS heap with an encoding module (src/encoding) on the stack, by `run`
 * once the code is warm: the sampling heap profiler, counting objects already collected. Until
 * V8 has optimized them, functions box numbers that do not fit a small integer, and a busy
 * machine may still be compiling after a warm-up, so it takes the fewest bytes of a few rounds,
 * stopping at the first under `enough`.
 */
export async function encoderAllocations(run: () => void, enough: number): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    let fewest = Infinity;
    for (let round = 0; round < 5 && fewest >= enough; round++) {
      for (let i = 0; i < 4; i++) run();
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 64,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      run();
      const { profile } = await session.post('HeapProfiler.stopSampling');
      fewest = Math.min(fewest, inEncoder(profile.head));
    }
    return fewest;
  } finally {
    session.disconnect();
  }
}

function inEncoder(node: HeapProfiler.SamplingHeapProfileNode, below = false): number {
  const here = below || /\/src\/encoding\/[^/]+\.[jt]s$/.test(node.callFrame.url);
  let bytes = here ? node.selfSize : 0;
  for (const child of node.children) bytes += inEncoder(child, here);
  return bytes;
}
