import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The packages the comparison depends on; the report names their versions. */
export const COMPARED_PACKAGES = [
  '@opentelemetry/api',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/otlp-transformer',
  '@opentelemetry/exporter-trace-otlp-grpc',
  '@opentelemetry/exporter-trace-otlp-proto',
  '@grpc/grpc-js',
] as const;

const require = createRequire(import.meta.url);

/** Finds each package's own package.json above its entry point (their `exports` do not list it). */
export function packageVersions(names: readonly string[] = COMPARED_PACKAGES): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    let dir = dirname(require.resolve(name));
    for (;;) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) {
          out[name] = pkg.version ?? 'unknown';
          break;
        }
      } catch {
        // no package.json at this level: keep walking up
      }
      const parent = dirname(dir);
      if (parent === dir) {
        out[name] = 'unknown';
        break;
      }
      dir = parent;
    }
  }
  return out;
}
