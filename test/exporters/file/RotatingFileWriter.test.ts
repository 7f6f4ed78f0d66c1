import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PipelineStats } from '../../../src/stats/PipelineStats.js';
import type { ExportError } from '../../../src/errors.js';
import { RotatingFileWriter } from '../../../src/exporters/file/RotatingFileWriter.js';
import { CAPTURE_FILE_PATTERN, compareCaptureFileNames } from '../../../src/exporters/file/captureFileName.js';
import { silentLogger } from '../../../src/logger.js';
import type { WriterChildReport } from './fileWriterChild.js';
import { lineOfSize } from './lineOfSize.js';
import { tempDirs } from '../../support/tempDirs.js';

const tempDir = tempDirs('tracepipe-writer-');

function newWriter(dir: string, limitBytes: number, maxFiles?: number) {
  const stats = new PipelineStats();
  const writer = new RotatingFileWriter({ dir, limitBytes, maxFiles, stats, logger: silentLogger });
  return { writer, stats };
}

/** The capture files in time order, with their contents. */
async function files(dir: string): Promise<Array<{ name: string; text: string }>> {
  const names = (await readdir(dir)).sort(compareCaptureFileNames);
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

/** The numbered lines of each file (lineOfSize's `n`). */
function numbersOf(out: Array<{ text: string }>): number[][] {
  return out.map((f) => f.text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { n: number }).n));
}

const L = 100;

async function writeLines(limitBytes: number, count: number) {
  const dir = await tempDir();
  const { writer, stats } = newWriter(dir, limitBytes);
  for (let i = 0; i < count; i++) await writer.write(lineOfSize(i, L));
  await writer.close();
  const out = await files(dir);
  return { stats, perFile: numbersOf(out), sizes: out.map((f) => f.text.length) };
}

test('rotation: limit equal to a line size puts each line in its own file', async () => {
  const { perFile, sizes, stats } = await writeLines(L, 3);
  assert.deepEqual(perFile, [[0], [1], [2]]);
  assert.deepEqual(sizes, [L, L, L]);
  assert.equal(stats.fileRotations, 2);
});

test('rotation: a line larger than the limit goes alone into a fresh file, never an empty one', async () => {
  const { perFile, sizes, stats } = await writeLines(L - 1, 3);
  assert.deepEqual(perFile, [[0], [1], [2]]);
  assert.deepEqual(sizes, [L, L, L]);
  assert.equal(stats.fileRotations, 2);
});

test('rotation: limit one above a line size still holds one line per file', async () => {
  const { perFile, stats } = await writeLines(L + 1, 3);
  assert.deepEqual(perFile, [[0], [1], [2]]);
  assert.equal(stats.fileRotations, 2);
});

test('rotation: two lines fit exactly at limit 2L, not at 2L-1, and do at 2L+1', async () => {
  assert.deepEqual((await writeLines(2 * L, 5)).perFile, [[0, 1], [2, 3], [4]]);
  assert.deepEqual((await writeLines(2 * L - 1, 3)).perFile, [[0], [1], [2]]);
  const above = await writeLines(2 * L + 1, 5);
  assert.deepEqual(above.perFile, [[0, 1], [2, 3], [4]]);
  assert.deepEqual(above.sizes, [2 * L, 2 * L, L]);
  assert.equal(above.stats.fileRotations, 2);
  assert.equal(above.stats.fileLinesWritten, 5);
  assert.equal(above.stats.fileBytesWritten, 5 * L);
});

test('rotation: a large line after small ones starts a new file, and the next line another', async () => {
  const dir = await tempDir();
  const { writer } = newWriter(dir, 250);
  await writer.write(lineOfSize(0, 100));
  await writer.write(lineOfSize(1, 1000));
  await writer.write(lineOfSize(2, 100));
  await writer.write(lineOfSize(3, 100));
  await writer.close();
  assert.deepEqual((await files(dir)).map((f) => f.text.length), [100, 1000, 200]);
});

