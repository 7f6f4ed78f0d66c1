import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TracepipeError } from '../errors.js';
import { CAPTURE_FILE_SUFFIX, compareCaptureFileNames } from '../exporters/file/captureFileName.js';

export interface CaptureFile {
  path: string;
  size: number;
}

/**
 * The capture files at `pathOrDir`: the file itself, or every `*.trace` file of the directory
 * (not recursive) in name order, which is time order.
 */
export async function listCaptureFiles(pathOrDir: string): Promise<CaptureFile[]> {
  const info = await stat(pathOrDir).catch((cause: NodeJS.ErrnoException) => {
    const reason = cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.message})`;
    throw new TracepipeError('TRACEPIPE_CAPTURE_READ', `capture ${pathOrDir} ${reason}`, { cause });
  });
  if (!info.isDirectory()) return [{ path: pathOrDir, size: info.size }];
  const names = (await readdir(pathOrDir)).filter((n) => n.endsWith(CAPTURE_FILE_SUFFIX)).sort(compareCaptureFileNames);
  const files: CaptureFile[] = [];
  for (const name of names) {
    const path = join(pathOrDir, name);
    // A file deleted meanwhile (retention of a live exporter) is simply not there any more.
    const s = await stat(path).catch(() => undefined);
    if (s?.isFile()) files.push({ path, size: s.size });
  }
  return files;
}
