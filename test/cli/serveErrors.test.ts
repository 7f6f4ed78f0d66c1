import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN } from '../support/spawnServe.js';

function runServe(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('tracepipe serve: start-up errors', () => {
  let dir: string;
  let occupied: Server;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracepipe-serve-errors-'));
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    port = (occupied.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => occupied.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('names the flag when --exporter-url is not usable', async () => {
    const r = await runServe(['--exporter-url', 'ftp://collector:21', '--listen-grpc', '127.0.0.1:0', '--listen-http', ''], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tracepipe: --exporter-url has unsupported scheme "ftp:\/\/"/m);
    assert.match(r.stderr, /\[TRACEPIPE_UNSUPPORTED_SCHEME\]$/m);
  });

  it('names the flag, the rule and the value when --sampling-rate-per-million is not a rate', async () => {
    for (const [rate, shown] of [['1.5', '"1.5"'], ['1000001', '1000001'], ['', '""']] as const) {
      const r = await runServe(['--sampling-rate-per-million', rate, '--listen-grpc', '127.0.0.1:0', '--listen-http', ''], dir);
      assert.equal(r.code, 2, rate);
      assert.equal(r.stderr.split('\n')[0], `tracepipe: --sampling-rate-per-million must be an integer from 0 to 1000000, got ${shown} [TRACEPIPE_CONFIG_INVALID]`);
    }
  });

  it('names the flag, the rule and the value when --queue-sync or --queue-commit-delay-ms is not usable', async () => {
    const cases = [
      [['--queue-sync', 'fsync'], '--queue-sync must be one of always, none, got "fsync"'],
      [['--queue-commit-delay-ms', '5000'], '--queue-commit-delay-ms must be an integer from 0 to 1000, got 5000'],
      [['--queue-commit-delay-ms', '2ms'], '--queue-commit-delay-ms must be an integer from 0 to 1000, got "2ms"'],
    ] as const;
    for (const [flags, message] of cases) {
      const r = await runServe([...flags, '--queue-dir', join(dir, 'queue'), '--listen-grpc', '127.0.0.1:0', '--listen-http', ''], dir);
      assert.equal(r.code, 2, flags.join(' '));
      assert.equal(r.stderr.split('\n')[0], `tracepipe: ${message} [TRACEPIPE_CONFIG_INVALID]`);
    }
  });

  it('names the flag when a listen address is malformed', async () => {
    const r = await runServe(['--listen-grpc', 'localhost', '--listen-http', ''], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tracepipe: --listen-grpc must be an address host:port with a port from 0 to 65535, got "localhost" \[TRACEPIPE_CONFIG_INVALID\]$/m);
  });

  it('refuses a queue smaller than the largest request, naming both flags and values, exit 2', async () => {
    const r = await runServe(['--queue-max-bytes', '1048576', '--max-request-bytes', '2097152', '--listen-grpc', '127.0.0.1:0', '--listen-http', ''], dir);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^tracepipe: --queue-max-bytes must be at least --max-request-bytes \(2097152\) so that the largest request accepted fits the queue, got 1048576 \[TRACEPIPE_CONFIG_INVALID\]$/m,
    );
  });

  it('reports a port already in use with the config key', async () => {
    const r = await runServe(['--listen-grpc', '', '--listen-http', `127.0.0.1:${port}`], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tracepipe: receiver.http_listen: cannot listen: .*EADDRINUSE.* \[TRACEPIPE_RECEIVER_LISTEN\]$/m);
  });

  it('names the file and key for a bad config file', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'receiver:\n  grpc_listn: 127.0.0.1:4317\n');
    const r = await runServe(['-c', config], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown key receiver\.grpc_listn \(did you mean grpc_listen\?\) \[TRACEPIPE_CONFIG_UNKNOWN_KEY\]$/m);
  });

  it('refuses to start with both listeners off', async () => {
    const r = await runServe(['--listen-grpc', '', '--listen-http', ''], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tracepipe: receiver.grpc_listen and receiver.http_listen are both off: nothing would be received \[TRACEPIPE_CONFIG_INVALID\]$/m);
  });
});