test('names are <unix ns>-<random>.trace in increasing order; files are 0600', async () => {
  const dir = await tempDir();
  const before = BigInt(Date.now() - 1000) * 1_000_000n;
  const { writer } = newWriter(dir, 1);
  for (let i = 0; i < 20; i++) await writer.write(lineOfSize(i, 30));
  await writer.close();
  const afterNs = BigInt(Date.now() + 1000) * 1_000_000n;
  const names = await readdir(dir);
  assert.equal(names.length, 20);
  const byName = [...names].sort();
  const contents = await Promise.all(byName.map((n) => readFile(join(dir, n), 'utf8')));
  assert.deepEqual(contents.map((t) => (JSON.parse(t) as { n: number }).n), [...Array(20).keys()], 'plain name order is write order');
  for (const name of names) {
    const m = CAPTURE_FILE_PATTERN.exec(name);
    assert.ok(m, name);
    assert.match(name, /^\d{19}-[0-9a-f]{8}\.trace$/);
    const ns = BigInt(m[1]!);
    assert.ok(ns > before && ns < afterNs, `${name} is a current UTC timestamp in ns`);
    assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600);
  }
});

test('max_files keeps the newest N files, counting files already in the directory', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, '1000-aaaa.trace'), '{}\n');
  await writeFile(join(dir, 'notes.txt'), 'not a capture file');
  const { writer, stats } = newWriter(dir, L, 2);
  for (let i = 0; i < 5; i++) await writer.write(lineOfSize(i, L));
  await writer.close();
  const out = await files(dir);
  assert.deepEqual(out.map((f) => f.name.endsWith('.trace') ? (JSON.parse(f.text) as { n: number }).n : f.name), [3, 4, 'notes.txt']);
  assert.equal(stats.fileDeletedByRetention, 4);
});

test('concurrent writes never interleave and keep their order', async () => {
  const dir = await tempDir();
  const { writer, stats } = newWriter(dir, 50_000);
  const sizes = Array.from({ length: 300 }, (_, i) => 40 + ((i * 7919) % 3000));
  await Promise.all(sizes.map((s, i) => writer.write(lineOfSize(i, s))));
  await writer.close();
  const lines = (await files(dir)).flatMap((f) => f.text.split('\n').filter((l) => l !== ''));
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { n: number }).n), [...sizes.keys()]);
  assert.deepEqual(lines.map((l) => l.length + 1), sizes);
  assert.equal(stats.fileLinesWritten, 300);
  assert.equal(stats.fileBytesWritten, sizes.reduce((a, b) => a + b, 0));
});

test('a deleted directory fails that write, is counted, and the next write recreates it', async () => {
  const dir = join(await tempDir(), 'captures');
  const { writer, stats } = newWriter(dir, 1 << 20);
  await writer.write(lineOfSize(0, L));
  const first = writer.currentFile;
  await rm(dir, { recursive: true });
  await assert.rejects(writer.write(lineOfSize(1, L)), (err: ExportError) => {
    assert.equal(err.code, 'TRACEPIPE_FILE_WRITE');
    assert.equal(err.retryable, false);
    assert.match(err.message, /deleted/);
    return true;
  });
  assert.equal(stats.fileWriteErrors, 1);
  await writer.write(lineOfSize(2, L));
  assert.notEqual(writer.currentFile, first);
  await writer.close();
  const out = await files(dir);
  assert.deepEqual(out.map((f) => f.text), [lineOfSize(2, L).toString()]);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal(stats.fileLinesWritten, 2);
});

const WRITER_CHILD = fileURLToPath(new URL('./fileWriterChild.js', import.meta.url));

