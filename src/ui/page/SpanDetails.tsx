import { useEffect, useState } from 'preact/hooks';
import { formatDuration, formatTime, isError, tag, type KeyValue, type Span, type Trace } from './model.js';

/** Tags that toJaegerTrace adds for OTLP fields: shown as those fields, not as attributes. */
const OTLP_TAGS = new Set(['span.kind', 'otel.status_code', 'otel.status_description', 'otel.scope.name', 'otel.scope.version', 'w3c.tracestate']);

interface Props {
  span: Span;
  trace: Trace;
  traceStart: number;
  byId: Map<string, Span>;
  onSelect: (id: string) => void;
}

export function SpanDetails({ span, trace, traceStart, byId, onSelect }: Props) {
  const process = trace.processes[span.processID];
  const parentId = span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
  const links = span.references.filter((r) => r.refType === 'FOLLOWS_FROM');
  const error = isError(span);
  const attributes = span.tags.filter((t) => !OTLP_TAGS.has(t.key) && !(t.key === 'error' && t.type === 'bool' && error));
  const status = String(tag(span, 'otel.status_code') ?? 'UNSET');
  const statusMessage = tag(span, 'otel.status_description');
  const traceState = tag(span, 'w3c.tracestate');
  return (
    <aside class="details" aria-label="Span details">
      <h2>{span.operationName}</h2>
      <table class="kv">
        <tbody>
          <Row k="Service" v={process?.serviceName ?? ''} />
          <Row k="Kind" v={String(tag(span, 'span.kind') ?? 'unspecified')} />
          <tr>
            <th>Status</th>
            <td class={error ? 'error' : ''}>
              {status}
              {statusMessage !== undefined && `: ${String(statusMessage)}`}
            </td>
          </tr>
          <Row k="Span ID" v={span.spanID} mono />
          <Row k="Trace ID" v={span.traceID} mono />
          <tr>
            <th>Parent</th>
            <td class="mono">
              {parentId === undefined ? (
                'none (root span)'
              ) : byId.has(parentId) ? (
                <button type="button" class="linkish" onClick={() => onSelect(parentId)}>
                  {parentId} ({byId.get(parentId)!.operationName})
                </button>
              ) : (
                `${parentId} (not in this trace's data)`
              )}
            </td>
          </tr>
          <Row k="Start" v={`${formatTime(span.startTime)} UTC (+${formatDuration(span.startTime - traceStart)})`} />
          <Row k="Duration" v={formatDuration(span.duration)} />
          <Row k="Trace flags" v={`${span.flags.toString(16).padStart(2, '0')}${span.flags & 1 ? ' (sampled)' : ''}`} mono />
          {traceState !== undefined && <Row k="Tracestate" v={String(traceState)} mono />}
          <Row k="Scope" v={`${String(tag(span, 'otel.scope.name') ?? '')} ${String(tag(span, 'otel.scope.version') ?? '')}`.trim() || '(none)'} />
        </tbody>
      </table>
      <Section title="Attributes" items={attributes} />
      <Section title="Resource" items={[{ key: 'service.name', type: 'string', value: process?.serviceName ?? '' }, ...(process?.tags ?? [])]} />
      <h3>Events ({span.logs.length})</h3>
      {span.logs.length === 0 ? (
        <p class="none">none</p>
      ) : (
        <ol class="events">
          {span.logs.map((log) => {
            const name = log.fields.find((f) => f.key === 'event')?.value ?? '(unnamed)';
            const fields = log.fields.filter((f) => f.key !== 'event');
            return (
              <li>
                <div class="event-head">
                  <strong>{String(name)}</strong> <span class="note">+{formatDuration(log.timestamp - span.startTime)} into the span</span>
                </div>
                <KeyValues items={fields} />
              </li>
            );
          })}
        </ol>
      )}
      <h3>Links ({links.length})</h3>
      {links.length === 0 ? <p class="none">none</p> : <ul class="links">{links.map((l) => <LinkItem link={l} trace={trace} onSelect={onSelect} />)}</ul>}
    </aside>
  );
}

function Row({ k, v, mono }: { k: string; v: string; mono?: boolean }) {
  return (
    <tr>
      <th>{k}</th>
      <td class={mono ? 'mono' : ''}>{v}</td>
    </tr>
  );
}

function Section({ title, items }: { title: string; items: KeyValue[] }) {
  return (
    <>
      <h3>
        {title} ({items.length})
      </h3>
      {items.length === 0 ? <p class="none">none</p> : <KeyValues items={items} />}
    </>
  );
}

/** Key/value pairs; long or multi-line values (stack traces) keep their line breaks. */
function KeyValues({ items }: { items: KeyValue[] }) {
  return (
    <table class="kv attrs">
      <tbody>
        {items.map((kv) => {
          const text = String(kv.value);
          return (
            <tr>
              <th>{kv.key}</th>
              <td>{text.includes('\n') ? <pre>{text}</pre> : <span class={kv.type === 'string' ? '' : 'typed'}>{text}</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function LinkItem({ link, trace, onSelect }: { link: { traceID: string; spanID: string }; trace: Trace; onSelect: (id: string) => void }) {
  const [present, setPresent] = useState<boolean | undefined>(link.traceID === trace.traceID ? true : undefined);
  useEffect(() => {
    if (link.traceID === trace.traceID) return;
    fetch(`/api/traces/${link.traceID}`, { method: 'HEAD' }).then(
      (r) => setPresent(r.ok),
      () => setPresent(false),
    );
  }, [link.traceID, trace.traceID]);
  const label = `${link.traceID} / ${link.spanID}`;
  if (link.traceID === trace.traceID) {
    return (
      <li class="mono">
        <button type="button" class="linkish" onClick={() => onSelect(link.spanID)}>
          {label}
        </button>{' '}
        (this trace)
      </li>
    );
  }
  return (
    <li class="mono">
      {present ? <a href={`/trace/${link.traceID}?span=${link.spanID}`}>{label}</a> : label}
      {present === false && <span class="note"> (not in this capture)</span>}
    </li>
  );
}
