import { SpanStatusCode } from '@opentelemetry/api';
import type { TraceTreeNode } from '../capture/buildTraceTree.js';
import { serviceOf } from '../capture/summarizeTraces.js';
import { formatDuration } from './formatDuration.js';
import type { Paint } from './useColor.js';

const MAX_LABEL = 60;

interface Row {
  label: string;
  prefix: string;
  node: TraceTreeNode;
}

/**
 * One trace as a tree with a timing bar per span (a waterfall): each bar starts and ends at the
 * span's place on the trace's time axis, `barWidth` characters wide. The service is named at the
 * roots and wherever it changes from the parent's.
 */
export function renderWaterfall(roots: readonly TraceTreeNode[], p: Paint, barWidth = 40): string {
  const rows: Row[] = [];
  const walk = (node: TraceTreeNode, prefix: string, childPrefix: string, parentService: string | undefined): void => {
    const service = serviceOf(node.span);
    const label = service !== parentService && service !== '' ? `${node.span.name} (${service})` : node.span.name;
    rows.push({ prefix, label, node });
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      walk(child, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`, service);
    });
  };
  for (const root of roots) walk(root, '', '', undefined);
  if (rows.length === 0) return '';

  let t0 = rows[0]!.node.startNs;
  let t1 = rows[0]!.node.endNs;
  for (const { node } of rows) {
    if (node.startNs < t0) t0 = node.startNs;
    if (node.endNs > t1) t1 = node.endNs;
  }
  const total = t1 > t0 ? Number(t1 - t0) : 1;
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const labels = rows.map((r) => clip(r.prefix + r.label, MAX_LABEL));
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const durations = rows.map((r) => formatDuration(r.node.endNs - r.node.startNs));
  const durationWidth = Math.max(...durations.map((d) => d.length));

  return rows
    .map((r, i) => {
      const from = Math.min(barWidth - 1, Math.floor((Number(r.node.startNs - t0) / total) * barWidth));
      const to = Math.max(from + 1, Math.min(barWidth, Math.round((Number(r.node.endNs - t0) / total) * barWidth)));
      const error = r.node.span.status.code === SpanStatusCode.ERROR;
      const bar = ' '.repeat(from) + (error ? p.red : p.cyan)('█'.repeat(to - from)) + ' '.repeat(barWidth - to);
      const label = labels[i]!;
      const head = r.prefix === '' ? label : p.dim(label.slice(0, r.prefix.length)) + label.slice(r.prefix.length);
      const status = error ? `  ${p.red(`ERROR${r.node.span.status.message ? ` ${r.node.span.status.message}` : ''}`)}` : '';
      return `${head}${' '.repeat(labelWidth - label.length)}  ${durations[i]!.padStart(durationWidth)} |${bar}|${status}`;
    })
    .join('\n')
    .concat('\n');
}
