import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type CaptureBatch, type CaptureProblem, readCapture } from '../../src/capture/readCapture.js';
import { readLines } from '../../src/capture/readLines.js';
import { tempDirs } from '../support/tempDirs.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const tempDir = tempDirs('tracepipe-read-');

async function readAll(path: string) {
  const problems: CaptureProblem[] = [];
  const batches: CaptureBatch[] = [];
  for await (const b of readCapture(path, { onProblem: (p) => problems.push(p) })) batches.push(b);
  return { batches, problems };
}

const LINE = (spanId: string, name: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId, name, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
      },
    ],
  });

test('a Teleport-style line (bare ResourceSpans, base64 ids, enum names) is read correctly', async () => {
  const { batches, problems } = await readAll(join(FIXTURES, 'teleport'));
  assert.deepEqual(problems, []);
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.line, 1);
  const [server, client] = batches[0]!.spans;
  assert.ok(server && client);
  assert.equal(server.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(server.spanContext().spanId, 'b7ad6b7169203331');
  assert.equal(server.parentSpanContext, undefined);
  assert.equal(server.name, 'auth/GenerateUserCerts');
  assert.equal(server.kind, SpanKind.SERVER);
  assert.deepEqual(server.status, { code: SpanStatusCode.OK });
  assert.deepEqual(server.startTime, [1_700_000_000, 0]);
  assert.deepEqual(server.endTime, [1_700_000_000, 120_000_000]);
  assert.equal(server.attributes['rpc.system'], 'grpc');
  assert.equal(server.attributes['ok'], true);
  assert.equal(Number(server.attributes['ratio']), 0.25);
  assert.deepEqual(server.attributes['tags'], ['a', 'b']);
  assert.deepEqual([...(server.attributes['blob'] as unknown as Uint8Array)], [0, 1, 255]);
  assert.deepEqual(server.resource.attributes, { 'service.name': 'teleport', 'teleport.host_id': '7f3e', 'process.pid': 4242 });
  assert.equal(server.resource.schemaUrl, 'https://opentelemetry.io/schemas/1.12.0');
  assert.equal(server.instrumentationScope.name, 'teleport-auth');
  assert.equal(client.spanContext().spanId, 'c7ad6b7169203332');
  assert.equal(client.parentSpanContext?.spanId, 'b7ad6b7169203331');
  assert.equal(client.kind, SpanKind.CLIENT);
  assert.deepEqual(client.status, { code: SpanStatusCode.ERROR, message: 'not found' });
  assert.equal(client.resource, server.resource, 'spans of one ResourceSpans share the resource');
});

test('files are read in time order, line by line, with file, line number and byte size', async () => {
  const dir = await tempDir();
  const a = LINE('0000000000000001', 'a');
  const b = LINE('0000000000000002', 'b');
  const c = LINE('0000000000000003', 'c');
  // 9 digits sorts after 10 digits as text, but before them as time.
  await writeFile(join(dir, '1000000000-x.trace'), `${c}\n`);
  await writeFile(join(dir, '999999999-y.trace'), `${a}\n\n${b}\n`);
  await writeFile(join(dir, 'ignored.json'), `${a}\n`);
  const { batches, problems } = await readAll(dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    batches.map((x) => [x.file.slice(dir.length + 1), x.line, x.bytes, x.spans.map((s) => s.name)]),
    [
      ['999999999-y.trace', 1, a.length + 1, ['a']],
      ['999999999-y.trace', 3, b.length + 1, ['b']],
      ['1000000000-x.trace', 1, c.length + 1, ['c']],
    ],
  );
  const single = await readAll(join(dir, '1000000000-x.trace'));
  assert.deepEqual(single.batches.map((x) => x.spans[0]!.name), ['c']);
});

test('malformed lines are reported with file and line number, a truncated last line too, and reading goes on', async () => {
  const dir = await tempDir();
  const file = join(dir, '1-a.trace');
  const good = LINE('0000000000000001', 'good');
  const zeroId = LINE('0000000000000000', 'zero id');
  await writeFile(file, `${good}\nnot json at all\n[1,2]\n${zeroId}\n${good}\n${good.slice(0, 40)}`);
  await writeFile(join(dir, '2-b.trace'), `${LINE('0000000000000002', 'next file')}\n`);
  const { batches, problems } = await readAll(dir);
  assert.deepEqual(batches.map((b) => [b.line, b.spans[0]!.name]), [[1, 'good'], [5, 'good'], [1, 'next file']]);
  assert.deepEqual(problems.map((p) => [p.kind, p.file, p.line, p.rejectedSpans]), [
    ['malformed', file, 2, 0],
    ['malformed', file, 3, 0],
    ['rejected', file, 4, 1],
    ['truncated', file, 6, 0],
  ]);
  assert.match(problems[0]!.message, new RegExp(`^${file}:2 is not JSON`));
  assert.match(problems[1]!.message, new RegExp(`^${file}:3 is not OTLP JSON`));
  assert.match(problems[2]!.message, /span_id is all zeros/);
  assert.match(problems[3]!.message, new RegExp(`^${file}:6 is an incomplete last line`));
});

test('a complete last line without a newline is accepted', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, '1-a.trace'), LINE('0000000000000001', 'no newline'));
  const { batches, problems } = await readAll(dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(batches.map((b) => b.spans[0]!.name), ['no newline']);
});

test('a missing path throws TRACEPIPE_CAPTURE_READ', async () => {
  const missing = join(await tempDir(), 'nope');
  await assert.rejects(readAll(missing), { code: 'TRACEPIPE_CAPTURE_READ', message: `capture ${missing} does not exist` });
});

test('readLines splits lines across chunk boundaries, keeps UTF-8 intact and flags an unterminated end', async () => {
  const dir = await tempDir();
  const file = join(dir, 'lines');
  const text = 'héllo wörld 🚀\n\nsecond line, longer than a chunk\nend';
  await writeFile(file, text);
  const lines = [];
  for await (const l of readLines(file, 5)) lines.push(l);
  const first = Buffer.byteLength('héllo wörld 🚀') + 1;
  assert.deepEqual(lines, [
    { text: 'héllo wörld 🚀', line: 1, bytes: first, offset: 0, terminated: true },
    { text: '', line: 2, bytes: 1, offset: first, terminated: true },
    { text: 'second line, longer than a chunk', line: 3, bytes: 33, offset: first + 1, terminated: true },
    { text: 'end', line: 4, bytes: 3, offset: first + 34, terminated: false },
  ]);
  assert.equal(lines.reduce((n, l) => n + l.bytes, 0), (await readFile(file)).length);
});
