import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { ConfigError } from '../../errors.js';

const KEY = 'tracing_service.exporter_url';

/**
 * Start-up check of the capture directory: created with mode 0700 when missing; an existing
 * path that is not a writable directory is a ConfigError, so it fails at start-up rather
 * than at the first export.
 */
export function ensureCaptureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'EEXIST' || code === 'ENOTDIR' ? 'exists but is not a directory' : `cannot be created (${(cause as Error).message})`;
    throw new ConfigError(`${KEY}: capture directory ${dir} ${reason}`, { key: KEY, cause });
  }
  if (!statSync(dir).isDirectory()) {
    throw new ConfigError(`${KEY}: capture directory ${dir} exists but is not a directory`, { key: KEY });
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (cause) {
    throw new ConfigError(`${KEY}: capture directory ${dir} is not writable (${(cause as Error).message})`, { key: KEY, cause });
  }
}
