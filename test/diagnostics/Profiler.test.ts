import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { startDiagnostics } from '../../src/diagnostics/startDiagnostics.js';
import { silentLogger } from '../../src/logger.js';
import { diagnosticsServers } from '../support/diagnosticsServers.js';

const start = diagnosticsServers();

/** Checks the gzip magic, inflates and decodes the protobuf; returns the profile with its sample types by name. */
function decode(body: Buffer): { profile: Profile; sampleTypes: string[] } {
  assert.ok(body.length > 0);
  assert.deepEqual([body[0], body[1]], [0x1f, 0x8b], 'gzip magic');
  const profile = Profile.decode(gunzipSync(body));
  const str = (i: number | bigint) => profile.stringTable.strings[Number(i)];
  return { profile, sampleTypes: profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`) };
}

function burnCpu(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}

describe('/debug/pprof', () => {
  it('is 404 without debug', async () => {
    const d = await start({ debug: false });
    for (const path of ['/debug/pprof/', '/debug/pprof/profile?seconds=1', '/debug/pprof/heap']) {
      const res = await fetch(d.url + path);
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), '{"error":"not found"}');
    }
  });

  it('serves a CPU profile that decodes as pprof, with wall and CPU time', async () => {
    const d = await start({ debug: true });
    const pending = fetch(`${d.url}/debug/pprof/profile?seconds=1`);
    // Give the profiler something of ours to see while it samples.
    await new Promise((resolve) => setTimeout(resolve, 100));
    burnCpu(300);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="profile"');
    const { profile, sampleTypes } = decode(Buffer.from(await res.arrayBuffer()));
    assert.deepEqual(sampleTypes, ['sample/count', 'wall/nanoseconds', 'cpu/nanoseconds']);
    assert.ok(profile.sample.length > 0, 'has samples');
    assert.ok(profile.function.some((f) => profile.stringTable.strings[Number(f.name)] === 'burnCpu'), 'sees burnCpu');
    assert.ok(Number(profile.durationNanos) >= 900_000_000, `lasted about a second (${profile.durationNanos} ns)`);
  });

  it('serves a heap profile that decodes as pprof', async () => {
    const d = await start({ debug: true });
    const res = await fetch(`${d.url}/debug/pprof/heap`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="heap"');
    const { profile, sampleTypes } = decode(Buffer.from(await res.arrayBuffer()));
    assert.deepEqual(sampleTypes, ['inuse_objects/count', 'inuse_space/bytes']);
    assert.ok(profile.sample.length > 0, 'has samples');
  });

  it('rejects bad durations, a second concurrent CPU profile and HEAD', async () => {
    const d = await start({ debug: true });
    for (const seconds of ['0', '-1', '1.5', 'abc', '601', '']) {
      const res = await fetch(`${d.url}/debug/pprof/profile?seconds=${seconds}`);
      assert.equal(res.status, 400, seconds);
      assert.equal(await res.text(), '{"error":"seconds must be an integer from 1 to 600"}');
    }
    const first = fetch(`${d.url}/debug/pprof/profile?seconds=2`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await fetch(`${d.url}/debug/pprof/profile?seconds=1`);
    assert.equal(second.status, 409);
    assert.equal(await second.text(), '{"error":"a CPU profile is already being collected"}');
    assert.equal((await first).status, 200);

    const head = await fetch(`${d.url}/debug/pprof/profile`, { method: 'HEAD' });
    assert.equal(head.status, 405);
    assert.equal(head.headers.get('allow'), 'GET');
  });

  it('stops profiling when the client goes away, freeing the profiler for the next request', async () => {
    const d = await start({ debug: true });
    const client = new AbortController();
    const abandoned = fetch(`${d.url}/debug/pprof/profile?seconds=600`, { signal: client.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.abort();
    await assert.rejects(abandoned, { name: 'AbortError' });
    const deadline = Date.now() + 10_000;
    let res = await fetch(`${d.url}/debug/pprof/profile?seconds=1`);
    while (res.status === 409 && Date.now() < deadline) {
      await res.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 20));
      res = await fetch(`${d.url}/debug/pprof/profile?seconds=1`);
    }
    assert.equal(res.status, 200);
    decode(Buffer.from(await res.arrayBuffer()));
  });

  it('lists the profiles at /debug/pprof/', async () => {
    const d = await start({ debug: true });
    const res = await fetch(`${d.url}/debug/pprof/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^profile\?seconds=N .*\nheap /);
  });

  it('close() ends a running CPU profile early and still answers it', async () => {
    const d = await startDiagnostics({ addr: '127.0.0.1:0', debug: true, stats: new PipelineStats(), logger: silentLogger });
    const pending = fetch(`${d.url}/debug/pprof/profile?seconds=600`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const t0 = Date.now();
    await d.close();
    const res = await pending;
    assert.equal(res.status, 200);
    decode(Buffer.from(await res.arrayBuffer()));
    assert.ok(Date.now() - t0 < 60_000, 'did not wait for the 600 s profile');
  });
});
