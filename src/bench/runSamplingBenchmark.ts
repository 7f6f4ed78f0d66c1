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
  /**
   * Also time the tight-loop variant at rate 0 (`measureTightLoop`: this many spans of the issue's
   * workload in one loop, in a fresh process with the pipeline registered globally); 0 or undefined skips it.
   */
  tightLoopSpans?: number;
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
  tightLoop?: TightLoopResult;
}

/** The tight-loop variant: unsampled roots at rate 0, against the no-op API timed the same way. */
export interface TightLoopResult {
  spans: number;
  floor: OverheadFigure;
  rows: Array<OverheadFigure & { contender: Exclude<SamplingContender, 'noop'>; ratioToNoop: number }>;
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
  const tightSpans = options.tightLoopSpans ?? 0;
  const point = (contender: SamplingContender, scenario: SpanScenario, rate: number, tight = false) => {
    const key = `${contender}|${tight ? 'tight' : scenario}|${rate}`;
    const args = ['--contender', contender, '--scenario', scenario, '--rate', String(rate)];
    args.push('--warmup-ms', String(warmupMs), '--duration-ms', String(durationMs));
    if (tight) args.push('--tight-spans', String(tightSpans));
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
    if (tightSpans > 0) {
      point('noop', 'span', 0, true);
      for (const contender of order) point(contender, 'span', 0, true);
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
  let tightLoop: TightLoopResult | undefined;
  if (tightSpans > 0) {
    const floorFigure = figure('noop|tight|0');
    tightLoop = {
      spans: tightSpans,
      floor: floorFigure,
      rows: contenders.map((contender) => {
        const f = figure(`${contender}|tight|0`);
        return { contender, ...f, ratioToNoop: f.nsPerSpan.median / floorFigure.nsPerSpan.median };
      }),
    };
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
    ...(tightLoop ? { tightLoop } : {}),
  };
}
