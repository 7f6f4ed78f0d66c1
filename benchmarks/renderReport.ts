import { SCENARIO_TITLES } from '../src/bench/formatSamplingTable.js';
import type { SamplingRow } from '../src/bench/runSamplingBenchmark.js';
import { summarize, type Summary } from '../src/bench/summarize.js';
import { DEFAULTS } from '../src/config/validateConfig.js';
import { FORWARDER_HEAP_GROWING_PERCENT } from '../src/receiver/tuneHeapForForwarding.js';
import type { BenchResults } from './BenchResults.js';
import type { Destination, ThroughputContender } from './createThroughputPipeline.js';
import type { Encoder } from './encodingWorker.js';
import { FORWARD_WARMUP_MS, type ForwardPath, type ForwardSample } from './measureForwarding.js';
import type { ThroughputSample } from './throughputWorker.js';
import { UI_SEARCH_RUNS, UI_SEARCHES } from './uiSearches.js';

export const OVERHEAD_SVG = 'benchmarks-overhead.svg';

const num = (v: number, digits = 1) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits)) : '—');
const perSec = (v: number) => {
  if (!Number.isFinite(v)) return '—';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e4) return `${Math.round(v / 1e3)}k`;
  return Math.round(v).toLocaleString('en-US');
};
const ranged = (s: Summary, f: (v: number) => string) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '—');
const pick = <T>(samples: T[] | undefined, f: (s: T) => number) => summarize((samples ?? []).map(f));
/** A markdown table; numeric columns (all but the first, unless `textColumns`) right-aligned. */
const table = (header: string[], rows: string[][], textColumns = 1) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < textColumns ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

const DESTINATION_LABEL: Record<Destination, { tracepipe: string; stock: string }> = {
  file: { tracepipe: 'tracepipe `file://` exporter', stock: 'stock: `JsonTraceSerializer` + `BatchSpanProcessor` + write stream' },
  grpc: { tracepipe: 'tracepipe `grpc://` exporter', stock: 'official `@opentelemetry/exporter-trace-otlp-grpc` + `BatchSpanProcessor`' },
  http: { tracepipe: 'tracepipe `http://` exporter (protobuf)', stock: 'official `@opentelemetry/exporter-trace-otlp-proto` + `BatchSpanProcessor`' },
};
const ENCODER_LABEL: Record<Encoder, string> = {
  'tracepipe-json': 'tracepipe `JsonTraceEncoder.encodeBytes`',
  'stock-json': 'stock `JsonTraceSerializer`',
  'tracepipe-proto': 'tracepipe `ProtoTraceEncoder.encode`',
  'stock-proto': 'stock `ProtobufTraceSerializer`',
};
const FORWARD_LABEL: Record<ForwardPath, string> = {
  'grpc-to-file': 'OTLP/gRPC in → `file://` out',
  'grpc-to-file-durable': 'OTLP/gRPC in → `file://` out, durable queue',
  'grpc-to-file-durable-no-sync': 'OTLP/gRPC in → `file://` out, durable queue, `queue_sync: none`',
  'grpc-to-grpc': 'OTLP/gRPC in → OTLP/gRPC out',
  'grpc-to-grpc-durable': 'OTLP/gRPC in → OTLP/gRPC out, durable queue',
  'grpc-to-file-one-core': 'OTLP/gRPC in → `file://` out, forwarder on one core',
  'http-to-grpc': 'OTLP/HTTP (protobuf) in → OTLP/gRPC out',
};
/** Each durable-queue path and the memory-queue path it is compared with (issue 17). */
const DURABLE_TWINS = [
  ['grpc-to-file-durable', 'grpc-to-file'],
  ['grpc-to-grpc-durable', 'grpc-to-grpc'],
] as const satisfies ReadonlyArray<readonly [ForwardPath, ForwardPath]>;
const DURABLE_MIN_RATIO = 0.75;
/**
 * "No worse than run-to-run noise" for the one-core forwarding figure against another build
 * (`--baseline`): side-by-side pairs of the same build differ by up to ±10% on this shared machine.
 */
const BASELINE_MIN_RATIO = 0.95;
const DURABLE_MAX_RSS_MB = 200;

interface Target {
  figure: string;
  stock: string;
  goal: string;
  measured: string;
  verdict: 'PASS' | 'MISS' | 'NOT MEASURED';
}

