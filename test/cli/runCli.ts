import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/cli. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the real `bin/tracepipe.js` with a pipe for stdout (so: no TTY, no colour, no progress bar). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [`${REPO_ROOT}bin/tracepipe.js`, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
