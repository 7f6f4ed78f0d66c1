/** A JSON line (`{"n":…,"pad":"xx…"}\n`) of exactly `size` bytes, for writer tests that need exact sizes. */
export function lineOfSize(n: number, size: number): Buffer {
  const bare = `{"n":${n},"pad":""}\n`.length;
  if (size < bare) throw new Error(`line ${n} cannot be shorter than ${bare} bytes`);
  return Buffer.from(`{"n":${n},"pad":"${'x'.repeat(size - bare)}"}\n`);
}
