import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchResults } from '../../benchmarks/BenchResults.js';
import type { ForwardSample } from '../../benchmarks/measureForwarding.js';
import { renderOverheadSvg } from '../../benchmarks/renderOverheadSvg.js';
import { renderReport } from '../../benchmarks/renderReport.js';
import type { ThroughputSample } from '../../benchmarks/throughputWorker.js';
import type { WorkloadSample } from '../../benchmarks/workloadWorker.js';
import type { SamplingBenchmarkResult } from '../../src/bench/runSamplingBenchmark.js';
import { summarize } from '../../src/bench/summarize.js';

const one = (v: number) => summarize([v]);

function throughput(exportedPerSec: number, created: number, dropped: number, peakRssMB: number): ThroughputSample {
  return {
    created,
    exportedInWindow: exportedPerSec * 2,
    exportedTotal: created - dropped,
    dropped,
    windowMs: 2000,
    flushMs: 10,
    createdPerSec: created / 2,
    exportedPerSec,
    cpuUsPerSpan: 3,
    peakRssMB,
  };
}

const overhead: SamplingBenchmarkResult = {
  rates: [0, 1_000_000],
  scenarios: ['span'],
  contenders: ['stock', 'tracepipe'],
  repetitions: 1,
  warmupMs: 1,
  durationMs: 1,
  exporterUrl: undefined,
  configPath: undefined,
  floor: { span: { nsPerSpan: one(20), cpuNsPerSpan: one(20) } } as SamplingBenchmarkResult['floor'],
  rows: [
    { scenario: 'span', rate: 0, contender: 'stock', nsPerSpan: one(900), cpuNsPerSpan: one(900), ratioToNoop: 45 },
    { scenario: 'span', rate: 0, contender: 'tracepipe', nsPerSpan: one(100), cpuNsPerSpan: one(100), ratioToNoop: 5 },
    { scenario: 'span', rate: 1_000_000, contender: 'stock', nsPerSpan: one(2000), cpuNsPerSpan: one(2000), ratioToNoop: 100 },
    { scenario: 'span', rate: 1_000_000, contender: 'tracepipe', nsPerSpan: one(1000), cpuNsPerSpan: one(1000), ratioToNoop: 50 },
  ],
  tightLoop: {
    spans: 200_000,
    floor: { nsPerSpan: one(13), cpuNsPerSpan: one(13) },
    rows: [
      { contender: 'stock', nsPerSpan: one(650), cpuNsPerSpan: one(650), ratioToNoop: 50 },
      { contender: 'tracepipe', nsPerSpan: one(26), cpuNsPerSpan: one(26), ratioToNoop: 2 },
    ],
  },
};

/** A workload sample: `exportedPerSec`, `dropped` of `created`, main-thread CPU and peak RSS. */
function workload(exportedPerSec: number, created: number, dropped: number, mainThreadCpuUsPerSpan: number, peakRssMB: number): WorkloadSample {
  return { ...throughput(exportedPerSec, created, dropped, peakRssMB), mainThreadCpuUsPerSpan };
}

const results: BenchResults = {
  machine: { cpuModel: 'Test CPU', cores: 2, memoryGB: 4, platform: 'Linux test x64', node: 'v20.0.0', date: '2026-11-21T12:00:00Z' },
  versions: { tracepipe: '0.1.0', '@opentelemetry/sdk-trace': '2.12.1' },
  calibration: { before: one(1.8), after: one(1.9) },
  settings: { quick: false, repetitions: 1, overheadWarmupMs: 1, overheadDurationMs: 1, sustainedMs: 2000, spansPerTurn: 500, sensitivityTurns: [], burstMs: 100, workloadMs: 2000, workloadChunk: 512, tightLoopSpans: 200_000, encodingMs: 1000, encodingWarmupCpuMs: 1000, forwardMs: 3000, uiCaptureBytes: 1_000_000_000 },
  overhead,
  throughput: {
    file: { tracepipe: [throughput(330_000, 660_000, 0, 90)], stock: [throughput(110_000, 440_000, 220_000, 100)] },
    grpc: { tracepipe: [throughput(130_000, 260_000, 0, 80)], stock: [throughput(68_000, 400_000, 264_000, 100)] },
  },
  burst: { tracepipe: [throughput(0, 30_000, 0, 70)], stock: [throughput(0, 30_000, 27_440, 70)] },
  workload: { tracepipe: [workload(400_000, 800_000, 0, 1.5, 120)], stock: [workload(90_000, 360_000, 180_000, 5, 100)] },
  encoding: {
    'tracepipe-json': [{ spansPerSec: 600_000, mbPerSec: 700, bytesPerBatch: 600_000 }],
    'stock-json': [{ spansPerSec: 100_000, mbPerSec: 130, bytesPerBatch: 660_000 }],
  },
  errors: { forwarding: 'forwardWorker.js exited with 1: Error: boom' },
  elapsedSec: 12,
};

