import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import { runView } from '../../src/cli/viewCommand.js';
import { REPO_ROOT, runCli } from './runCli.js';

const FIXTURE = 'test/fixtures/view-capture';

test('view lists the traces of a capture directory sorted by start time', async () => {
  const { code, stdout, stderr } = await runCli(['view', FIXTURE]);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.equal(
    stdout,
    [
      'START (UTC)               TRACE ID                          ROOT SPAN    SERVICE         SPANS  DURATION  ERRORS',
      '2023-11-14T22:13:19.500Z  5bf92f3577b34da6a3ce929d0e0e4737  GET /health  health-checker      1     2.0ms       0',
      '2023-11-14T22:13:20.000Z  4bf92f3577b34da6a3ce929d0e0e4736  GET /cart    frontend            4   200.0ms       1',
      '2 traces, 5 spans',
      '',
    ].join('\n'),
  );
});

test('view --trace draws the tree with parents before children and a timing bar per span', async () => {
  const { code, stdout, stderr } = await runCli(['view', FIXTURE, '--trace', '4BF92F3577B34DA6A3CE929D0E0E4736']);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.equal(
    stdout,
    [
      'trace 4bf92f3577b34da6a3ce929d0e0e4736: 4 spans, 200.0ms, 1 error, services auth, frontend',
      '',
      'GET /cart (frontend)  200.0ms |████████████████████████████████████████|',
      '├─ auth (auth)         20.0ms | ████                                   |',
      '└─ load cart          150.0ms |      ██████████████████████████████    |  ERROR cart service timeout',
      '   └─ SELECT cart     130.0ms |        ██████████████████████████      |',
      '',
    ].join('\n'),
  );
});

test('view --trace with an unknown id fails with exit code 1', async () => {
  const { code, stdout, stderr } = await runCli(['view', FIXTURE, '--trace', 'ffffffffffffffffffffffffffffffff']);
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.equal(stderr, `tracepipe: no trace ffffffffffffffffffffffffffffffff in ${FIXTURE}\n`);
});

test('view filters: --errors, --service, --min-duration', async () => {
  const ids = async (...args: string[]) => {
    const { code, stdout } = await runCli(['view', FIXTURE, ...args]);
    assert.equal(code, 0);
    return stdout.split('\n').slice(1, -2).map((l) => l.split(/\s+/)[1]);
  };
  const cart = '4bf92f3577b34da6a3ce929d0e0e4736';
  const health = '5bf92f3577b34da6a3ce929d0e0e4737';
  assert.deepEqual(await ids('--errors'), [cart]);
  assert.deepEqual(await ids('--service', 'auth'), [cart]);
  assert.deepEqual(await ids('--service', 'health-checker'), [health]);
  assert.deepEqual(await ids('--min-duration', '2ms'), [health, cart]);
  assert.deepEqual(await ids('--min-duration', '2.1ms'), [cart]);
  assert.deepEqual(await ids('--min-duration', '0.2s'), [cart]);
  assert.deepEqual(await ids('--min-duration', '201ms'), []);
  const bad = await runCli(['view', FIXTURE, '--min-duration', 'soon']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /expected a duration such as 250ms/);
});

test('view --json prints one span per line; with --trace only that trace', async () => {
  const all = await runCli(['view', FIXTURE, '--json']);
  assert.equal(all.code, 0);
  const spans = all.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(spans.map((s) => s.name), ['SELECT cart', 'load cart', 'GET /cart', 'GET /health', 'auth']);
  assert.deepEqual(spans[0], {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '3333333333333333',
    parentSpanId: '2222222222222222',
    name: 'SELECT cart',
    kind: 'CLIENT',
    service: 'frontend',
    startTimeUnixNano: '1700000000040000000',
    endTimeUnixNano: '1700000000170000000',
    durationNano: '130000000',
    status: { code: 'UNSET' },
    attributes: { 'db.system': 'postgresql', 'db.rows': 3 },
    events: [],
    links: [],
    resource: { 'service.name': 'frontend' },
    scope: { name: 'http', version: '1.0.0' },
  });
  const one = await runCli(['view', FIXTURE, '--json', '--trace', '5bf92f3577b34da6a3ce929d0e0e4737']);
  assert.deepEqual(one.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { name: string }).name), ['GET /health']);
  const errors = await runCli(['view', FIXTURE, '--json', '--errors']);
  assert.deepEqual(errors.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { name: string }).name), ['SELECT cart', 'load cart', 'GET /cart', 'auth']);
});

