import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import type { FetchedProfile } from './fetchProfiles.js';

/** Writes the profiles as a `.tar.gz` (one `<kind>.pprof` each), as `teleport debug profile` does. Leaves `out` open. */
export async function writeProfileArchive(profiles: readonly FetchedProfile[], out: NodeJS.WritableStream): Promise<void> {
  const tar = pack();
  const mtime = new Date();
  for (const p of profiles) tar.entry({ name: p.name, size: p.data.length, mode: 0o644, mtime }, p.data);
  tar.finalize();
  await pipeline(tar, createGzip(), out, { end: false });
}
