import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BurstLog } from '../../src/exporters/BurstLog.js';
import { createLogger } from '../../src/logger.js';

describe('BurstLog', () => {
  it('logs the first failure of a burst, then nothing until it recovers, then once more', () => {
    const lines: Array<{ level: string; msg: string; failuresInBurst: number }> = [];
    const log = new BurstLog(createLogger('debug', (l) => lines.push(JSON.parse(l))), 'warn');
    log.recovered('recovered', {});
    for (let i = 0; i < 100; i++) log.failure('rejected', { n: i });
    log.recovered('recovered', {});
    log.recovered('recovered', {});
    log.failure('rejected', {});
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.failuresInBurst]),
      [
        ['warn', 'rejected', 1],
        ['info', 'recovered', 100],
        ['warn', 'rejected', 1],
      ],
    );
  });

  it('reminds once per interval during a long burst, with the running count', async () => {
    const lines: Array<{ failuresInBurst: number }> = [];
    const log = new BurstLog(createLogger('debug', (l) => lines.push(JSON.parse(l))), 'error', 30);
    log.failure('down', {});
    log.failure('down', {});
    await new Promise((resolve) => setTimeout(resolve, 60));
    log.failure('down', {});
    log.failure('down', {});
    assert.deepEqual(lines.map((l) => l.failuresInBurst), [1, 3]);
  });
});
