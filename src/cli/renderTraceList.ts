import type { TraceSummary } from '../capture/summarizeTraces.js';
import { formatDuration } from './formatDuration.js';
import type { Paint } from './useColor.js';

function isoTime(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** The trace list of `tracepipe view`: one row per trace, in the given order, with a header. */
export function renderTraceList(traces: readonly TraceSummary[], p: Paint): string {
  const header = ['START (UTC)', 'TRACE ID', 'ROOT SPAN', 'SERVICE', 'SPANS', 'DURATION', 'ERRORS'];
  const rows = traces.map((t) => [
    isoTime(t.startNs),
    t.traceId,
    t.hasRoot ? t.rootName : t.continued ? `(continued) ${t.rootName}` : `(no root) ${t.rootName}`,
    t.service,
    String(t.spanCount),
    formatDuration(t.durationNs),
    String(t.errorCount),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [p.bold(line(header))];
  traces.forEach((t, i) => {
    const text = line(rows[i]!);
    out.push(t.errorCount > 0 ? p.red(text) : text);
  });
  return `${out.join('\n')}\n`;
}
