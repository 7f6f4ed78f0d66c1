/**
 * Temporary directories that are removed when the test file ends. Call at module level (it
 * registers an `after` hook there) and use what it returns in the tests:
 *
 *   const tempDir = tempDirs('tracepipe-file-');
 *   const dir = await tempDir();    // a new, empty directory under os.tmpdir()
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export function tempDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return async () => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