test('renderReport states every target with its measured ratio and PASS, MISS or NOT MEASURED', () => {
  const md = renderReport(results);
  const targetRows = md
    .split('\n')
    .filter((l) => l.startsWith('| ') && /\| (PASS|\*\*MISS\*\*|\*\*NOT MEASURED\*\*) \|$/.test(l))
    .map((l) => [l.split(' | ')[0]!.slice(2), l.slice(l.lastIndexOf(' | ') + 3, -2)]);
  assert.deepEqual(targetRows, [
    ['unsampled root span, rate 0 (start + 5 attrs + end)', 'PASS'],
    ['unsampled root at rate 0, in the benchmark and in a tight loop (issue 19)', '**MISS**'],
    ['file export, sustained, spans/s exported', 'PASS'],
    ['100 ms synchronous burst', 'PASS'],
    ['main-thread CPU per sampled span, realistic workload (issue 19)', '**MISS**'],
    ['file export on the realistic workload, spans/s exported (issue 19)', 'PASS'],
    ['peak RSS on the realistic workload (issue 19)', '**MISS**'],
    ['OTLP/JSON encoding, spans/s', 'PASS'],
    ['gRPC export ceiling, spans/s', '**MISS**'],
    ['peak RSS at max sustained file export', 'PASS'],
    ['forwarding OTLP/gRPC → file on one core (issue 4)', '**NOT MEASURED**'],
    ['durable queue throughput, OTLP/gRPC in → `file://` out (issue 17)', '**NOT MEASURED**'],
    ['durable queue throughput, OTLP/gRPC in → OTLP/gRPC out (issue 17)', '**NOT MEASURED**'],
    ['forwarder peak RSS with the durable queue (issue 17)', '**NOT MEASURED**'],
  ]);
  assert.ok(md.includes('tracepipe 130k/s vs official 68k/s = **1.91×**'));
  assert.ok(md.includes('tracepipe 330k/s vs stock 110k/s = **3.00×**; tracepipe dropped 0 (most in any run), stock dropped 50%'));
  assert.ok(md.includes('tracepipe 100 ns = **5.0× no-op** (no-op 20.0 ns; stock 900 ns = 45.0× no-op; tracepipe is 9.00× faster than stock)'));
  assert.ok(md.includes('stock kept 2,560 of 30,000'));
  assert.ok(md.includes('benchmark **5.0×**; 200,000-span tight loop **2.0×** (tracepipe 26.0 ns, no-op 13.0 ns)'));
  assert.ok(md.includes('| tracepipe | 26.0 (26.0–26.0) | 2.0× |'));
  assert.ok(md.includes('tracepipe 1.50 µs vs stock 5.00 µs = **0.30×**'));
  assert.ok(md.includes('tracepipe 400k/s vs stock 90k/s = **4.44×**; tracepipe dropped 0 (most in any run), stock dropped 50%'));
  assert.ok(md.includes('tracepipe 120 MB vs stock 100 MB = **1.20×**'));
  assert.ok(md.includes('| tracepipe `file://` exporter | 400k | 400k (400k–400k) | 0 (0.0%) | 1.50 | 3.00 | 120 | **4.44×** | **0.30×** |'));
  assert.ok(md.includes('8 of 14 targets are not met in this run'));
  assert.ok(md.includes('- forwarding: forwardWorker.js exited with 1: Error: boom'));
  assert.ok(md.includes('Measured 2026-11-21T12:00:00Z on Test CPU (2 cores, 4 GB), Linux test x64, Node.js v20.0.0.'));
  assert.ok(md.includes('Versions: tracepipe 0.1.0, @opentelemetry/sdk-trace 2.12.1.'));
  assert.ok(md.includes('| 0 | 100 (100–100) | 5.0× | 900 (900–900) | 45.0× | **9.00×** |'));
});

/** A forwarding sample at `spansPerSec` with `peakRssMB` (and, for a durable-queue run, its log's syncs per second). */
function forwarded(spansPerSec: number, peakRssMB: number, syncsPerSec?: number): ForwardSample {
  return { spansPerSec, acked: spansPerSec * 3, rejected: 0, dropped: 0, drainMs: 10, cpuUsPerSpan: 6.5, peakRssMB, syncsPerSec };
}

