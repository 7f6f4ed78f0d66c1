import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FileTarget } from '../../../src/config/ExporterTarget.js';
import { parseExporterUrl } from '../../../src/config/parseExporterUrl.js';
import { PipelineStats } from '../../../src/stats/PipelineStats.js';
import { EncodedSpans, type EncodedRequest } from '../../../src/pipeline/EncodedSpans.js';
import { ProtoTraceEncoder } from '../../../src/otlp/proto/ProtoTraceEncoder.js';
import { JsonTranscoder } from '../../../src/otlp/json/JsonTranscoder.js';
import { ConfigError, type ExportError } from '../../../src/errors.js';
import { FileTraceExporter } from '../../../src/exporters/file/FileTraceExporter.js';
import { LineBufferPool } from '../../../src/exporters/file/LineBufferPool.js';
import { type CaptureProblem, readCapture } from '../../../src/capture/readCapture.js';
import { silentLogger } from '../../../src/logger.js';
import { sampleSpans, spanSnapshot } from './sampleSpans.js';
import { makeTestSpans } from '../../support/makeTestSpans.js';
import { readCapturedSpans } from '../../support/readCapturedSpans.js';
import { assertArrivedExactly, makeRichSpans } from '../../support/richSpans.js';
import { tempDirs } from '../../support/tempDirs.js';

const protoEncoder = new ProtoTraceEncoder();
const transcoder = new JsonTranscoder();

const tempDir = tempDirs('tracepipe-file-');

function exporterFor(url: string) {
  const stats = new PipelineStats();
  const exporter = new FileTraceExporter(parseExporterUrl(url) as FileTarget, { stats, logger: silentLogger });
  return { exporter, stats };
}

async function readAll(path: string) {
  const problems: CaptureProblem[] = [];
  const batches = [];
  for await (const b of readCapture(path, { onProblem: (p) => problems.push(p) })) batches.push(b);
  return { batches, problems, spans: batches.flatMap((b) => b.spans) };
}

