import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatSamplingTable } from '../../src/bench/formatSamplingTable.js';
import { runSamplingBenchmark } from '../../src/bench/runSamplingBenchmark.js';
import type { Summary } from '../../src/bench/summarize.js';

function assertOneSample(s: Summary): void {
  assert.equal(s.samples.length, 1);
  const [only] = s.samples;
  assert.ok(Number.isFinite(only) && only! > 0, `sample ${only} is a positive number`);
  assert.deepEqual([s.median, s.min, s.max], [only, only, only]);
}

test('runSamplingBenchmark measures every scenario × rate × contender in fresh processes, with the no-op floor', async () => {
  const result = await runSamplingBenchmark({
    rates: [0, 1_000_000],
    contenders: ['stock', 'tracepipe'],
    repetitions: 1,
    warmupMs: 5,
    durationMs: 10,
  });
  assert.deepEqual(
    { ...result, floor: undefined, rows: undefined },
    {
      rates: [0, 1_000_000],
      scenarios: ['span', 'nested'],
      contenders: ['stock', 'tracepipe'],
      repetitions: 1,
      warmupMs: 5,
      durationMs: 10,
      exporterUrl: undefined,
      configPath: undefined,
      floor: undefined,
      rows: undefined,
    },
  );
  assert.deepEqual(Object.keys(result.floor), ['span', 'nested']);
  for (const figure of Object.values(result.floor)) {
    assertOneSample(figure.nsPerSpan);
    assertOneSample(figure.cpuNsPerSpan);
  }
  assert.deepEqual(
    result.rows.map((r) => [r.scenario, r.rate, r.contender]),
    [
      ['span', 0, 'stock'],
      ['span', 0, 'tracepipe'],
      ['span', 1_000_000, 'stock'],
      ['span', 1_000_000, 'tracepipe'],
      ['nested', 0, 'stock'],
      ['nested', 0, 'tracepipe'],
      ['nested', 1_000_000, 'stock'],
      ['nested', 1_000_000, 'tracepipe'],
    ],
  );
  for (const row of result.rows) {
    assertOneSample(row.nsPerSpan);
    assertOneSample(row.cpuNsPerSpan);
    assert.equal(row.ratioToNoop, row.nsPerSpan.median / result.floor[row.scenario].nsPerSpan.median);
  }

  const lines = formatSamplingTable(result).split('\n');
  assert.match(lines[0]!, /^root span: start \+ 5 attributes \+ end — ns per span, median \(min–max\) of 1$/);
  assert.match(lines[1]!, /^no-op API floor: /);
  assert.match(lines[2]!, /^rate\/1e6 +stock ns\/span +stock ×no-op +stock cpu ns +tracepipe ns\/span +tracepipe ×no-op +tracepipe cpu ns$/);
  assert.match(lines[3]!, /^0 /);
  assert.match(lines[4]!, /^1000000 /);
  assert.equal(lines[5], '');
  assert.match(lines[6]!, /^active parent \+ nested active child/);
});

test('runSamplingBenchmark times the tight-loop variant at rate 0 with the pipeline registered, against the no-op API', async () => {
  const result = await runSamplingBenchmark({
    rates: [0],
    scenarios: ['span'],
    contenders: ['stock', 'tracepipe'],
    repetitions: 1,
    warmupMs: 5,
    durationMs: 10,
    tightLoopSpans: 2_000,
  });
  const tight = result.tightLoop!;
  assert.equal(tight.spans, 2_000);
  assertOneSample(tight.floor.nsPerSpan);
  assert.deepEqual(
    tight.rows.map((r) => r.contender),
    ['stock', 'tracepipe'],
  );
  for (const row of tight.rows) {
    assertOneSample(row.nsPerSpan);
    assertOneSample(row.cpuNsPerSpan);
    assert.equal(row.ratioToNoop, row.nsPerSpan.median / tight.floor.nsPerSpan.median);
  }
});

test('runSamplingBenchmark exports tracepipe spans to the exporter URL it is given', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-bench-test-'));
  try {
    const result = await runSamplingBenchmark({
      rates: [1_000_000],
      scenarios: ['span'],
      contenders: ['tracepipe'],
      repetitions: 1,
      warmupMs: 5,
      durationMs: 10,
      exporterUrl: `file://${dir}`,
    });
    assert.equal(result.exporterUrl, `file://${dir}`);
    assert.deepEqual(result.rows.map((r) => [r.scenario, r.rate, r.contender]), [['span', 1_000_000, 'tracepipe']]);
    const files = await readdir(dir);
    assert.ok(files.length >= 1, 'a capture file was written');
    const first = (await readFile(join(dir, files.sort()[0]!), 'utf8')).split('\n')[0]!;
    const data = JSON.parse(first) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
    assert.equal(data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'GET /api/items');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('runSamplingBenchmark rejects a rate outside 0..1000000 before spawning anything', async () => {
  await assert.rejects(runSamplingBenchmark({ rates: [1_000_001] }), {
    name: 'RangeError',
    message: 'sampling rate 1000001 is not an integer from 0 to 1000000',
  });
});
