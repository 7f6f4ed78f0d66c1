import { spawn } from 'node:child_process';
import { basename } from 'node:path';

export interface SpawnWorkerOptions {
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** The worker is killed (and the promise rejected) after this long. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** A command that runs node, e.g. `['taskset', '-c', '1']` to keep the worker on one CPU. */
  prefix?: string[];
}

/**
 * Runs `node script ...args` in a fresh process and resolves with the JSON object it printed
 * as its last line of stdout. A fresh process per measurement keeps one contender's JIT state,
 * heap and timers from colouring the next one's numbers.
 */
export function spawnJsonWorker<T>(script: string, args: string[], options: SpawnWorkerOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const [command, ...commandArgs] = [...(options.prefix ?? []), process.execPath, ...(options.nodeArgs ?? []), script, ...args];
    const child = spawn(command!, commandArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        const reason = stderr.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? stderr.trim().split('\n').pop();
        const err = new Error(`${basename(script)} ${args.join(' ')} exited with ${signal ?? code}: ${reason}`);
        reject(Object.assign(err, { stderr }));
        return;
      }
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
      }
    });
  });
}
