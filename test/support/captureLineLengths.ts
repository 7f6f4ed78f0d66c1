import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The length of every line of every capture file in `dir`, newline included. */
export async function captureLineLengths(dir: string): Promise<number[]> {
  const lengths: number[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const text = await readFile(join(dir, name));
    let start = 0;
    for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, start)) {
      lengths.push(i + 1 - start);
      start = i + 1;
    }
  }
  return lengths;
}
