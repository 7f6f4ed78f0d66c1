import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { extract } from 'tar-stream';
import { diagnosticsServers } from '../support/diagnosticsServers.js';

const CLI = fileURLToPath(new URL('../../../bin/tracepipe.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

async function untar(tgz: Buffer): Promise<Map<string, { data: Buffer; mode: number | undefined }>> {
  const files = new Map<string, { data: Buffer; mode: number | undefined }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        files.set(header.name, { data: Buffer.concat(chunks), mode: header.mode });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(tgz));
  await done;
  return files;
}

function sampleTypes(pprofGz: Buffer): string[] {
  const p = Profile.decode(gunzipSync(pprofGz));
  return p.sampleType.map((t) => p.stringTable.strings[Number(t.type)]!);
}

const start = diagnosticsServers();

describe('tracepipe debug profile', () => {
  it('writes a .tar.gz with cpu.pprof and heap.pprof from a running diagnostics service', async () => {
    const d = await start({ debug: true });
    const res = await run(['debug', 'profile', 'cpu,heap', '-s', '1', '--diag-addr', `127.0.0.1:${d.port}`]);
    assert.equal(res.stderr, '');
    assert.equal(res.code, 0);
    const files = await untar(res.stdout);
    assert.deepEqual([...files.keys()], ['cpu.pprof', 'heap.pprof']);
    assert.equal(files.get('cpu.pprof')!.mode, 0o644);
    assert.deepEqual(sampleTypes(files.get('cpu.pprof')!.data), ['sample', 'wall', 'cpu']);
    assert.deepEqual(sampleTypes(files.get('heap.pprof')!.data), ['inuse_objects', 'inuse_space']);
  });

  it('fetches only the profiles named, by default both', async () => {
    const d = await start({ debug: true });
    const heapOnly = await run(['debug', 'profile', 'heap', '--diag-addr', `127.0.0.1:${d.port}`]);
    assert.equal(heapOnly.code, 0, heapOnly.stderr);
    assert.deepEqual([...(await untar(heapOnly.stdout)).keys()], ['heap.pprof']);
    const both = await run(['debug', 'profile', '--seconds', '1', '--diag-addr', `:${d.port}`]);
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual([...(await untar(both.stdout)).keys()], ['cpu.pprof', 'heap.pprof']);
  });

  it('says profiling is disabled when the service runs without debug', async () => {
    const d = await start({ debug: false });
    const res = await run(['debug', 'profile', 'heap', '--diag-addr', `127.0.0.1:${d.port}`]);
    assert.equal(res.code, 2);
    assert.equal(res.stdout.length, 0);
    assert.equal(
      res.stderr,
      `tracepipe: profiling is disabled on 127.0.0.1:${d.port}: start tracepipe with --debug to serve /debug/pprof/heap [TRACEPIPE_DIAGNOSTICS_REQUEST]\n`,
    );
  });

  it('says when nothing listens at the address', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const res = await run(['debug', 'profile', 'heap', '--diag-addr', `127.0.0.1:${port}`]);
    assert.equal(res.code, 2);
    assert.equal(res.stdout.length, 0);
    assert.equal(
      res.stderr,
      `tracepipe: cannot reach the diagnostics service at 127.0.0.1:${port} (ECONNREFUSED): is tracepipe running with --diag-addr 127.0.0.1:${port}? [TRACEPIPE_DIAGNOSTICS_REQUEST]\n`,
    );
  });

  it('rejects unknown profiles and bad durations before connecting', async () => {
    const unknown = await run(['debug', 'profile', 'cpu,goroutine']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown profile "goroutine"; known: cpu, heap/);
    const typo = await run(['debug', 'profile', 'haep']);
    assert.match(typo.stderr, /unknown profile "haep" \(did you mean "heap"\?\)/);
    const seconds = await run(['debug', 'profile', '-s', '0']);
    assert.equal(seconds.code, 1);
    assert.match(seconds.stderr, /"0" must be an integer from 1 to 600/);
    const addr = await run(['debug', 'profile', '--diag-addr', 'nohost']);
    assert.equal(addr.code, 1);
    assert.match(addr.stderr, /invalid diagnostics address "nohost"/);
  });
});
