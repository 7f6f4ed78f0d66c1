import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { getData } from './api.js';
import { buildTree, formatDuration, formatTime, isError, serviceColors, tag, visibleRows, type Node, type Trace } from './model.js';
import { SpanDetails } from './SpanDetails.js';

const ROW_HEIGHT = 26;
/** Rows drawn above and below the visible ones, so scrolling shows no gaps. */
const OVERSCAN = 12;

export function TracePage({ traceId, spanId }: { traceId: string; spanId: string | undefined }) {
  const [trace, setTrace] = useState<Trace | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    getData<Trace[]>(`/api/traces/${encodeURIComponent(traceId)}`).then(
      (data) => setTrace(data[0]),
      (e: Error) => setError(e.message),
    );
  }, [traceId]);
  if (error !== undefined) {
    return (
      <main class="trace">
        <p class="error" role="alert">
          {error}
        </p>
        <a href="/">Back to search</a>
      </main>
    );
  }
  if (trace === undefined) return <main class="trace">Loading trace {traceId}…</main>;
  return <TraceView trace={trace} initialSpan={spanId} />;
}

function TraceView({ trace, initialSpan }: { trace: Trace; initialSpan: string | undefined }) {
  const roots = useMemo(() => buildTree(trace), [trace]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | undefined>(initialSpan ?? roots[0]?.span.spanID);
  const rows = useMemo(() => visibleRows(roots, collapsed), [roots, collapsed]);
  const byId = useMemo(() => new Map(trace.spans.map((s) => [s.spanID, s])), [trace]);
  const services = useMemo(() => [...new Set(Object.values(trace.processes).map((p) => p.serviceName))], [trace]);
  const colors = useMemo(() => serviceColors(services), [services]);
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  const total = Math.max(end - start, 1);
  const errors = trace.spans.filter(isError).length;
  const root = roots[0]?.span;
  const withChildren = useMemo(() => {
    const ids: string[] = [];
    const stack = [...roots];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.children.length > 0) ids.push(node.span.spanID);
      stack.push(...node.children);
    }
    return ids;
  }, [roots]);

  const toggle = (id: string, open?: boolean) =>
    setCollapsed((c) => {
      const next = new Set(c);
      const isOpen = !c.has(id);
      if (open ?? !isOpen) next.delete(id);
      else next.add(id);
      return next;
    });

  const select = (id: string) => {
    // A span hidden under a collapsed ancestor is revealed.
    setCollapsed((c) => {
      let node = findNode(roots, id);
      const next = new Set(c);
      for (node = node?.parent; node !== undefined; node = node.parent) next.delete(node.span.spanID);
      return next.size === c.size ? c : next;
    });
    setSelected(id);
    const url = new URL(location.href);
    url.searchParams.set('span', id);
    history.replaceState(null, '', url);
  };

  const selectedSpan = selected === undefined ? undefined : byId.get(selected);
  return (
    <main class="trace">
      <div class="trace-head">
        <h1>
          <span class="svc" style={{ borderColor: root ? colors.get(trace.processes[root.processID]?.serviceName ?? '') : undefined }}>
            {root ? trace.processes[root.processID]?.serviceName : ''}
          </span>{' '}
          {root?.operationName}
        </h1>
        <div class="trace-meta">
          <span class="trace-id">{trace.traceID}</span>
          <span>{trace.spans.length} spans</span>
          <span>{services.length} services</span>
          <span>{formatDuration(total)}</span>
          <span>started {formatTime(start)} UTC</span>
          {errors > 0 && <span class="err-mark">⚠ {errors} error{errors === 1 ? '' : 's'}</span>}
          <a class="button" href={`/api/traces/${trace.traceID}/otlp`} download={`trace-${trace.traceID}.json`}>
            Download OTLP/JSON
          </a>
          <button type="button" onClick={() => setCollapsed(new Set())}>
            Expand all
          </button>
          <button type="button" onClick={() => setCollapsed(new Set(withChildren))}>
            Collapse all
          </button>
        </div>
      </div>
      <div class="split">
        <Waterfall rows={rows} collapsed={collapsed} selected={selected} start={start} total={total} colors={colors} trace={trace} onSelect={select} onToggle={toggle} />
        {selectedSpan !== undefined && <SpanDetails span={selectedSpan} trace={trace} traceStart={start} byId={byId} onSelect={select} />}
      </div>
    </main>
  );
}

