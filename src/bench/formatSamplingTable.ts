import type { SamplingBenchmarkResult } from './runSamplingBenchmark.js';
import type { SpanScenario } from './spanScenarioLoop.js';
import type { Summary } from './summarize.js';

export const SCENARIO_TITLES: Record<SpanScenario, string> = {
  span: 'root span: start + 5 attributes + end',
  nested: 'active parent + nested active child',
};

const ns = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

function fmt(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

/** The overhead result as aligned plain-text tables, one per scenario, for a terminal. */
export function formatSamplingTable(result: SamplingBenchmarkResult): string {
  const out: string[] = [];
  for (const scenario of result.scenarios) {
    const floor = result.floor[scenario];
    out.push(`${SCENARIO_TITLES[scenario]} — ns per span, median (min–max) of ${result.repetitions}`);
    out.push(`no-op API floor: ${ns(floor.nsPerSpan)}`);
    const header = ['rate/1e6'];
    for (const c of result.contenders) header.push(`${c} ns/span`, `${c} ×no-op`, `${c} cpu ns`);
    const lines = [header];
    for (const rate of result.rates) {
      const line = [String(rate)];
      for (const c of result.contenders) {
        const row = result.rows.find((r) => r.scenario === scenario && r.rate === rate && r.contender === c);
        if (!row) continue;
        line.push(ns(row.nsPerSpan), `${row.ratioToNoop.toFixed(1)}×`, fmt(row.cpuNsPerSpan.median));
      }
      lines.push(line);
    }
    const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
    for (const l of lines) out.push(l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
    out.push('');
  }
  const target = result.exporterUrl
    ? `exporting to ${result.exporterUrl}`
    : result.configPath
      ? `exporting as ${result.configPath} configures`
      : 'spans discarded after the pipeline (no exporter)';
  out.push(`${result.durationMs} ms per measurement after ${result.warmupMs} ms warm-up, each in a fresh process; ${target}.`);
  return `${out.join('\n')}\n`;
}