function targets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const notMeasured = (figure: string, stock: string, goal: string, section: string): Target => ({
    figure,
    stock,
    goal,
    measured: r.errors[section as keyof BenchResults['errors']] ? `not measured: see ${section}` : 'not measured',
    verdict: 'NOT MEASURED',
  });

  const row = (contender: SamplingRow['contender']) => r.overhead?.rows.find((x) => x.scenario === 'span' && x.rate === 0 && x.contender === contender);
  const tp0 = row('tracepipe');
  const st0 = row('stock');
  {
    const figure = 'unsampled root span, rate 0 (start + 5 attrs + end)';
    const stock = '~1275 ns (45× no-op)';
    const goal = '≤ 5× the no-op API';
    if (tp0 && st0 && r.overhead) {
      const floor = r.overhead.floor.span.nsPerSpan.median;
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe ${num(tp0.nsPerSpan.median)} ns = **${tp0.ratioToNoop.toFixed(1)}× no-op** (no-op ${num(floor)} ns; stock ${num(st0.nsPerSpan.median)} ns = ${st0.ratioToNoop.toFixed(1)}× no-op; tracepipe is ${ratio(st0.nsPerSpan.median, tp0.nsPerSpan.median)} faster than stock)`,
        verdict: tp0.ratioToNoop <= 5 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'overhead'));
  }

  {
    const figure = 'unsampled root at rate 0, in the benchmark and in a tight loop (issue 19)';
    const stock = 'tight loop ~74 ns (5.7× no-op)';
    const goal = '≤ 3× the no-op API in both';
    const tight = r.overhead?.tightLoop;
    const tpTight = tight?.rows.find((x) => x.contender === 'tracepipe');
    if (tp0 && tight && tpTight) {
      out.push({
        figure,
        stock,
        goal,
        measured: `benchmark **${tp0.ratioToNoop.toFixed(1)}×**; ${tight.spans.toLocaleString('en-US')}-span tight loop **${tpTight.ratioToNoop.toFixed(1)}×** (tracepipe ${num(tpTight.nsPerSpan.median)} ns, no-op ${num(tight.floor.nsPerSpan.median)} ns)`,
        verdict: tp0.ratioToNoop <= 3 && tpTight.ratioToNoop <= 3 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'overhead'));
  }

  const file = r.throughput?.file;
  {
    const figure = 'file export, sustained, spans/s exported';
    const stock = '~107k with ~50% dropped';
    const goal = '≥ 3× stock, 0 dropped';
    if (file?.tracepipe?.length && file.stock?.length) {
      const tp = pick(file.tracepipe, (s) => s.exportedPerSec).median;
      const st = pick(file.stock, (s) => s.exportedPerSec).median;
      const tpDropped = Math.max(...file.tracepipe.map((s) => s.dropped));
      const stDropped = pick(file.stock, (s) => s.dropped / s.created).median;
      const x = tp / st;
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe ${perSec(tp)}/s vs stock ${perSec(st)}/s = **${x.toFixed(2)}×**; tracepipe dropped ${tpDropped.toLocaleString('en-US')} (most in any run), stock dropped ${(stDropped * 100).toFixed(0)}%`,
        verdict: x >= 3 && tpDropped === 0 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'throughput'));
  }

  {
    const figure = `${r.settings.burstMs} ms synchronous burst`;
    const stock = '2,560 kept of ~30,000';
    const goal = 'all kept, within the default memory budget';
    const burst = r.burst;
    if (burst?.tracepipe?.length && burst.stock?.length) {
      const lost = Math.max(...burst.tracepipe.map((s) => s.dropped));
      const created = pick(burst.tracepipe, (s) => s.created).median;
      const stockKept = pick(burst.stock, (s) => s.exportedTotal).median;
      const stockCreated = pick(burst.stock, (s) => s.created).median;
      const rss = pick(burst.tracepipe, (s) => s.peakRssMB).median;
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe kept all of ${Math.round(created).toLocaleString('en-US')} in ${lost === 0 ? 'every run' : `no run: up to ${lost.toLocaleString('en-US')} lost`} (queue budget ${DEFAULTS.queueMaxBytes / 2 ** 20} MiB, peak RSS ${num(rss)} MB); stock kept ${Math.round(stockKept).toLocaleString('en-US')} of ${Math.round(stockCreated).toLocaleString('en-US')}`,
        verdict: lost === 0 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'burst'));
  }

  const workload = r.workload;
  const wlBoth = workload?.tracepipe?.length && workload.stock?.length ? { tp: workload.tracepipe, st: workload.stock } : undefined;
  {
    const figure = 'main-thread CPU per sampled span, realistic workload (issue 19)';
    const stock = 'tracepipe ≈ stock';
    const goal = '≤ 1/4 of stock';
    const tp = wlBoth && pick(wlBoth.tp, (s) => s.mainThreadCpuUsPerSpan ?? NaN).median;
    const st = wlBoth && pick(wlBoth.st, (s) => s.mainThreadCpuUsPerSpan ?? NaN).median;
    if (tp !== undefined && st !== undefined && Number.isFinite(tp) && Number.isFinite(st)) {
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe ${num(tp, 2)} µs vs stock ${num(st, 2)} µs = **${(tp / st).toFixed(2)}×**`,
        verdict: tp <= st / 4 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'workload'));
  }
  {
    const figure = 'file export on the realistic workload, spans/s exported (issue 19)';
    const stock = '~2× stock (stock drops half)';
    const goal = '≥ 4× stock, 0 dropped';
    if (wlBoth) {
      const tp = pick(wlBoth.tp, (s) => s.exportedPerSec).median;
      const st = pick(wlBoth.st, (s) => s.exportedPerSec).median;
      const tpDropped = Math.max(...wlBoth.tp.map((s) => s.dropped));
      const stDropped = pick(wlBoth.st, (s) => s.dropped / s.created).median;
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe ${perSec(tp)}/s vs stock ${perSec(st)}/s = **${(tp / st).toFixed(2)}×**; tracepipe dropped ${tpDropped.toLocaleString('en-US')} (most in any run), stock dropped ${(stDropped * 100).toFixed(0)}%`,
        verdict: tp / st >= 4 && tpDropped === 0 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'workload'));
  }
  {
    const figure = 'peak RSS on the realistic workload (issue 19)';
    const stock = '334 vs 232 MB (1.45×)';
    const goal = 'no higher than stock';
    if (wlBoth) {
      const tp = pick(wlBoth.tp, (s) => s.peakRssMB).median;
      const st = pick(wlBoth.st, (s) => s.peakRssMB).median;
      out.push({ figure, stock, goal, measured: `tracepipe ${num(tp)} MB vs stock ${num(st)} MB = **${(tp / st).toFixed(2)}×**`, verdict: tp <= st ? 'PASS' : 'MISS' });
    } else out.push(notMeasured(figure, stock, goal, 'workload'));
  }

  {
    const figure = 'OTLP/JSON encoding, spans/s';
    const stock = '~113k';
    const goal = '≥ 5× stock';
    const enc = r.encoding;
    if (enc?.['tracepipe-json']?.length && enc['stock-json']?.length) {
      const tp = pick(enc['tracepipe-json'], (s) => s.spansPerSec).median;
      const st = pick(enc['stock-json'], (s) => s.spansPerSec).median;
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe ${perSec(tp)}/s vs stock ${perSec(st)}/s = **${(tp / st).toFixed(2)}×**`,
        verdict: tp / st >= 5 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'encoding'));
  }

  const grpc = r.throughput?.grpc;
  {
    const figure = 'gRPC export ceiling, spans/s';
    const stock = '~68k';
    const goal = '≥ 2× official exporter';
    if (grpc?.tracepipe?.length && grpc.stock?.length) {
      const tp = pick(grpc.tracepipe, (s) => s.exportedPerSec).median;
      const st = pick(grpc.stock, (s) => s.exportedPerSec).median;
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe ${perSec(tp)}/s vs official ${perSec(st)}/s = **${(tp / st).toFixed(2)}×**`,
        verdict: tp / st >= 2 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'throughput'));
  }

  {
    const figure = 'peak RSS at max sustained file export';
    const stock = '~105 MB';
    const goal = 'no higher than stock';
    if (file?.tracepipe?.length && file.stock?.length) {
      const tp = pick(file.tracepipe, (s) => s.peakRssMB).median;
      const st = pick(file.stock, (s) => s.peakRssMB).median;
      out.push({
        figure,
        stock,
        goal,
        measured: `tracepipe ${num(tp)} MB vs stock ${num(st)} MB = **${(tp / st).toFixed(2)}×**`,
        verdict: tp <= st ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'throughput'));
  }

  {
    const figure = 'forwarding OTLP/gRPC → file on one core (issue 4)';
    const stock = '—';
    const goal = '≥ 150k spans/s, RSS < 150 MB';
    const oneCore = r.forwarding?.['grpc-to-file-one-core'];
    const unconfined = r.forwarding?.['grpc-to-file'];
    // The issue asks for one core; without taskset the unconfined run stands in, and says so.
    const fwd = oneCore?.length ? oneCore : unconfined;
    if (fwd?.length) {
      const rate = pick(fwd, (s) => s.spansPerSec).median;
      const rss = pick(fwd, (s) => s.peakRssMB).median;
      const other = oneCore?.length && unconfined?.length ? `; unconfined ${perSec(pick(unconfined, (s) => s.spansPerSec).median)} spans/s` : '';
      const note = oneCore?.length ? '' : ` (unconfined: ${r.forwardingOneCoreSkipped ?? 'the one-core run is missing'})`;
      out.push({
        figure,
        stock,
        goal,
        measured: `**${perSec(rate)} spans/s** (${(rate / 150_000).toFixed(2)}× the goal), peak RSS ${num(rss)} MB${other}${note}`,
        verdict: rate >= 150_000 && rss < 150 ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'forwarding'));
  }

  if (r.forwardingBaseline !== undefined) {
    const { commit, samples: base } = r.forwardingBaseline;
    const mine = r.forwarding?.['grpc-to-file-one-core'] ?? [];
    const figure = `forwarding OTLP/gRPC → file on one core, against the forwarder of ${commit} in the same run (issue 15)`;
    const goal = `≥ ${BASELINE_MIN_RATIO}× ${commit}'s, pair by pair`;
    const pairs = Math.min(mine.length, base.length);
    if (pairs > 0) {
      const ratios = summarize(Array.from({ length: pairs }, (_, i) => mine[i]!.spansPerSec / base[i]!.spansPerSec));
      out.push({
        figure,
        stock: '—',
        goal,
        measured: `this build ${perSec(pick(mine, (s) => s.spansPerSec).median)} spans/s, ${commit} ${perSec(pick(base, (s) => s.spansPerSec).median)}: **${ratios.median.toFixed(2)}×** (median of ${pairs} side-by-side pair${pairs === 1 ? '' : 's'}, ${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)})`,
        verdict: ratios.median >= BASELINE_MIN_RATIO ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, '—', goal, 'forwarding'));
  }

  for (const [durablePath, memoryPath] of DURABLE_TWINS) {
    const figure = `durable queue throughput, ${FORWARD_LABEL[memoryPath]} (issue 17)`;
    const stock = '—';
    const goal = `≥ ${DURABLE_MIN_RATIO}× the memory queue's`;
    const durable = r.forwarding?.[durablePath];
    const memory = r.forwarding?.[memoryPath];
    if (durable?.length && memory?.length) {
      const d = pick(durable, (s) => s.spansPerSec).median;
      const m = pick(memory, (s) => s.spansPerSec).median;
      const syncs = pick(durable, (s) => s.syncsPerSec ?? NaN).median;
      out.push({
        figure,
        stock,
        goal,
        measured: `durable ${perSec(d)} spans/s vs memory ${perSec(m)} spans/s = **${(d / m).toFixed(2)}×** (${num(syncs, 0)} log syncs/s)`,
        verdict: d / m >= DURABLE_MIN_RATIO ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'forwarding'));
  }
  {
    const figure = 'forwarder peak RSS with the durable queue (issue 17)';
    const stock = '—';
    const goal = `< ${DURABLE_MAX_RSS_MB} MB`;
    const measured = DURABLE_TWINS.flatMap(([p]) => (r.forwarding?.[p]?.length ? [[p, pick(r.forwarding[p], (s) => s.peakRssMB).median] as const] : []));
    if (measured.length === DURABLE_TWINS.length) {
      out.push({
        figure,
        stock,
        goal,
        measured: measured.map(([p, rss]) => `${FORWARD_LABEL[p]}: **${num(rss)} MB**`).join('; '),
        verdict: measured.every(([, rss]) => rss < DURABLE_MAX_RSS_MB) ? 'PASS' : 'MISS',
      });
    } else out.push(notMeasured(figure, stock, goal, 'forwarding'));
  }
  return out;
}

function overheadSection(r: BenchResults): string[] {
  const o = r.overhead;
  const out = ['## 1. Span overhead by sampling rate', ''];
  if (!o) return [...out, `Not measured: ${r.errors.overhead ?? 'skipped'}.`, ''];
  out.push(
    `ns per span, median (min–max) of ${o.repetitions} fresh processes per point; ${o.durationMs} ms measured after ${o.warmupMs} ms of warm-up, yielding to the event loop every 1,000 iterations (so the exporter's work on this thread is counted). Sampled spans go to a discarding exporter in both pipelines, so this is the cost of the pipeline itself. The nested scenario's figure is per span (an iteration makes 2).`,
    '',
    `![span overhead against sampling rate](${OVERHEAD_SVG})`,
    '',
  );
  for (const scenario of o.scenarios) {
    const floor = o.floor[scenario].nsPerSpan;
    out.push(`### ${SCENARIO_TITLES[scenario]}`, '', `No-op API (the floor): ${ranged(floor, num)} ns per span.`, '');
    const rows = o.rates.map((rate) => {
      const tp = o.rows.find((x) => x.scenario === scenario && x.rate === rate && x.contender === 'tracepipe');
      const st = o.rows.find((x) => x.scenario === scenario && x.rate === rate && x.contender === 'stock');
      return [
        rate.toLocaleString('en-US'),
        tp ? ranged(tp.nsPerSpan, num) : '—',
        tp ? `${tp.ratioToNoop.toFixed(1)}×` : '—',
        st ? ranged(st.nsPerSpan, num) : '—',
        st ? `${st.ratioToNoop.toFixed(1)}×` : '—',
        tp && st ? `**${ratio(st.nsPerSpan.median, tp.nsPerSpan.median)}**` : '—',
      ];
    });
    out.push(
      table(['sampling_rate_per_million', 'tracepipe ns/span', 'tracepipe ÷ no-op', 'stock ns/span', 'stock ÷ no-op', 'stock ÷ tracepipe'], rows),
      '',
    );
  }
  const tight = o.tightLoop;
  if (tight) {
    out.push(
      '### tight loop: unsampled roots at rate 0, no warm-up, no yield',
      '',
      `In a fresh process that has just set up its pipeline (registered globally, with an AsyncLocalStorage context manager; the no-op API has nothing installed), ${tight.spans.toLocaleString('en-US')} spans of issue 19's workload (start + 5 attributes, one a varying integer, + end) in one synchronous loop, timed from the first span: the time before V8 has optimized the path, and any garbage collection the loop triggers, are in the figure. Median (min–max) of ${o.repetitions}.`,
      '',
      `No-op API (the floor): ${ranged(tight.floor.nsPerSpan, num)} ns per span.`,
      '',
      table(
        ['pipeline', 'ns/span', '÷ no-op'],
        tight.rows.map((x) => [x.contender, ranged(x.nsPerSpan, num), `${x.ratioToNoop.toFixed(1)}×`]),
      ),
      '',
    );
  }
  return out;
}

function throughputSection(r: BenchResults): string[] {
  const out = ['## 2. Export throughput (sampling 1000000)', ''];
  if (!r.throughput) return [...out, `Not measured: ${r.errors.throughput ?? 'skipped'}.`, ''];
  out.push(
    `Spans (start + 5 attributes + end) produced as fast as possible for ${r.settings.sustainedMs / 1000} s, yielding to the event loop every ${r.settings.spansPerTurn} spans (the rate at which this machine reproduces the issue's anchor for the stock file path), then a final flush. Median (min–max) of ${r.settings.repetitions} fresh processes each. *exported/s* counts what was delivered during the production window (the sustained rate the targets use); *delivered/s incl. flush* is everything delivered over window + final flush; *dropped* is created − delivered after the flush; CPU is the whole process (all threads) over window and flush, per span delivered; RSS is the process peak. The gRPC and HTTP sinks run in a sibling process and do not decode; the gRPC sink grants a 1 MiB HTTP/2 connection window (gRPC core's and grpc-java's), since with HTTP/2's 64 KiB the single-threaded sink, not the exporter, set the pace.`,
    '',
  );
  const rows: string[][] = [];
  for (const destination of ['file', 'grpc', 'http'] as const) {
    const d = r.throughput[destination];
    if (d) rows.push(...throughputRows(d, DESTINATION_LABEL[destination]));
  }
  out.push(table(THROUGHPUT_HEADER, rows), '');
  const turns = Object.keys(r.sensitivity ?? {});
  if (turns.length > 0) {
    out.push(
      '### How much this depends on how often the producer yields',
      '',
      `The file exporters again, with ${turns.join(' and ')} spans per event-loop turn instead of ${r.settings.spansPerTurn} (median of ${Math.min(3, r.settings.repetitions)}). The more often the producer yields, the more turns the exporter gets on the shared thread.`,
      '',
    );
    const sensitivityRows: string[][] = [];
    for (const turn of turns) {
      const labels = {
        tracepipe: `${DESTINATION_LABEL.file.tracepipe}, ${turn} spans/turn`,
        stock: `${DESTINATION_LABEL.file.stock}, ${turn} spans/turn`,
      };
      sensitivityRows.push(...throughputRows(r.sensitivity![turn]!, labels));
    }
    out.push(table(THROUGHPUT_HEADER, sensitivityRows), '');
  }
  return out;
}

const THROUGHPUT_HEADER = [
  'pipeline',
  'created/s',
  'exported/s',
  'delivered/s incl. flush',
  'dropped (of created)',
  'CPU µs/span',
  'peak RSS MB',
  'exported/s vs stock',
];

function throughputRows(
  d: Partial<Record<ThroughputContender, ThroughputSample[]>>,
  labels: Record<ThroughputContender, string>,
): string[][] {
  const stockRate = pick(d.stock, (s) => s.exportedPerSec).median;
  const rows: string[][] = [];
  for (const contender of ['tracepipe', 'stock'] as const) {
    const samples = d[contender];
    if (!samples?.length) continue;
    const exported = pick(samples, (s) => s.exportedPerSec);
    rows.push([
      labels[contender],
      perSec(pick(samples, (s) => s.createdPerSec).median),
      ranged(exported, perSec),
      perSec(pick(samples, (s) => (s.exportedTotal / (s.windowMs + s.flushMs)) * 1000).median),
      `${pick(samples, (s) => s.dropped).median.toLocaleString('en-US')} (${(pick(samples, (s) => s.dropped / s.created).median * 100).toFixed(1)}%)`,
      num(pick(samples, (s) => s.cpuUsPerSpan).median, 2),
      num(pick(samples, (s) => s.peakRssMB).median),
      contender === 'tracepipe' ? `**${ratio(exported.median, stockRate)}**` : '1×',
    ]);
  }
  return rows;
}

function burstSection(r: BenchResults): string[] {
  const out = [`## 3. ${r.settings.burstMs} ms synchronous burst`, ''];
  if (!r.burst) return [...out, `Not measured: ${r.errors.burst ?? 'skipped'}.`, ''];
  out.push(
    `After a warm-up (flushed, not counted), spans are created for ${r.settings.burstMs} ms without yielding to the event loop, into the file exporter; then the pipeline is flushed and shut down. Median (min–max) of ${r.settings.repetitions}.`,
    '',
  );
  const rows = (['tracepipe', 'stock'] as const).flatMap((c) => {
    const s = r.burst?.[c];
    if (!s?.length) return [];
    return [
      [
        c === 'tracepipe' ? 'tracepipe' : 'stock (`BatchSpanProcessor` defaults)',
        ranged(pick(s, (x) => x.created), (v) => Math.round(v).toLocaleString('en-US')),
        ranged(pick(s, (x) => x.exportedTotal), (v) => Math.round(v).toLocaleString('en-US')),
        `${(pick(s, (x) => x.exportedTotal / x.created).median * 100).toFixed(1)}%`,
        num(pick(s, (x) => x.peakRssMB).median),
      ],
    ];
  });
  out.push(table(['pipeline', 'created', 'exported', 'kept', 'peak RSS MB'], rows), '');
  return out;
}

function workloadSection(r: BenchResults): string[] {
  const out = ['## 4. A realistic workload (issue 19)', ''];
  const w = r.workload;
  if (!w) return [...out, `Not measured: ${r.errors.workload ?? 'skipped'}.`, ''];
  out.push(
    `Everything sampled, exported to \`file://\`, each pipeline registered globally with an AsyncLocalStorage context manager, in a fresh process per run with no warm-up: spans of issue 19's workload (start + 5 attributes, one a varying integer, + end) in chunks of ${r.settings.workloadChunk} with a \`setImmediate\` yield between chunks, for ${r.settings.workloadMs / 1000} s, then a final flush. Median (min–max) of ${r.settings.repetitions}. *main-thread CPU* is the request thread's own CPU time (Linux \`/proc/thread-self/schedstat\`) over window and flush, per span delivered; *process CPU* adds the GC, JIT and I/O threads.`,
    '',
  );
  const stockRate = pick(w.stock, (s) => s.exportedPerSec).median;
  const stockCpu = pick(w.stock, (s) => s.mainThreadCpuUsPerSpan ?? NaN).median;
  const rows = (['tracepipe', 'stock'] as const).flatMap((c) => {
    const s = w[c];
    if (!s?.length) return [];
    const exported = pick(s, (x) => x.exportedPerSec);
    const mainCpu = pick(s, (x) => x.mainThreadCpuUsPerSpan ?? NaN).median;
    return [
      [
        DESTINATION_LABEL.file[c],
        perSec(pick(s, (x) => x.createdPerSec).median),
        ranged(exported, perSec),
        `${pick(s, (x) => x.dropped).median.toLocaleString('en-US')} (${(pick(s, (x) => x.dropped / x.created).median * 100).toFixed(1)}%)`,
        num(mainCpu, 2),
        num(pick(s, (x) => x.cpuUsPerSpan).median, 2),
        num(pick(s, (x) => x.peakRssMB).median),
        c === 'tracepipe' ? `**${ratio(exported.median, stockRate)}**` : '1×',
        c === 'tracepipe' ? `**${ratio(mainCpu, stockCpu)}**` : '1×',
      ],
    ];
  });
  out.push(
    table(
      ['pipeline', 'created/s', 'exported/s', 'dropped (of created)', 'main-thread CPU µs/span', 'process CPU µs/span', 'peak RSS MB', 'exported/s vs stock', 'main-thread CPU vs stock'],
      rows,
    ),
    '',
  );
  return out;
}

function encodingSection(r: BenchResults): string[] {
  const out = ['## 5. Encoding 512-span batches', ''];
  if (!r.encoding) return [...out, `Not measured: ${r.errors.encoding ?? 'skipped'}.`, ''];
  out.push(
    `Batches of 512 realistic spans (10 attributes of mixed types and 1 event each, traces of 8, one resource and scope; 4 distinct batches in rotation, so ids and the high-cardinality values differ from one encode to the next) encoded to bytes over and over for ${r.settings.encodingMs / 1000} s after a warm-up of ${r.settings.encodingWarmupCpuMs / 1000} s of the process's CPU time (counted in CPU, not wall-clock, time: V8 optimizes after enough executions, and on a shared machine a process may get half a CPU); median (min–max) of ${r.settings.repetitions} fresh processes. Both sides produce bytes ready to write or send, as their exporters use them: stock a new Uint8Array from its serializer; tracepipe's JSON the capture-file line, in a Buffer from the file exporter's pool of reused Buffers (given back after each encode, as after each write), its protobuf a new Buffer.`,
    '',
  );
  const rows: string[][] = [];
  for (const [format, ours, theirs] of [
    ['OTLP/JSON', 'tracepipe-json', 'stock-json'],
    ['protobuf', 'tracepipe-proto', 'stock-proto'],
  ] as const) {
    const stockRate = pick(r.encoding[theirs], (s) => s.spansPerSec).median;
    for (const enc of [ours, theirs]) {
      const s = r.encoding[enc];
      if (!s?.length) continue;
      const rate = pick(s, (x) => x.spansPerSec);
      rows.push([
        format,
        ENCODER_LABEL[enc],
        ranged(rate, perSec),
        num(pick(s, (x) => x.mbPerSec).median),
        Math.round(pick(s, (x) => x.bytesPerBatch).median).toLocaleString('en-US'),
        enc === ours ? `**${ratio(rate.median, stockRate)}**` : '1×',
      ]);
    }
  }
  out.push(table(['format', 'encoder', 'spans/s', 'MB/s', 'bytes per batch', 'vs stock'], rows, 2), '');
  return out;
}

function forwardingSection(r: BenchResults): string[] {
  const out = ['## 6. Forwarding (`tracepipe serve`)', ''];
  if (!r.forwarding) return [...out, `Not measured: ${r.errors.forwarding ?? 'skipped'}.`, ''];
  out.push(
    `The forwarder runs alone in its process with its defaults and the heap tuning \`tracepipe serve\` applies (\`tuneHeapForForwarding\`: V8's heap growing factor fixed at ${1 + FORWARDER_HEAP_GROWING_PERCENT / 100}, see forwarding.md); two senders, each in its own process, replay one pre-encoded 512-span protobuf request with 8 in flight each for ${r.settings.forwardMs / 1000} s, after ${FORWARD_WARMUP_MS / 1000} s of warm-up counted on neither side (spans acknowledged, forwarder CPU); a request pushed back (RESOURCE_EXHAUSTED/429) is retried on that lane after the Retry-After the forwarder sends, or 1 s for gRPC (the OTLP exporters' first backoff); the gRPC destination is the discarding sink. spans/s = spans acknowledged ÷ (send window + the drain on shutdown that delivered them). Median (min–max) of ${r.settings.repetitions}.`,
    '',
    `*Durable queue*: the same run with \`receiver.queue_dir\` (\`serve --queue-dir\`) in a fresh temp dir (${r.machine.tmpFilesystem ?? 'the temp dir\'s filesystem'}), its other settings at their defaults: every request is acknowledged only once written to the log and \`fdatasync\`ed, one sync covering every request that arrived meanwhile (*log syncs/s*). Each durable run is interleaved right beside its memory-queue twin; *vs memory queue* is the ratio of their medians. The \`queue_sync: none\` row acknowledges once the log is written, without \`fdatasync\` (no target: shown for the price of the sync).`,
    '',
    r.forwardingOneCoreSkipped === undefined
      ? 'On one core, the forwarder process is confined to CPU 0 with `taskset` (its V8 and libuv helper threads share that core with its main thread) and the senders to the other CPUs; unconfined, the scheduler spreads all of them over the machine.'
      : `The run with the forwarder confined to one core was left out: ${r.forwardingOneCoreSkipped}.`,
    '',
  );
  if (r.forwardingBaseline !== undefined) {
    out.push(
      `*Baseline*: the forwarder of another build (${r.forwardingBaseline.commit}, \`--baseline\`) on one core, with the same senders and destination, run right beside this build's one-core run in each repetition; its row below, and the ratio of each side-by-side pair in the targets.`,
      '',
    );
  }
  const runs: { label: string; path: ForwardPath | undefined; s: ForwardSample[] | undefined }[] = (Object.keys(FORWARD_LABEL) as ForwardPath[]).map((p) => ({
    label: FORWARD_LABEL[p],
    path: p,
    s: r.forwarding?.[p],
  }));
  if (r.forwardingBaseline !== undefined) {
    runs.push({ label: `${FORWARD_LABEL['grpc-to-file-one-core']}: forwarder of ${r.forwardingBaseline.commit}`, path: undefined, s: r.forwardingBaseline.samples });
  }
  const rows = runs.flatMap(({ label, path: p, s }) => {
    if (!s?.length) return [];
    const twin = p === 'grpc-to-file-durable-no-sync' ? 'grpc-to-file' : DURABLE_TWINS.find(([durable]) => durable === p)?.[1];
    const memory = twin === undefined ? undefined : r.forwarding?.[twin];
    return [
      [
        label,
        ranged(pick(s, (x) => x.spansPerSec), perSec),
        memory?.length ? ratio(pick(s, (x) => x.spansPerSec).median, pick(memory, (x) => x.spansPerSec).median) : '—',
        num(pick(s, (x) => x.cpuUsPerSpan).median, 2),
        num(pick(s, (x) => x.peakRssMB).median),
        pick(s, (x) => x.rejected).median.toLocaleString('en-US'),
        pick(s, (x) => x.dropped).median.toLocaleString('en-US'),
        s[0]!.syncsPerSec === undefined ? '—' : num(pick(s, (x) => x.syncsPerSec ?? NaN).median, 0),
      ],
    ];
  });
  out.push(
    table(['path', 'spans/s', 'vs memory queue', 'forwarder CPU µs/span', 'forwarder peak RSS MB', 'requests pushed back', 'dropped', 'log syncs/s'], rows),
    '',
  );
  return out;
}

function uiSection(r: BenchResults): string[] {
  const out = ['## 7. Trace viewer (`tracepipe ui`) over a large capture', ''];
  const u = r.ui;
  if (!u?.length) return [...out, `Not measured: ${r.errors.ui ?? 'skipped'}.`, ''];
  const first = u[0]!;
  out.push(
    `A generated capture of ${(first.bytes / 1e9).toFixed(2)} GB (${first.spans.toLocaleString('en-US')} spans in ${first.traces.toLocaleString('en-US')} traces of 10 spans over 5 services, about ${Math.round(first.bytes / first.spans)} bytes of OTLP/JSON per span, 100 MiB files) is indexed by a fresh process (\`CaptureTraceSource.index\`, streaming); that process then answers each search ${UI_SEARCH_RUNS} times through the HTTP API (\`/api/summaries\`) and opens one trace (\`/api/traces/{id}\`, its spans read back from the capture). Peak RSS is the indexing process's. Median (min–max) of ${u.length} runs; search times are medians of each run's ${UI_SEARCH_RUNS}.`,
    '',
  );
  out.push(
    table(
      ['figure', 'measured', 'goal'],
      [
        ['indexing time', ranged(pick(u, (s) => s.indexSec), (v) => `${v.toFixed(1)} s`), '< 60 s'],
        ['peak RSS', ranged(pick(u, (s) => s.peakRssMB), (v) => `${num(v)} MB`), '< 500 MB'],
        ...Object.keys(UI_SEARCHES).map((name) => [`search: ${name}`, ranged(pick(u, (s) => s.searchMs[name]!.median), (v) => `${v.toFixed(1)} ms`), '< 200 ms']),
        ['open a trace', ranged(pick(u, (s) => s.openTraceMs.median), (v) => `${v.toFixed(1)} ms`), '—'],
      ],
    ),
    '',
  );
  return out;
}

/** The whole `docs/benchmarks.md`, generated from one run. */
export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const t = targets(r);
  const misses = t.filter((x) => x.verdict !== 'PASS').length;
  const lines = [
    '# Benchmarks',
    '',
    `<!-- generated by \`npm run bench\` (benchmarks/run.ts); edits are overwritten -->`,
    '',
    `Measured ${m.date} on ${m.cpuModel} (${m.cores} cores, ${m.memoryGB} GB), ${m.platform}, Node.js ${m.node}${r.settings.quick ? ', **quick mode** (fewer, shorter runs)' : ''}. The whole run took ${Math.round(r.elapsedSec)} s.`,
    '',
    `Calibration (a fixed pure-JS loop, ns per iteration; compare with your machine): ${ranged(r.calibration.before, (v) => v.toFixed(3))} before the run, ${ranged(r.calibration.after, (v) => v.toFixed(3))} after.`,
    '',
    'Method: every measurement runs in a fresh Node.js process; contenders are interleaved (A B A B …, the order flipped on every repetition) and repeated; each figure is the median with the min–max range, and every comparison is a ratio of medians. "stock" is the OpenTelemetry JS SDK as its documentation assembles it: `ParentBasedSampler(TraceIdRatioBasedSampler(rate/1e6))` + `BatchSpanProcessor` with its defaults.',
    '',
    `Versions: ${Object.entries(r.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}.`,
    '',
    '## Targets',
    '',
    table(
      ['figure', 'stock (issue anchor)', 'target', 'measured in this run', 'verdict'],
      t.map((x) => [x.figure, x.stock, x.goal, x.measured, x.verdict === 'PASS' ? 'PASS' : `**${x.verdict}**`]),
      5,
    ),
    '',
    misses === 0 ? 'Every target is met in this run.' : `${misses} of ${t.length} targets are not met in this run (marked **MISS** / **NOT MEASURED** above).`,
    '',
    ...overheadSection(r),
    ...throughputSection(r),
    ...burstSection(r),
    ...workloadSection(r),
    ...encodingSection(r),
    ...forwardingSection(r),
    ...uiSection(r),
  ];
  const errors = Object.entries(r.errors);
  if (errors.length > 0) {
    lines.push('## Errors in this run', '', ...errors.map(([section, message]) => `- ${section}: ${message}`), '');
  }
  lines.push(
    '## Reproduce',
    '',
    '```sh',
    'npm run bench              # everything, rewrites docs/benchmarks.md and docs/benchmarks-overhead.svg',
    'npm run bench -- --quick   # fewer, shorter runs',
    'npx tracepipe bench --rates 0,100,10000,1000000 --exporter grpc://collector:4317   # overhead with your own exporter',
    '```',
    '',
    `Raw samples of this run: [benchmarks-results.json](benchmarks-results.json).`,
    '',
  );
  return lines.join('\n');
}
