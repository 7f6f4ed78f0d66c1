import { spawn } from 'node:child_process';

export interface ServiceWorker<Ready, Final> {
  /** What the worker printed once it was ready (its first JSON line). */
  ready: Ready;
  /** Writes a line to the worker's stdin (a worker may take commands that way). */
  send(line: string): void;
  /** Closes the worker's stdin (its signal to finish) and resolves with its last JSON line. */
  finish(): Promise<Final>;
}

/**
 * Starts a long-running worker (a sink, a forwarder) in its own process. Protocol: the worker
 * prints a JSON line when ready, runs until its stdin closes, then prints a final JSON line
 * (or nothing) and exits.
 */
export async function spawnServiceWorker<Ready, Final = void>(
  script: string,
  args: string[],
  nodeArgs: string[] = [],
  /** A command that runs node, e.g. `['taskset', '-c', '0']`. */
  prefix: string[] = [],
): Promise<ServiceWorker<Ready, Final>> {
  const [command, ...commandArgs] = [...prefix, process.execPath, ...nodeArgs, script, ...args];
  const child = spawn(command!, commandArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const before = stdout.indexOf('\n');
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (before < 0 && nl >= 0) resolve(JSON.parse(stdout.slice(0, nl)) as Ready);
    });
    void exited.then((code) => reject(new Error(`${script} exited with ${code} before it was ready: ${stderr.slice(-2000)}`)));
  });
  return {
    ready,
    send: (line) => child.stdin.write(`${line}\n`),
    finish: async () => {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`${script} exited with ${code}: ${stderr.slice(-2000)}`);
      const lines = stdout.trim().split('\n');
      return (lines.length > 1 ? JSON.parse(lines[lines.length - 1]!) : undefined) as Final;
    },
  };
}