test('view reports a malformed line with file and line number and goes on; a missing path is an error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-view-'));
  try {
    const good = await readFile(join(REPO_ROOT, FIXTURE, '1700000000400000000-4e5f6a7b.trace'), 'utf8');
    const file = join(dir, '1-a.trace');
    await writeFile(file, `not json\n${good}{"resourceSpans":[{"reso`);
    const { code, stdout, stderr } = await runCli(['view', dir]);
    assert.equal(code, 0);
    assert.match(stdout, /1 trace, 1 span\n$/);
    const warnings = stderr.trimEnd().split('\n');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, new RegExp(`^tracepipe: warning: ${file}:1 is not JSON`));
    assert.match(warnings[1]!, new RegExp(`^tracepipe: warning: ${file}:3 is an incomplete last line`));
    const missing = await runCli(['view', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `tracepipe: capture ${join(dir, 'nope')} does not exist [TRACEPIPE_CAPTURE_READ]\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the waterfall is coloured on a TTY unless NO_COLOR is set', async () => {
  const render = async (env: string | undefined) => {
    const out = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    out.setEncoding('utf8').on('data', (d: string) => (text += d));
    const saved = process.env.NO_COLOR;
    if (env === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = env;
    try {
      await runView(join(REPO_ROOT, FIXTURE), { trace: '4bf92f3577b34da6a3ce929d0e0e4736' }, { out, err: new PassThrough() });
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
    return text;
  };
  const colored = await render(undefined);
  assert.match(colored, /\u001b\[31mERROR cart service timeout\u001b\[39m/);
  assert.match(colored, /\u001b\[36m█+\u001b\[39m/);
  assert.doesNotMatch(await render('1'), /\u001b\[/);
});

test('view reads Teleport captures; --json gives plain attribute values (bytes as base64, maps as objects)', async () => {
  const { code, stdout } = await runCli(['view', 'test/fixtures/teleport', '--json']);
  assert.equal(code, 0);
  const [server] = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { attributes: Record<string, unknown>; kind: string; status: unknown });
  assert.deepEqual(server!.attributes, { 'rpc.system': 'grpc', ok: true, ratio: 0.25, weight: 2, tags: ['a', 'b'], blob: 'AAH/', meta: { k: 'v' } });
  assert.equal(server!.kind, 'SERVER');
  assert.deepEqual(server!.status, { code: 'OK' });
});

test('view --json prints int64 values beyond 2^53 as exact decimal strings, from string and number forms alike', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-view-int64-'));
  try {
    const attribute = (key: string, intValue: string) => `{"key":"${key}","value":{"intValue":${intValue}}}`;
    const line =
      '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ints"}}]},"scopeSpans":[{"spans":[{' +
      '"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"ints","kind":1,' +
      '"startTimeUnixNano":1544712660123456789,"endTimeUnixNano":"1544712660123456790","attributes":[' +
      [
        attribute('as_string', '"9007199254740993"'),
        attribute('as_number', '9007199254740993'),
        attribute('min', '"-9223372036854775808"'),
        attribute('max', '9223372036854775807'),
        attribute('small', '42'),
      ].join(',') +
      ']}]}]}]}\n';
    await writeFile(join(dir, 'a.trace'), line);
    const { code, stdout, stderr } = await runCli(['view', dir, '--json']);
    assert.equal(stderr, '');
    assert.equal(code, 0);
    const span = JSON.parse(stdout) as { attributes: Record<string, unknown>; startTimeUnixNano: string; endTimeUnixNano: string };
    assert.deepEqual(span.attributes, {
      as_string: '9007199254740993',
      as_number: '9007199254740993',
      min: '-9223372036854775808',
      max: '9223372036854775807',
      small: 42,
    });
    assert.equal(span.startTimeUnixNano, '1544712660123456789');
    assert.equal(span.endTimeUnixNano, '1544712660123456790');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
