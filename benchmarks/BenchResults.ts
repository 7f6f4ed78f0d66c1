import type { SamplingBenchmarkResult } from '../src/bench/runSamplingBenchmark.js';
import type { Summary } from '../src/bench/summarize.js';
import type { Destination, ThroughputContender } from './createThroughputPipeline.js';
import type { MachineDescription } from './describeMachine.js';
import type { EncodingSample, Encoder } from './encodingWorker.js';
import type { ForwardPath, ForwardSample } from './measureForwarding.js';
import type { ThroughputSample } from './throughputWorker.js';
import type { WorkloadSample } from './workloadWorker.js';
import type { UiIndexSample } from './uiSearches.js';

export interface BenchSettings {
  quick: boolean;
  repetitions: number;
  overheadWarmupMs: number;
  overheadDurationMs: number;
  sustainedMs: number;
  /** Spans created per event-loop turn in the sustained runs. */
  spansPerTurn: number;
  /** Other spans-per-turn values the file exporters are also run at, to show how much the figure depends on it. */
  sensitivityTurns: number[];
  burstMs: number;
  /** Issue 19's workload: the production window and the spans per chunk between yields. */
  workloadMs: number;
  workloadChunk: number;
  /** Spans in the tight-loop variant of the overhead section. */
  tightLoopSpans: number;
  encodingMs: number;
  /** Process CPU time spent encoding before the measured window (V8's tier-up counts executions, not wall time). */
  encodingWarmupCpuMs: number;
  forwardMs: number;
  /** Size of the capture the trace viewer indexes. */
  uiCaptureBytes: number;
}

export type SectionName = 'overhead' | 'throughput' | 'burst' | 'workload' | 'encoding' | 'forwarding' | 'ui';

/** Everything one `npm run bench` measured: raw samples, so the report can show medians, ranges and ratios. */
export interface BenchResults {
  machine: MachineDescription;
  /** tracepipe's version and those of the packages it is compared with. */
  versions: Record<string, string>;
  /** Calibration loop ns/op, before and after the run (a drift check on a shared machine). */
  calibration: { before: Summary; after: Summary };
  settings: BenchSettings;
  overhead?: SamplingBenchmarkResult;
  throughput?: Partial<Record<Destination, Partial<Record<ThroughputContender, ThroughputSample[]>>>>;
  /** File export at other spans-per-turn values, by that value. */
  sensitivity?: Record<string, Partial<Record<ThroughputContender, ThroughputSample[]>>>;
  burst?: Partial<Record<ThroughputContender, ThroughputSample[]>>;
  /** Issue 19's realistic workload (file export, everything sampled), by contender. */
  workload?: Partial<Record<ThroughputContender, WorkloadSample[]>>;
  encoding?: Partial<Record<Encoder, EncodingSample[]>>;
  forwarding?: Partial<Record<ForwardPath, ForwardSample[]>>;
  /**
   * `--baseline`: another build's forwarder on one core, run right after this build's in each
   * repetition (sample i of each was measured side by side).
   */
  forwardingBaseline?: { commit: string; samples: ForwardSample[] };
  /** Why the one-core forwarding run was left out, when it was. */
  forwardingOneCoreSkipped?: string;
  /** `tracepipe ui` indexing a generated capture, then searching it. */
  ui?: UiIndexSample[];
  /** Sections that could not be measured, with the reason. */
  errors: Partial<Record<SectionName, string>>;
  elapsedSec: number;
}
