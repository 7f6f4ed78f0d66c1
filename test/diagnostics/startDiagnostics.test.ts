import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { type DiagnosticsServer, startDiagnostics } from '../../src/diagnostics/startDiagnostics.js';
import { ExportError, TracepipeError } from '../../src/errors.js';
import { type Logger, silentLogger } from '../../src/logger.js';
import { parsePrometheusText } from '../support/parsePrometheusText.js';
import { diagnosticsServers } from '../support/diagnosticsServers.js';

/** A probe whose every call waits until the test settles it, so each state can be observed before the next heartbeat. */
class GatedProbe {
  calls = 0;
  private pending: { resolve: () => void; reject: (e: Error) => void } | undefined;
  readonly probe = (): Promise<void> => {
    this.calls++;
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  };

  /** Waits for call number `n`. */
  async waitForCall(n: number): Promise<void> {
    await until(() => this.calls >= n && this.pending !== undefined, `probe call ${n}`);
    assert.equal(this.calls, n, 'no extra probe ran');
  }

  succeed(): void {
    const p = this.take();
    p.resolve();
  }

  fail(message: string): void {
    this.take().reject(new Error(message));
  }

  private take() {
    const p = this.pending;
    assert.ok(p, 'a probe is pending');
    this.pending = undefined;
    return p;
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function get(server: DiagnosticsServer, path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(server.url + path, { method });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function processState(server: DiagnosticsServer): Promise<number> {
  const res = await get(server, '/metrics');
  assert.equal(res.status, 200);
  return parsePrometheusText(res.body).value('process_state');
}

const start = diagnosticsServers();

describe('startDiagnostics: readiness from heartbeats', () => {
  it('walks starting → degraded → recovering → ok with exact codes, bodies and process_state', async () => {
    const probe = new GatedProbe();
    const d = await start({ probe: probe.probe, heartbeatIntervalMs: 10, heartbeatRetryIntervalMs: 10 });
    const expect = async (code: number, body: string, gauge: number) => {
      const res = await get(d, '/readyz');
      assert.equal(res.status, code);
      assert.equal(res.body, body);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(await processState(d), gauge);
    };

    await probe.waitForCall(1);
    await expect(400, '{"status":"starting","services":{"exporter":{"status":"initializing"}}}', 3);
    assert.deepEqual(await get(d, '/readyz/exporter').then((r) => [r.status, r.body]), [503, '{"status":"initializing"}']);

    probe.fail('connect ECONNREFUSED 127.0.0.1:4317');
    await probe.waitForCall(2);
    await expect(503, '{"status":"degraded","services":{"exporter":{"status":"unhealthy","reason":"connect ECONNREFUSED 127.0.0.1:4317"}}}', 2);
    assert.deepEqual(await get(d, '/readyz/exporter').then((r) => [r.status, r.body]), [
      503,
      '{"status":"unhealthy","reason":"connect ECONNREFUSED 127.0.0.1:4317"}',
    ]);

    probe.succeed();
    await probe.waitForCall(3);
    await expect(400, '{"status":"recovering","services":{"exporter":{"status":"healthy"}}}', 1);
    assert.deepEqual(await get(d, '/readyz/exporter').then((r) => [r.status, r.body]), [200, '{"status":"healthy"}']);

    probe.succeed();
    await probe.waitForCall(4);
    await expect(200, '{"status":"ok","services":{"exporter":{"status":"healthy"}}}', 0);

    probe.fail('timeout');
    await probe.waitForCall(5);
    await expect(503, '{"status":"degraded","services":{"exporter":{"status":"unhealthy","reason":"timeout"}}}', 2);
    probe.succeed();
    await probe.waitForCall(6);
    await expect(400, '{"status":"recovering","services":{"exporter":{"status":"healthy"}}}', 1);
    probe.fail('flap');
    await probe.waitForCall(7);
    await expect(503, '{"status":"degraded","services":{"exporter":{"status":"unhealthy","reason":"flap"}}}', 2);
    probe.succeed();
    await probe.waitForCall(8);
    await expect(400, '{"status":"recovering","services":{"exporter":{"status":"healthy"}}}', 1);
    probe.succeed();
    await probe.waitForCall(9);
    await expect(200, '{"status":"ok","services":{"exporter":{"status":"healthy"}}}', 0);

    const metrics = parsePrometheusText((await get(d, '/metrics')).body);
    assert.equal(metrics.value('tracepipe_heartbeats_total', { source: 'probe', outcome: 'success' }), 5);
    assert.equal(metrics.value('tracepipe_heartbeats_total', { source: 'probe', outcome: 'failure' }), 3);
  });

  it('counts every export outcome as a heartbeat', async () => {
    const stats = new PipelineStats();
    const d = await start({ stats });
    assert.equal((await get(d, '/readyz')).status, 400);
    stats.recordExport({ ok: true, spans: 10, durationMs: 3 });
    assert.equal((await get(d, '/readyz')).body, '{"status":"ok","services":{"exporter":{"status":"healthy"}}}');
    stats.recordExport({ ok: false, spans: 4, durationMs: 9, error: new ExportError('collector answered 503') });
    const degraded = await get(d, '/readyz');
    assert.equal(degraded.status, 503);
    assert.equal(degraded.body, '{"status":"degraded","services":{"exporter":{"status":"unhealthy","reason":"collector answered 503"}}}');
    assert.equal(await processState(d), 2);
    stats.recordExport({ ok: true, spans: 1, durationMs: 1 });
    assert.equal((await get(d, '/readyz')).status, 400);
    assert.equal(await processState(d), 1);
    stats.recordExport({ ok: true, spans: 1, durationMs: 1 });
    assert.equal((await get(d, '/readyz')).status, 200);
    assert.equal(await processState(d), 0);
  });

  it('probes every heartbeatRetryIntervalMs after a failure and waits heartbeatIntervalMs when healthy', async () => {
    let failing = true;
    let calls = 0;
    const d = await start({
      probe: async () => {
        calls++;
        if (failing) throw new Error('unreachable');
      },
      heartbeatIntervalMs: 60_000,
      heartbeatRetryIntervalMs: 5,
    });
    await until(() => calls >= 4, 'four quick retries');
    failing = false;
    await until(() => d.readiness.state === 'recovering', 'a successful retry');
    const afterSuccess = calls;
    await sleep(300);
    assert.equal(calls, afterSuccess, 'no probe within the 60 s healthy interval');
    assert.equal(d.readiness.state, 'recovering');
  });

  it('probes every heartbeatIntervalMs while healthy and stops hammering after a failure when the retry interval is long', async () => {
    let calls = 0;
    let failing = false;
    const d = await start({
      probe: async () => {
        calls++;
        if (failing) throw new Error('disk full');
      },
      heartbeatIntervalMs: 5,
      heartbeatRetryIntervalMs: 60_000,
    });
    await until(() => calls >= 4, 'four healthy probes');
    assert.equal(d.readiness.state, 'ok');
    failing = true;
    await until(() => d.readiness.state === 'degraded', 'the failed probe');
    const afterFailure = calls;
    await sleep(300);
    assert.equal(calls, afterFailure);
  });

  it('probes a busy pipeline once no heartbeat came for heartbeatRetryIntervalMs: hanging exports do not hide an outage', async () => {
    const stats = new PipelineStats();
    let up = true;
    const d = await start({
      stats,
      probe: async () => {
        if (!up) throw new Error('connect ECONNREFUSED');
      },
      heartbeatIntervalMs: 60_000,
      heartbeatRetryIntervalMs: 50,
      busy: () => true,
    });
    stats.recordExport({ ok: true, spans: 1, durationMs: 1 });
    await until(() => d.readiness.state === 'ok', 'healthy');
    // The destination goes away while exports hang: no export outcome comes for a minute.
    up = false;
    await until(() => d.readiness.state === 'degraded', 'the outage seen by a probe', 2_000);
    assert.deepEqual(d.readiness.service('exporter'), { status: 'unhealthy', reason: 'connect ECONNREFUSED' });
  });

  it('counts a probe that never answers as failed after probeTimeoutMs', async () => {
    const d = await start({
      probe: () => new Promise<void>(() => undefined),
      heartbeatIntervalMs: 60_000,
      heartbeatRetryIntervalMs: 60_000,
      probeTimeoutMs: 50,
    });
    await until(() => d.readiness.state === 'degraded', 'the unanswered probe', 2_000);
    assert.deepEqual(d.readiness.service('exporter'), { status: 'unhealthy', reason: "the exporter's probe did not answer within 50 ms" });
  });

  it('an export postpones the idle probe', async () => {
    const stats = new PipelineStats();
    let calls = 0;
    await start({
      stats,
      probe: async () => void calls++,
      heartbeatIntervalMs: 1_000,
      heartbeatRetryIntervalMs: 1_000,
    });
    await until(() => calls === 1, 'the start-up probe');
    // Two and a half probe intervals with an export every ~20 ms.
    const busyUntil = Date.now() + 2_500;
    while (Date.now() < busyUntil) {
      stats.recordExport({ ok: true, spans: 1, durationMs: 1 });
      await sleep(20);
    }
    assert.equal(calls, 1, 'no probe while exports keep coming');
  });

  it('reports other services and holds degraded while one is unhealthy', async () => {
    const stats = new PipelineStats();
    const d = await start({ stats });
    stats.recordExport({ ok: true, spans: 1, durationMs: 1 });
    d.readiness.setService('receiver', { status: 'unhealthy', reason: 'listen EADDRINUSE 127.0.0.1:4317' });
    const res = await get(d, '/readyz');
    assert.equal(res.status, 503);
    assert.equal(
      res.body,
      '{"status":"degraded","services":{"exporter":{"status":"healthy"},"receiver":{"status":"unhealthy","reason":"listen EADDRINUSE 127.0.0.1:4317"}}}',
    );
    assert.deepEqual(await get(d, '/readyz/receiver').then((r) => [r.status, r.body]), [
      503,
      '{"status":"unhealthy","reason":"listen EADDRINUSE 127.0.0.1:4317"}',
    ]);
    assert.equal(await processState(d), 2);
    d.readiness.setService('receiver', { status: 'healthy' });
    assert.deepEqual(await get(d, '/readyz').then((r) => [r.status, r.body]), [
      200,
      '{"status":"ok","services":{"exporter":{"status":"healthy"},"receiver":{"status":"healthy"}}}',
    ]);
    assert.deepEqual(await get(d, '/readyz/receiver').then((r) => [r.status, r.body]), [200, '{"status":"healthy"}']);
  });
});

describe('startDiagnostics: endpoints', () => {
  it('answers /healthz and /livez with 200 whatever the readiness', async () => {
    const stats = new PipelineStats();
    const d = await start({ stats });
    stats.recordExport({ ok: false, spans: 1, durationMs: 1, error: new Error('down') });
    for (const path of ['/healthz', '/livez']) {
      const res = await get(d, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.body, '{"status":"ok"}', path);
    }
    const head = await get(d, '/healthz', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('answers unknown paths and services with 404 and wrong methods with 405', async () => {
    const d = await start();
    for (const path of ['/', '/nope', '/readyz/', '/readyz/nope', '/readyz/%E0%A4%A', '/healthz/x', '/metrics/', '/debug/pprof/heap', '/debug/pprof/profile']) {
      const res = await get(d, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, '{"error":"not found"}', path);
    }
    for (const [method, path] of [
      ['POST', '/healthz'],
      ['PUT', '/readyz'],
      ['DELETE', '/readyz/exporter'],
      ['POST', '/metrics'],
      ['PATCH', '/livez'],
    ] as const) {
      const res = await get(d, path, method);
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
    }
  });

  it('ignores the query string for routing', async () => {
    const d = await start();
    assert.equal((await get(d, '/healthz?verbose=1')).status, 200);
  });

  it('keeps a keep-alive connection usable after a request with a body', async () => {
    const d = await start();
    const res = await get(d, '/healthz', 'POST');
    assert.equal(res.status, 405);
    assert.equal((await get(d, '/healthz')).status, 200);
  });
});

describe('startDiagnostics: binding', () => {
  it('binds loopback when the address has no host, and port 0 picks a free port', async () => {
    for (const addr of [':0', '0']) {
      const d = await start({ addr });
      assert.equal(d.host, '127.0.0.1', addr);
      assert.ok(d.port > 0);
      assert.equal(d.url, `http://127.0.0.1:${d.port}`);
      assert.equal((await get(d, '/livez')).status, 200);
    }
  });

  it('serves IPv6 loopback with a bracketed URL', async (t) => {
    let d: DiagnosticsServer;
    try {
      d = await start({ addr: '[::1]:0' });
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${(err as Error).message}`);
      return;
    }
    assert.equal(d.url, `http://[::1]:${d.port}`);
    assert.equal((await get(d, '/healthz')).status, 200);
  });

  it('warns when bound to a non-loopback address, and not on loopback', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (first: Record<string, unknown> | string, msg?: string) => void warnings.push(typeof first === 'string' ? first : msg!) };
    await start({ addr: '127.0.0.1:0', logger });
    assert.deepEqual(warnings, []);
    const d = await start({ addr: '0.0.0.0:0', logger });
    assert.equal(d.host, '0.0.0.0');
    assert.deepEqual(warnings, ['diagnostics: listening on a non-loopback address; anyone who can reach it can read metrics']);
    // Reached through loopback only: no traffic leaves the machine.
    const res = await fetch(`http://127.0.0.1:${d.port}/healthz`);
    assert.equal(res.status, 200);
  });

  it('fails with TRACEPIPE_DIAGNOSTICS_LISTEN when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(start({ addr: `127.0.0.1:${port}` }), (err: unknown) => {
        assert.ok(err instanceof TracepipeError);
        assert.equal(err.code, 'TRACEPIPE_DIAGNOSTICS_LISTEN');
        assert.match(err.message, /EADDRINUSE/);
        return true;
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('rejects a malformed address', async () => {
    await assert.rejects(start({ addr: 'localhost' }), /invalid diagnostics address "localhost"/);
    await assert.rejects(start({ addr: '127.0.0.1:70000' }), /invalid diagnostics address/);
  });

  it('close() is idempotent and frees the port', async () => {
    const d = await startDiagnostics({ addr: '127.0.0.1:0', stats: new PipelineStats(), logger: silentLogger });
    await Promise.all([d.close(), d.close()]);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = request(`${d.url}/healthz`, resolve);
        req.on('error', reject);
        req.end();
      }),
      /ECONNREFUSED/,
    );
  });
});