/** The issue-4 target row of a report. */
function forwardingTarget(md: string): string {
  return md.split('\n').find((l) => l.startsWith('| forwarding OTLP/gRPC → file on one core (issue 4) |'))!;
}

test('the forwarding target is judged on the one-core run, with the unconfined rate beside it', () => {
  const base: BenchResults = { ...results, errors: {} };
  const passing = renderReport({
    ...base,
    forwarding: { 'grpc-to-file': [forwarded(170_000, 140)], 'grpc-to-file-one-core': [forwarded(155_000, 135)], 'http-to-grpc': [forwarded(90_000, 165)] },
  });
  assert.equal(
    forwardingTarget(passing),
    '| forwarding OTLP/gRPC → file on one core (issue 4) | — | ≥ 150k spans/s, RSS < 150 MB | **155k spans/s** (1.03× the goal), peak RSS 135 MB; unconfined 170k spans/s | PASS |',
  );
  assert.ok(passing.includes('| OTLP/gRPC in → `file://` out, forwarder on one core | 155k (155k–155k) | — | 6.50 | 135 | 0 | 0 | — |'));
  assert.ok(passing.includes('the forwarder process is confined to CPU 0 with `taskset`'));
  const slowOnOneCore = renderReport({ ...base, forwarding: { 'grpc-to-file': [forwarded(170_000, 140)], 'grpc-to-file-one-core': [forwarded(149_000, 135)] } });
  assert.match(forwardingTarget(slowOnOneCore), /\*\*149k spans\/s\*\* \(0\.99× the goal\).*\| \*\*MISS\*\* \|$/);
  const tooBig = renderReport({ ...base, forwarding: { 'grpc-to-file-one-core': [forwarded(160_000, 150)] } });
  assert.match(forwardingTarget(tooBig), /peak RSS 150 MB \| \*\*MISS\*\* \|$/);
  const withoutTaskset = renderReport({ ...base, forwarding: { 'grpc-to-file': [forwarded(170_000, 140)] }, forwardingOneCoreSkipped: 'taskset (util-linux) is not available' });
  assert.equal(
    forwardingTarget(withoutTaskset),
    '| forwarding OTLP/gRPC → file on one core (issue 4) | — | ≥ 150k spans/s, RSS < 150 MB | **170k spans/s** (1.13× the goal), peak RSS 140 MB (unconfined: taskset (util-linux) is not available) | PASS |',
  );
  assert.ok(withoutTaskset.includes('The run with the forwarder confined to one core was left out: taskset (util-linux) is not available.'));
});

test('with --baseline, the one-core figure is judged pair by pair against the other build run beside it', () => {
  const base: BenchResults = { ...results, errors: {} };
  const baselineRow = (md: string) => md.split('\n').find((l) => l.startsWith('| forwarding OTLP/gRPC → file on one core, against the forwarder of 0a9e521'))!;
  // Pairs 1.00, 0.90 and 1.05: median 1.00, though this build's median (150k) is below the baseline's (160k).
  const md = renderReport({
    ...base,
    forwarding: { 'grpc-to-file-one-core': [forwarded(160_000, 130), forwarded(135_000, 130), forwarded(150_000, 130)] },
    forwardingBaseline: { commit: '0a9e521', samples: [forwarded(160_000, 120), forwarded(150_000, 120), forwarded(142_857, 120)] },
  });
  assert.equal(
    baselineRow(md),
    '| forwarding OTLP/gRPC → file on one core, against the forwarder of 0a9e521 in the same run (issue 15) | — | ≥ 0.95× 0a9e521\'s, pair by pair | this build 150k spans/s, 0a9e521 150k: **1.00×** (median of 3 side-by-side pairs, 0.90–1.05) | PASS |',
  );
  assert.ok(md.includes('| OTLP/gRPC in → `file://` out, forwarder on one core: forwarder of 0a9e521 | 150k (143k–160k) | — | 6.50 | 120 | 0 | 0 | — |'));
  assert.ok(md.includes('*Baseline*: the forwarder of another build (0a9e521, `--baseline`)'));
  const slower = renderReport({
    ...base,
    forwarding: { 'grpc-to-file-one-core': [forwarded(140_000, 130)] },
    forwardingBaseline: { commit: '0a9e521', samples: [forwarded(150_000, 120)] },
  });
  assert.match(baselineRow(slower), /\*\*0\.93×\*\* \(median of 1 side-by-side pair, 0\.93–0\.93\) \| \*\*MISS\*\* \|$/);
  // Without --baseline there is no such row.
  assert.equal(baselineRow(renderReport({ ...base, forwarding: { 'grpc-to-file-one-core': [forwarded(160_000, 130)] } })), undefined);
});

