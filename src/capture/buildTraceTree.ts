import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { hrTimeToNs } from './spanTime.js';

export interface TraceTreeNode {
  span: ReadableSpan;
  startNs: bigint;
  endNs: bigint;
  /** Sorted by start time. */
  children: TraceTreeNode[];
}

function byStart(a: TraceTreeNode, b: TraceTreeNode): number {
  return a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0;
}

/**
 * The spans of one trace as a forest: each span under its parent, children by start time.
 * Spans whose parent is not in `spans` (the root, or orphans of a partial capture) are roots.
 */
export function buildTraceTree(spans: readonly ReadableSpan[]): TraceTreeNode[] {
  const nodes = new Map<string, TraceTreeNode>();
  for (const span of spans) {
    nodes.set(span.spanContext().spanId, { span, startNs: hrTimeToNs(span.startTime), endNs: hrTimeToNs(span.endTime), children: [] });
  }
  const roots: TraceTreeNode[] = [];
  for (const node of nodes.values()) {
    const parentId = node.span.parentSpanContext?.spanId;
    const parent = parentId === undefined ? undefined : nodes.get(parentId);
    if (parent === undefined || parent === node) roots.push(node);
    else parent.children.push(node);
  }
  // Spans whose parent chain loops (a corrupt capture) are reachable from no root: cut each
  // loop above its earliest span and make that span a root, so every span is shown.
  const reached = new Set<TraceTreeNode>();
  const mark = (node: TraceTreeNode): void => {
    reached.add(node);
    for (const child of node.children) if (!reached.has(child)) mark(child);
  };
  for (const root of roots) mark(root);
  for (const node of [...nodes.values()].sort(byStart)) {
    if (reached.has(node)) continue;
    const parent = nodes.get(node.span.parentSpanContext!.spanId)!;
    parent.children.splice(parent.children.indexOf(node), 1);
    roots.push(node);
    mark(node);
  }
  const sort = (list: TraceTreeNode[]): void => {
    list.sort(byStart);
    for (const n of list) sort(n.children);
  };
  sort(roots);
  return roots;
}
