import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DIAG_ADDR, parseDiagAddr } from '../../src/diagnostics/parseDiagAddr.js';
import { ConfigError } from '../../src/errors.js';

describe('parseDiagAddr', () => {
  it('defaults to loopback: the default address, and any address without a host', () => {
    assert.equal(DEFAULT_DIAG_ADDR, '127.0.0.1:3000');
    assert.deepEqual(parseDiagAddr(DEFAULT_DIAG_ADDR), { host: '127.0.0.1', port: 3000, loopback: true });
    assert.deepEqual(parseDiagAddr(':3001'), { host: '127.0.0.1', port: 3001, loopback: true });
    assert.deepEqual(parseDiagAddr('0'), { host: '127.0.0.1', port: 0, loopback: true });
  });

  for (const [addr, host, port, loopback] of [
    ['localhost:3000', 'localhost', 3000, true],
    ['127.3.2.1:9', '127.3.2.1', 9, true],
    ['[::1]:3000', '::1', 3000, true],
    ['[::ffff:127.0.0.1]:3000', '::ffff:127.0.0.1', 3000, true],
    ['0.0.0.0:3000', '0.0.0.0', 3000, false],
    ['[::]:3000', '::', 3000, false],
    ['10.1.2.3:3000', '10.1.2.3', 3000, false],
    ['diag.example.com:65535', 'diag.example.com', 65535, false],
    ['128.0.0.1:1', '128.0.0.1', 1, false],
  ] as const) {
    it(`reads ${addr}`, () => {
      assert.deepEqual(parseDiagAddr(addr), { host, port, loopback });
    });
  }

  for (const addr of ['', 'localhost', '127.0.0.1:', '127.0.0.1:65536', 'http://127.0.0.1:3000', '::1:3000', '127.0.0.1:3000/x']) {
    it(`rejects "${addr}"`, () => {
      assert.throws(
        () => parseDiagAddr(addr),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.key === 'diag_addr' &&
          err.message === `invalid diagnostics address "${addr}": expected host:port with a port from 0 to 65535`,
      );
    });
  }
});