test('the directory is created with mode 0700; files are 0600 and hold one TracesData line per export', async () => {
  const dir = join(await tempDir(), 'a', 'captures');
  const { exporter, stats } = exporterFor(`file://${dir}`);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal(String(exporter), `file ${dir}`);
  const spans = await sampleSpans();
  await exporter.export(spans.slice(0, 4));
  await exporter.export(spans.slice(4));
  await exporter.export([]);
  await exporter.probe();
  await exporter.shutdown();
  const names = await readdir(dir);
  assert.equal(names.length, 1);
  assert.match(names[0]!, /^\d{19}-[0-9a-f]{8}\.trace$/);
  assert.equal((await stat(join(dir, names[0]!))).mode & 0o777, 0o600);
  const text = await readFile(join(dir, names[0]!), 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  for (const line of lines.slice(0, 2)) {
    assert.ok(line.startsWith('{"resourceSpans":['), line.slice(0, 40));
    JSON.parse(line);
  }
  assert.equal(stats.fileLinesWritten, 2);
  assert.equal(stats.fileBytesWritten, Buffer.byteLength(text));
});

test('a path that is not a writable directory is a ConfigError at construction', async () => {
  const base = await tempDir();
  const file = join(base, 'plain-file');
  await writeFile(file, 'x');
  for (const dir of [file, join(file, 'below')]) {
    assert.throws(
      () => exporterFor(`file://${dir}`),
      (err: unknown) => err instanceof ConfigError && err.key === 'tracing_service.exporter_url' && err.message.includes(dir),
    );
  }
});

test('round trip: spans -> file -> readCapture gives identical spans', async () => {
  const dir = await tempDir();
  const { exporter } = exporterFor(`file://${dir}?limit=3000`);
  const spans = await sampleSpans();
  for (const s of spans) await exporter.export([s]);
  await exporter.export(spans);
  await exporter.shutdown();
  assert.ok((await readdir(dir)).length > 1, 'the small limit rotated files');
  const { spans: read, problems, batches } = await readAll(dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(batches.map((b) => b.spans.length), [...spans.map(() => 1), spans.length]);
  assert.deepEqual(read.map(spanSnapshot), [...spans, ...spans].map(spanSnapshot));
});

test('concurrent exports never interleave: every line parses and the span count is exact', async () => {
  const dir = await tempDir();
  const { exporter, stats } = exporterFor(`file://${dir}?limit=20000`);
  const spans = await sampleSpans();
  const batches = Array.from({ length: 200 }, (_, i) => spans.slice(i % spans.length).concat(spans.slice(0, i % 3)));
  await Promise.all(batches.map((b) => exporter.export(b)));
  await exporter.shutdown();
  let lines = 0;
  for (const name of await readdir(dir)) {
    const text = await readFile(join(dir, name), 'utf8');
    assert.ok(text.endsWith('\n'));
    for (const line of text.slice(0, -1).split('\n')) {
      JSON.parse(line);
      lines++;
    }
  }
  assert.equal(lines, 200);
  assert.equal(stats.fileLinesWritten, 200);
  const { spans: read, problems } = await readAll(dir);
  assert.deepEqual(problems, []);
  assert.equal(read.length, batches.reduce((n, b) => n + b.length, 0));
});

test('after shutdown exports and probes reject with TRACEPIPE_EXPORTER_SHUTDOWN', async () => {
  const dir = await tempDir();
  const { exporter } = exporterFor(`file://${dir}`);
  const spans = await sampleSpans();
  const inFlight = exporter.export(spans);
  await Promise.all([exporter.shutdown(), exporter.shutdown()]);
  await inFlight;
  await assert.rejects(exporter.export(spans), (err: ExportError) => err.code === 'TRACEPIPE_EXPORTER_SHUTDOWN' && !err.retryable);
  await assert.rejects(exporter.probe(), { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
  assert.equal(exporter.currentFile, undefined);
  assert.equal((await readAll(dir)).spans.length, spans.length);
});

test('probe fails when the directory is gone', async () => {
  const dir = join(await tempDir(), 'gone');
  const { exporter } = exporterFor(`file://${dir}`);
  await exporter.probe();
  await rm(dir, { recursive: true });
  await assert.rejects(exporter.probe(), { code: 'TRACEPIPE_FILE_WRITE' });
  await exporter.shutdown();
});

test('a writer killed with SIGKILL leaves complete lines plus at most one truncated last line, which the reader skips', async () => {
  const dir = await tempDir();
  const child = fileURLToPath(new URL('./fileExporterChild.js', import.meta.url));
  const proc = spawn(process.execPath, [child, dir, '200000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.once('data', () => resolve());
    proc.once('exit', () => reject(new Error('child exited before writing')));
  });
  // Let it write across a few rotations, then kill it mid-stream.
  const deadline = Date.now() + 60_000;
  while ((await readdir(dir)).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  proc.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  const perLine = (await sampleSpans()).length;
  const { batches, problems } = await readAll(dir);
  assert.ok(batches.length > 0);
  for (const b of batches) assert.equal(b.spans.length, perLine, `${b.file}:${b.line}`);
  assert.ok(problems.length <= 1, JSON.stringify(problems));
  const names = (await readdir(dir)).sort();
  const last = join(dir, names.at(-1)!);
  for (const p of problems) {
    assert.equal(p.kind, 'truncated');
    assert.equal(p.file, last);
  }
  // Every file but the last ends with a complete line.
  for (const name of names.slice(0, -1)) assert.ok((await readFile(join(dir, name), 'utf8')).endsWith('\n'), name);
});

test('EncodedSpans already in OTLP/JSON are joined into one line, and their pool Buffers are given back once written', async () => {
  const dir = await tempDir();
  const lines = new LineBufferPool(4, 1 << 20);
  const stats = new PipelineStats();
  const exporter = new FileTraceExporter(parseExporterUrl(`file://${dir}`) as FileTarget, { stats, logger: silentLogger, lines });
  const rich = await makeRichSpans();
  const plain = await makeTestSpans(3);
  const requests = [protoEncoder.encode(rich), protoEncoder.encode(plain)].map((body) => transcoder.transcodeResourceSpans(body, lines.allocate)!.json as Uint8Array as EncodedRequest<'json'>);
  const slabs = new Set(requests.map((r) => r.buffer));
  assert.equal(slabs.size, 2);
  await exporter.export(new EncodedSpans('json', requests, [rich.length, 3]));
  await exporter.export(new EncodedSpans('json', [], []));
  await exporter.shutdown();
  const names = await readdir(dir);
  assert.equal(names.length, 1);
  const text = await readFile(join(dir, names[0]!), 'utf8');
  assert.equal(text, `{"resourceSpans":[${requests.map((r) => Buffer.from(r).toString('utf8')).join(',')}]}\n`);
  assertArrivedExactly(await readCapturedSpans(dir), [...rich, ...plain]);
  assert.equal(stats.fileLinesWritten, 1);
  assert.equal(stats.fileBytesWritten, Buffer.byteLength(text));
  const reused = [lines.allocate(10).buffer, lines.allocate(10).buffer];
  assert.deepEqual(new Set(reused), slabs, 'both slabs came back to the pool');
});
