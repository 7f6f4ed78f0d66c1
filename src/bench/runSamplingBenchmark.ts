import { fileURLToPath } from 'node:url';
import { SAMPLING_CONTENDERS, type SamplingContender } from './createSamplingContender.js';
import type { SpanOverheadSample } from './measureSpanOverhead.js';
import { spawnJsonWorker } from './spawnJsonWorker.js';
import { SPAN_SCENARIOS, type SpanScenario } from './spanScenarioLoop.js';
import { summarize, type Summary } from './summarize.js';

export const DEFAULT_BENCH_RATES: readonly number[] = [0, 1, 100, 10_000, 100_000, 1_000_000];

export interface SamplingBenchmarkOptions {
  /** sampling_rate_per_million values to measure. */
  rates?: readonly number[];
  scenarios?: readonly SpanScenario[];
  /** Contenders measured at every rate; the no-op floor is always measured once per scenario. */
  contenders?: ReadonlyArray<Exclude<SamplingContender, 'noop'>>;
  /** Fresh-process measurements per point (at least 1; the report uses the median). */
  repetitions?: number;
  warmupMs?: number;
  durationMs?: number;
  /** tracepipe exports to this URL; undefined discards spans, timing the pipeline alone. */
  exporterUrl?: string;
  /** tracepipe uses this tracepipe.yaml's `tracing_service` (exporter, TLS, queue), at each measured rate. */
  configPath?: string;
  /** Extra node flags for every worker, e.g. `--cpu-prof --cpu-prof-dir DIR`. */
  nodeArgs?: string[];
  onProgress?: (done: number, total: number) => void;
}

export interface OverheadFigure {
  nsPerSpan: Summary;
  cpuNsPerSpan: Summary;
}

export interface SamplingRow extends OverheadFigure {
  scenario: SpanScenario;
  rate: number;
  contender: Exclude<SamplingContender, 'noop'>;
  /** Median ns/span over the no-op floor's median for the same scenario. */
  ratioToNoop: number;
}

export interface SamplingBenchmarkResult {
  rates: number[];
  scenarios: SpanScenario[];
  contenders: Array<Exclude<SamplingContender, 'noop'>>;
  repetitions: number;
  warmupMs: number;
  durationMs: number;
  exporterUrl: string | undefined;
  configPath: string | undefined;
  /** The no-op API, per scenario: the floor every ratio is taken against. */
  floor: Record<SpanScenario, OverheadFigure>;
  rows: SamplingRow[];
}

const WORKER = fileURLToPath(new URL('./samplingWorker.js', import.meta.url));

/**
 * Span overhead by sampling rate: every point is measured in a fresh process, contenders
 * interleaved (the order flips on every repetition so drift on a shared machine cancels out).
 */
export async function runSamplingBenchmark(options: SamplingBenchmarkOptions = {}): Promise<SamplingBenchmarkResult> {
  const rates = [...(options.rates ?? DEFAULT_BENCH_RATES)];
  const scenarios = [...(options.scenarios ?? SPAN_SCENARIOS)];
  const contenders = [...(options.contenders ?? SAMPLING_CONTENDERS.filter((c) => c !== 'noop'))] as Array<
    Exclude<SamplingContender, 'noop'>
  >;
  const repetitions = Math.max(1, options.repetitions ?? 5);
  const warmupMs = options.warmupMs ?? 150;
  const durationMs = options.durationMs ?? 300;
  for (const rate of rates) {
    if (!Number.isInteger(rate) || rate < 0 || rate > 1_000_000) {
      throw new RangeError(`sampling rate ${rate} is not an integer from 0 to 1000000`);
    }
  }

  const samples = new Map<string, SpanOverheadSample[]>();
  const plan: Array<{ key: string; args: string[] }> = [];
  const point = (contender: SamplingContender, scenario: SpanScenario, rate: number) => {
    const key = `${contender}|${scenario}|${rate}`;
    const args = ['--contender', contender, '--scenario', scenario, '--rate', String(rate)];
    args.push('--warmup-ms', String(warmupMs), '--duration-ms', String(durationMs));
    if (contender === 'tracepipe' && options.exporterUrl) args.push('--exporter', options.exporterUrl);
    if (contender === 'tracepipe' && options.configPath) args.push('--config', options.configPath);
    plan.push({ key, args });
  };
  for (let rep = 0; rep < repetitions; rep++) {
    const order = rep % 2 === 0 ? contenders : [...contenders].reverse();
    for (const scenario of scenarios) {
      point('noop', scenario, 0);
      for (const rate of rates) for (const contender of order) point(contender, scenario, rate);
    }
  }

  let done = 0;
  for (const { key, args } of plan) {
    const sample = await spawnJsonWorker<SpanOverheadSample>(WORKER, args, { nodeArgs: options.nodeArgs ?? [] });
    const list = samples.get(key) ?? [];
    list.push(sample);
    samples.set(key, list);
    options.onProgress?.(++done, plan.length);
  }

  const figure = (key: string): OverheadFigure => {
    const list = samples.get(key) ?? [];
    return {
      nsPerSpan: summarize(list.map((s) => s.nsPerSpan)),
      cpuNsPerSpan: summarize(list.map((s) => s.cpuNsPerSpan)),
    };
  };
  const floor = Object.fromEntries(scenarios.map((s) => [s, figure(`noop|${s}|0`)])) as Record<SpanScenario, OverheadFigure>;
  const rows: SamplingRow[] = [];
  for (const scenario of scenarios) {
    for (const rate of rates) {
      for (const contender of contenders) {
        const f = figure(`${contender}|${scenario}|${rate}`);
        rows.push({ scenario, rate, contender, ...f, ratioToNoop: f.nsPerSpan.median / floor[scenario].nsPerSpan.median });
      }
    }
  }
  return {
    rates,
    scenarios,
    contenders,
    repetitions,
    warmupMs,
    durationMs,
    exporterUrl: options.exporterUrl,
    configPath: options.configPath,
    floor,
    rows,
  };
}
