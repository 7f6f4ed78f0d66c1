/** The Jaeger-model JSON the API returns, and what the page derives from it. */
export interface KeyValue {
  key: string;
  type: string;
  value: string | number | boolean;
}
export interface Reference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}
export interface Span {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Reference[];
  startTime: number;
  duration: number;
  tags: KeyValue[];
  logs: { timestamp: number; fields: KeyValue[] }[];
  processID: string;
  flags: number;
}
export interface Process {
  serviceName: string;
  tags: KeyValue[];
}
export interface Trace {
  traceID: string;
  spans: Span[];
  processes: Record<string, Process>;
}
export interface Summary {
  traceID: string;
  rootService: string;
  rootOperation: string;
  rootIsTraceRoot: boolean;
  spanCount: number;
  errorCount: number;
  services: string[];
  startTime: number;
  duration: number;
}
export interface Status {
  mode: 'capture' | 'live';
  sources: string[];
  traces: number;
  spans: number;
  version: number;
  problems: { count: number; messages: string[] };
  evicted?: { traces: number; spans: number };
  maxSpans?: number;
}
export interface Envelope<T> {
  data: T;
  errors: { code: number; msg: string }[] | null;
}

export function tag(span: Span, key: string): KeyValue['value'] | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}

export function isError(span: Span): boolean {
  return tag(span, 'otel.status_code') === 'ERROR';
}

/** A node of the span tree, with its place in the full depth-first order. */
export interface Node {
  span: Span;
  depth: number;
  children: Node[];
  parent: Node | undefined;
}

/**
 * The span tree: a span is under the span its CHILD_OF reference names when that span is in
 * the trace; the others are roots. Children in start order. Iterative, so a 10,000-deep
 * chain does not overflow the stack.
 */
export function buildTree(trace: Trace): Node[] {
  const nodes = new Map<string, Node>();
  for (const span of trace.spans) nodes.set(span.spanID, { span, depth: 0, children: [], parent: undefined });
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parentId = node.span.references.find((r) => r.refType === 'CHILD_OF' && r.traceID === trace.traceID)?.spanID;
    const parent = parentId === undefined ? undefined : nodes.get(parentId);
    if (parent === undefined || parent === node) roots.push(node);
    else {
      node.parent = parent;
      parent.children.push(node);
    }
  }
  const byStart = (a: Node, b: Node) => a.span.startTime - b.span.startTime;
  roots.sort(byStart);
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    node.children.sort(byStart);
    for (let i = node.children.length - 1; i >= 0; i--) {
      node.children[i]!.depth = node.depth + 1;
      stack.push(node.children[i]!);
    }
  }
  return roots;
}

/** The rows shown: depth-first, skipping the children of collapsed spans. */
export function visibleRows(roots: Node[], collapsed: ReadonlySet<string>): Node[] {
  const out: Node[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    out.push(node);
    if (collapsed.has(node.span.spanID)) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#e15759', '#bab0ac'];

/** A colour per service, stable for a sorted list of services. */
export function serviceColors(services: string[]): Map<string, string> {
  return new Map([...new Set(services)].sort().map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
}

export function formatDuration(us: number): string {
  if (us < 1) return `${Math.round(us * 1000)}ns`;
  if (us < 1000) return `${+us.toFixed(2)}µs`;
  if (us < 1_000_000) return `${+(us / 1000).toFixed(2)}ms`;
  return `${+(us / 1_000_000).toFixed(2)}s`;
}

/** µs since the epoch as `2026-12-07 14:55:51.123456` (UTC). */
export function formatTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const micros = String(Math.floor(us % 1000)).padStart(3, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${micros}`;
}
