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
  const sort = (list: TraceTreeNode[]): void => {
    list.sort(byStart);
    for (const n of list) sort(n.children);
  };
  sort(roots);
  return roots;
}