/** The target rows of a report whose figure mentions the durable queue. */
function durableTargets(md: string): string[] {
  return md.split('\n').filter((l) => l.startsWith('| durable queue throughput') || l.startsWith('| forwarder peak RSS with the durable queue'));
}

test('the durable queue is judged against its memory-queue twin in the same run, and on its peak RSS', () => {
  const base: BenchResults = { ...results, errors: {} };
  const md = renderReport({
    ...base,
    forwarding: {
      'grpc-to-file': [forwarded(100_000, 120)],
      'grpc-to-file-durable': [forwarded(80_000, 150, 40)],
      'grpc-to-file-durable-no-sync': [forwarded(95_000, 140)],
      'grpc-to-grpc': [forwarded(90_000, 130)],
      'grpc-to-grpc-durable': [forwarded(60_000, 210, 35)],
    },
  });
  assert.deepEqual(durableTargets(md), [
    '| durable queue throughput, OTLP/gRPC in → `file://` out (issue 17) | — | ≥ 0.75× the memory queue\'s | durable 80k spans/s vs memory 100k spans/s = **0.80×** (40 log syncs/s) | PASS |',
    '| durable queue throughput, OTLP/gRPC in → OTLP/gRPC out (issue 17) | — | ≥ 0.75× the memory queue\'s | durable 60k spans/s vs memory 90k spans/s = **0.67×** (35 log syncs/s) | **MISS** |',
    '| forwarder peak RSS with the durable queue (issue 17) | — | < 200 MB | OTLP/gRPC in → `file://` out, durable queue: **150 MB**; OTLP/gRPC in → OTLP/gRPC out, durable queue: **210 MB** | **MISS** |',
  ]);
  assert.ok(md.includes('| OTLP/gRPC in → `file://` out, durable queue | 80k (80k–80k) | 0.80× | 6.50 | 150 | 0 | 0 | 40 |'));
  assert.ok(md.includes('| OTLP/gRPC in → `file://` out, durable queue, `queue_sync: none` | 95k (95k–95k) | 0.95× | 6.50 | 140 | 0 | 0 | — |'));
  assert.ok(md.includes('| OTLP/gRPC in → OTLP/gRPC out | 90k (90k–90k) | — | 6.50 | 130 | 0 | 0 | — |'));
  // A durable run without its twin is not judged.
  const alone = renderReport({ ...base, forwarding: { 'grpc-to-grpc-durable': [forwarded(60_000, 110, 35)] } });
  assert.match(durableTargets(alone)[1]!, /\| not measured \| \*\*NOT MEASURED\*\* \|$/);
  assert.match(durableTargets(alone)[2]!, /\| not measured \| \*\*NOT MEASURED\*\* \|$/);
});

test('renderOverheadSvg draws one panel per scenario with a point per rate and contender', () => {
  const svg = renderOverheadSvg(overhead);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="420" height="330"/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.equal(svg.match(/<circle /g)?.length, 4);
  assert.equal(svg.match(/stroke-dasharray/g)?.length, 2, 'the no-op floor line and its legend entry');
  assert.ok(svg.includes('>root span: start + 5 attributes + end</text>'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
});

test('the trace viewer section shows indexing time, peak RSS and each search against the issue\'s goals', () => {
  const ms = (v: number) => ({ median: v, min: v, max: v, samples: [v] });
  const sample = {
    bytes: 1_000_000_000, spans: 1_900_000, traces: 190_000, indexSec: 31.5, peakRssMB: 420,
    searchMs: { 'recent 20': ms(40), 'service + operation': ms(30), 'errors, longest first': ms(20), 'min duration': ms(25), 'attribute (reads spans)': ms(150) },
    openTraceMs: ms(12),
  };
  const md = renderReport({ ...results, ui: [sample] });
  assert.ok(md.includes('A generated capture of 1.00 GB (1,900,000 spans in 190,000 traces of 10 spans over 5 services, about 526 bytes of OTLP/JSON per span'));
  assert.ok(md.includes('| indexing time | 31.5 s (31.5 s–31.5 s) | < 60 s |'));
  assert.ok(md.includes('| peak RSS | 420 MB (420 MB–420 MB) | < 500 MB |'));
  assert.ok(md.includes('| search: attribute (reads spans) | 150.0 ms (150.0 ms–150.0 ms) | < 200 ms |'));
  assert.ok(renderReport(results).includes('## 7. Trace viewer (`tracepipe ui`) over a large capture\n\nNot measured: skipped.'));
  assert.ok(renderReport(results).includes('## 6. Forwarding (`tracepipe serve`)'));
});
