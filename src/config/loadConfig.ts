import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { ConfigError } from '../errors.js';
import type { TracepipeConfig } from './TracepipeConfig.js';
import { validateConfig } from './validateConfig.js';

/** yaml is loaded when a file is read, not when tracepipe is imported: ~8 MB of RSS a library pipeline configured in code should not pay. */
const requireOnUse = createRequire(import.meta.url);

/** Reads a `tracepipe.yaml` (top level holds `tracing_service:`) and validates it. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): TracepipeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`config file ${path} cannot be read: ${(cause as Error).message}`, { code: 'TRACEPIPE_CONFIG_FILE', cause });
  }
  const { parseDocument } = requireOnUse('yaml') as typeof Yaml;
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] === undefined ? '' : ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}`;
    throw new ConfigError(`config file ${path} is not valid YAML${where}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, {
      code: 'TRACEPIPE_CONFIG_FILE',
      cause: e,
    });
  }
  const raw: unknown = doc.toJS();
  try {
    return validateConfig(raw ?? {}, env);
  } catch (err) {
    if (err instanceof ConfigError) err.message = `${path}: ${err.message}`;
    throw err;
  }
}