/** Runs fileWriterChild through `command` (a wrapper that sets up the disk error, then runs the rest). */
async function runWriterChild(command: string, args: string[]): Promise<WriterChildReport> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  // A wrapper that is not installed (setpriv, bash) fails the test with spawn's ENOENT, not a crash.
  const code = await new Promise<number | null>((resolve, reject) => proc.on('error', reject).on('close', resolve));
  assert.equal(code, 0);
  return JSON.parse(out) as WriterChildReport;
}

test('a full disk (file size limit) fails that write without leaving a partial line; the next write uses a new file', async () => {
  const dir = await tempDir();
  // ulimit -f counts 1024-byte blocks: 8 blocks hold 8 lines of 1000 bytes and part of a ninth.
  const { results, stats } = await runWriterChild('bash', ['-c', 'ulimit -f 8 && exec "$0" "$@"', process.execPath, WRITER_CHILD, dir, '11', '1000']);
  assert.deepEqual(results.slice(0, 8), Array(8).fill({ ok: true }));
  assert.deepEqual(results[8], { ok: false, code: 'TRACEPIPE_FILE_WRITE', retryable: false, cause: 'ENOSPC' });
  assert.deepEqual(results.slice(9), [{ ok: true }, { ok: true }]);
  assert.equal(stats.fileWriteErrors, 1);
  assert.equal(stats.fileLinesWritten, 10);
  const written = await files(dir);
  assert.deepEqual(written.map((f) => f.text.length), [8000, 2000]);
  assert.deepEqual(numbersOf(written).flat(), [0, 1, 2, 3, 4, 5, 6, 7, 9, 10]);
});

test('a directory that refuses new files (EACCES) fails that write, is counted, and the next write succeeds once it is writable', async () => {
  const dir = await tempDir();
  // Root passes permission checks through CAP_DAC_OVERRIDE: the child runs without it (util-linux setpriv).
  const caps = '-dac_override,-dac_read_search';
  const [command, ...prefix] = process.getuid?.() === 0 ? ['setpriv', '--bounding-set', caps, '--inh-caps', caps, '--', process.execPath] : [process.execPath];
  // Every line rotates (limit = line size), so each write opens a new file: the second, in a 0500 directory.
  const { results, stats } = await runWriterChild(command!, [...prefix, WRITER_CHILD, dir, '3', String(L), String(L), '1:500,2:700']);
  assert.deepEqual(results, [{ ok: true }, { ok: false, code: 'TRACEPIPE_FILE_WRITE', retryable: false, cause: 'EACCES' }, { ok: true }]);
  assert.equal(stats.fileWriteErrors, 1);
  assert.equal(stats.fileLinesWritten, 2);
  assert.deepEqual(numbersOf(await files(dir)), [[0], [2]]);
});

test('after close, writes reject with TRACEPIPE_EXPORTER_SHUTDOWN; close is idempotent', async () => {
  const dir = await tempDir();
  const { writer } = newWriter(dir, 1000);
  const pending = writer.write(lineOfSize(0, L));
  await writer.close();
  await pending;
  await writer.close();
  await assert.rejects(writer.write(lineOfSize(1, L)), { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
  assert.equal(writer.currentFile, undefined);
  assert.deepEqual((await files(dir)).map((f) => f.text.length), [L]);
});

test('a line given as pieces is written whole, and counts as its total size for rotation', async () => {
  const dir = await tempDir();
  const { writer, stats } = newWriter(dir, 2 * L);
  const pieces = (n: number) => {
    const line = lineOfSize(n, L);
    return [line.subarray(0, 7), line.subarray(7, 60), line.subarray(60)];
  };
  await writer.write(pieces(0));
  await writer.write(pieces(1));
  await writer.write(pieces(2));
  await writer.close();
  const out = await files(dir);
  assert.deepEqual(
    out.map((f) => f.text),
    [lineOfSize(0, L).toString() + lineOfSize(1, L).toString(), lineOfSize(2, L).toString()],
  );
  assert.equal(stats.fileLinesWritten, 3);
  assert.equal(stats.fileRotations, 1);
});
