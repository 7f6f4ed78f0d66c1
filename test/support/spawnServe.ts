/**
 * Runs `node bin/tracepipe.js serve ...` as a real child process and reads where it listens
 * from what it prints on stdout. Ask for port 0 (`--listen-grpc 127.0.0.1:0`) so runs never clash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './waitFor.js';

/** The package root, from dist/test/support. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(PACKAGE_ROOT, 'bin', 'tracepipe.js');

export interface ServeChild {
  child: ChildProcess;
  grpcAddress: string | undefined;
  httpUrl: string | undefined;
  destination: string;
  diagnosticsUrl: string | undefined;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnServe(args: string[], options: { cwd: string; diagnostics?: boolean; nodeArgs?: string[] }): Promise<ServeChild> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, 'serve', ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  const banner = await waitFor(
    'serve to print where it listens',
    () => {
      if (done) throw new Error(`serve exited early; stderr: ${err}`);
      const forwarding = /^tracepipe serve: forwarding to (.+)$/m.exec(out);
      if (forwarding === null) return undefined;
      if (options.diagnostics === true && !/diagnostics on /.test(out)) return undefined;
      return forwarding[1]!;
    },
    30_000,
  ).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\nstdout: ${out}\nstderr: ${err}`);
  });
  return {
    child,
    grpcAddress: /OTLP\/gRPC on (\S+)/.exec(out)?.[1],
    httpUrl: /OTLP\/HTTP on (\S+)/.exec(out)?.[1],
    destination: banner,
    diagnosticsUrl: /diagnostics on (\S+)/.exec(out)?.[1],
    stdout: () => out,
    stderr: () => err,
    exited,
  };
}
