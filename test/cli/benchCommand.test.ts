import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './runCli.js';

test('tracepipe bench prints the overhead table for each requested rate', async () => {
  const { code, stdout, stderr } = await runCli(['bench', '--rates', '0,1000000', '--duration', '0.01', '--repetitions', '1']);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const lines = stdout.split('\n');
  assert.equal(lines[0], 'root span: start + 5 attributes + end — ns per span, median (min–max) of 1');
  assert.match(lines[1]!, /^no-op API floor: [\d,.]+ \([\d,.]+–[\d,.]+\)$/);
  assert.match(lines[2]!, /^rate\/1e6 +tracepipe ns\/span +tracepipe ×no-op +tracepipe cpu ns$/);
  assert.match(lines[3]!, /^0 +[\d,.]+ \([\d,.]+–[\d,.]+\) +[\d.]+× +[\d,.]+$/);
  assert.match(lines[4]!, /^1000000 +[\d,.]+ \([\d,.]+–[\d,.]+\) +[\d.]+× +[\d,.]+$/);
  assert.equal(lines[6], 'active parent + nested active child — ns per span, median (min–max) of 1');
  assert.equal(lines.at(-2), '10 ms per measurement after 50 ms warm-up, each in a fresh process; spans discarded after the pipeline (no exporter).');
});

test('tracepipe bench rejects a bad rate list and a bad exporter URL before measuring', async () => {
  const rates = await runCli(['bench', '--rates', '0,abc']);
  assert.equal(rates.code, 1);
  assert.match(rates.stderr, /option '--rates <list>' argument '0,abc' is invalid\. "0,abc" must be a comma-separated list of integers from 0 to 1000000/);

  const exporter = await runCli(['bench', '--exporter', 'ftp://collector:21']);
  assert.equal(exporter.code, 2);
  assert.equal(
    exporter.stderr,
    'tracepipe: --exporter has unsupported scheme "ftp://" in "ftp://collector:21"; supported: grpc://, http://, https://, file://, host:port (gRPC) [TRACEPIPE_UNSUPPORTED_SCHEME]\n',
  );
});
