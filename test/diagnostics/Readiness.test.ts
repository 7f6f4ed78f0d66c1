import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Logger, silentLogger } from '../../src/logger.js';
import { PROCESS_STATE_HTTP, PROCESS_STATE_VALUE, Readiness } from '../../src/diagnostics/Readiness.js';

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (first: Record<string, unknown> | string, msg?: string) => void lines.push(`${level} ${typeof first === 'string' ? first : msg}`);
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('Readiness', () => {
  it('uses the gauge values and HTTP codes of Teleport', () => {
    assert.deepEqual(PROCESS_STATE_VALUE, { ok: 0, recovering: 1, degraded: 2, starting: 3 });
    assert.deepEqual(PROCESS_STATE_HTTP, { ok: 200, recovering: 400, degraded: 503, starting: 400 });
  });

  it('goes starting → ok on the first success, and needs two successes to leave degraded', () => {
    const r = new Readiness(silentLogger);
    assert.equal(r.state, 'starting');
    assert.deepEqual(r.report(), { status: 'starting', services: { exporter: { status: 'initializing' } } });
    r.heartbeatSucceeded();
    assert.equal(r.state, 'ok');
    r.heartbeatFailed('connection refused');
    assert.equal(r.state, 'degraded');
    assert.deepEqual(r.service('exporter'), { status: 'unhealthy', reason: 'connection refused' });
    r.heartbeatFailed('still refused');
    assert.equal(r.state, 'degraded');
    r.heartbeatSucceeded();
    assert.equal(r.state, 'recovering');
    assert.deepEqual(r.service('exporter'), { status: 'healthy' });
    r.heartbeatFailed('flapping');
    assert.equal(r.state, 'degraded', 'a failure while recovering degrades again');
    r.heartbeatSucceeded();
    assert.equal(r.state, 'recovering');
    r.heartbeatSucceeded();
    assert.equal(r.state, 'ok');
    r.heartbeatSucceeded();
    assert.equal(r.state, 'ok');
  });

  it('goes starting → degraded when the first heartbeat fails', () => {
    const r = new Readiness(silentLogger);
    r.heartbeatFailed('no route to host');
    assert.equal(r.state, 'degraded');
    r.heartbeatSucceeded();
    assert.equal(r.state, 'recovering');
  });

  it('holds the state at degraded while another service is unhealthy', () => {
    const r = new Readiness(silentLogger);
    r.heartbeatSucceeded();
    r.setService('receiver', { status: 'unhealthy', reason: 'address in use' });
    assert.deepEqual(r.report(), {
      status: 'degraded',
      services: { exporter: { status: 'healthy' }, receiver: { status: 'unhealthy', reason: 'address in use' } },
    });
    r.setService('receiver', { status: 'healthy' });
    assert.equal(r.state, 'ok');
  });

  it('refuses to set the exporter service by hand', () => {
    const r = new Readiness(silentLogger);
    assert.throws(() => r.setService('exporter', { status: 'healthy' }), /driven by heartbeats/);
  });

  it('bounds long reasons', () => {
    const r = new Readiness(silentLogger);
    r.heartbeatFailed('x'.repeat(10_000));
    const s = r.service('exporter');
    assert.equal(s?.status, 'unhealthy');
    assert.equal(s.status === 'unhealthy' && s.reason.length, 513);
  });

  it('logs each state change once, not every failed heartbeat', () => {
    const { logger, lines } = recordingLogger();
    const r = new Readiness(logger);
    r.heartbeatSucceeded();
    for (let i = 0; i < 5; i++) r.heartbeatFailed('down');
    r.heartbeatSucceeded();
    r.heartbeatSucceeded();
    assert.deepEqual(lines, [
      'info diagnostics: process is ok',
      'warn diagnostics: process is degraded',
      'info diagnostics: process is recovering',
      'info diagnostics: process is ok',
    ]);
  });

  it('logs a planned change (a clean shutdown) as information, and still reports it', () => {
    const { logger, lines } = recordingLogger();
    const r = new Readiness(logger);
    r.heartbeatSucceeded();
    r.setService('receiver', { status: 'unhealthy', reason: 'shutting down' }, true);
    assert.equal(r.report().status, 'degraded');
    assert.deepEqual(lines, ['info diagnostics: process is ok', 'info diagnostics: process is degraded']);
  });
});