/** Depth-first search without recursion; traces are at most tens of thousands of spans. */
function findNode(roots: Node[], id: string): Node | undefined {
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.span.spanID === id) return node;
    stack.push(...node.children);
  }
  return undefined;
}

interface WaterfallProps {
  rows: Node[];
  collapsed: ReadonlySet<string>;
  selected: string | undefined;
  start: number;
  total: number;
  colors: Map<string, string>;
  trace: Trace;
  onSelect: (id: string) => void;
  onToggle: (id: string, open?: boolean) => void;
}

/** The span rows on a common time axis; only the rows in view are in the DOM. */
function Waterfall({ rows, collapsed, selected, start, total, colors, trace, onSelect, onToggle }: WaterfallProps) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = box.current!;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const index = rows.findIndex((r) => r.span.spanID === selected);
  useEffect(() => {
    const el = box.current;
    if (el === null || index < 0) return;
    const top = index * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }, [index]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const onKeyDown = (e: KeyboardEvent) => {
    const row = rows[index];
    let next: number | undefined;
    if (e.key === 'ArrowDown') next = Math.min(rows.length - 1, index + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, index - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = rows.length - 1;
    else if (e.key === 'PageDown') next = Math.min(rows.length - 1, index + Math.floor(height / ROW_HEIGHT));
    else if (e.key === 'PageUp') next = Math.max(0, index - Math.floor(height / ROW_HEIGHT));
    else if (e.key === 'ArrowRight' && row !== undefined && row.children.length > 0) onToggle(row.span.spanID, true);
    else if (e.key === 'ArrowLeft' && row !== undefined) {
      if (row.children.length > 0 && !collapsed.has(row.span.spanID)) onToggle(row.span.spanID, false);
      else if (row.parent !== undefined) onSelect(row.parent.span.spanID);
    } else return;
    e.preventDefault();
    if (next !== undefined && rows[next] !== undefined) onSelect(rows[next]!.span.spanID);
  };

  return (
    <div
      class="waterfall"
      ref={box}
      tabIndex={0}
      role="tree"
      aria-label="Spans"
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div class="wf-inner" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
        {rows.slice(first, last).map((node, i) => {
          const span = node.span;
          const service = trace.processes[span.processID]?.serviceName ?? '';
          const color = colors.get(service);
          const open = !collapsed.has(span.spanID);
          const error = isError(span);
          const left = ((span.startTime - start) / total) * 100;
          const width = Math.max((span.duration / total) * 100, 0.2);
          return (
            <div
              key={span.spanID}
              class={`wf-row${span.spanID === selected ? ' selected' : ''}${error ? ' error' : ''}`}
              style={{ top: `${(first + i) * ROW_HEIGHT}px` }}
              role="treeitem"
              aria-level={node.depth + 1}
              aria-selected={span.spanID === selected}
              aria-expanded={node.children.length > 0 ? open : undefined}
              data-span-id={span.spanID}
              onClick={() => onSelect(span.spanID)}
            >
              <div class="wf-name" style={{ paddingLeft: `${Math.min(node.depth, 40) * 14 + 4}px` }}>
                {node.children.length > 0 ? (
                  <button
                    type="button"
                    class="toggle"
                    tabIndex={-1}
                    aria-label={open ? 'Collapse' : 'Expand'}
                    onClick={(e) => {
                      e.stopPropagation();
                      onToggle(span.spanID);
                    }}
                  >
                    {open ? '▾' : '▸'}
                  </button>
                ) : (
                  <span class="toggle-space" />
                )}
                <span class="svc-dot" style={{ background: color }} />
                <span class="svc-name">{service}</span> <span class="op">{span.operationName}</span>
                {error && <span class="err-mark"> ⚠</span>}
                {!open && <span class="hidden-count"> ({node.children.length})</span>}
              </div>
              <div class="wf-lane">
                <div class="wf-bar" style={{ left: `${left}%`, width: `${width}%`, background: color }} title={String(tag(span, 'span.kind') ?? '')} />
                <span class="wf-dur" style={left + width > 85 ? { right: `${100 - left - width}%`, color: 'var(--on-bar)' } : { left: `${left + width}%` }}>
                  {formatDuration(span.duration)}
                </span>
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
