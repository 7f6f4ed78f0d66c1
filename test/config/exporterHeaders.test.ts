import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exporterHeaders } from '../../src/config/exporterHeaders.js';
import { ConfigError } from '../../src/errors.js';

test('header names are lowercased; values are kept as written', () => {
  assert.deepEqual(exporterHeaders({ 'X-Api-Key': 'abc=', Authorization: 'Bearer x.y' }, 'tracing_service.headers'), {
    'x-api-key': 'abc=',
    authorization: 'Bearer x.y',
  });
  assert.deepEqual(exporterHeaders(undefined, 'tracing_service.headers'), {});
});

const REJECTED: Array<[string, unknown, RegExp]> = [
  ['a list', ['x'], /tracing_service\.headers must be a mapping of header names to values, got a list/],
  ['a name with a space', { 'x key': 'v' }, /tracing_service\.headers\.x key: a header name must be letters, digits/],
  ['a name with a colon', { ':authority': 'v' }, /a header name must be/],
  ['binary metadata', { 'trace-bin': 'v' }, /"-bin" metadata is not supported/],
  ['a transport header', { 'Content-Type': 'text/plain' }, /content-type is set by the exporter itself/],
  ['a reserved gRPC name', { 'grpc-timeout': '1S' }, /grpc-timeout is set by the exporter itself/],
  ['a number value', { 'x-n': 5 }, /tracing_service\.headers\.x-n must be a string, got number \(value not shown\)/],
  ['CR LF in a value', { 'x-key': 'a\r\nInjected: 1' }, /x-key must be printable ASCII without CR or LF, got a value of 14 characters \(value not shown\)/],
  ['a non-ASCII value', { 'x-key': 'clé' }, /got a value of 3 characters/],
];

for (const [what, value, message] of REJECTED) {
  test(`rejects ${what}`, () => {
    assert.throws(() => exporterHeaders(value, 'tracing_service.headers'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('Injected'));
      return true;
    });
  });
}
