import { useEffect, useMemo, useState } from 'preact/hooks';
import { getData, getJson } from './api.js';
import { navigate } from './navigate.js';
import { formatDuration, formatTime, serviceColors, type Status, type Summary } from './model.js';

const FIELDS = ['service', 'operation', 'tags', 'minDuration', 'maxDuration', 'start', 'end', 'limit', 'sort', 'errors'] as const;
type Field = (typeof FIELDS)[number];
type Form = Record<Field, string>;

function formFrom(search: string): Form {
  const p = new URLSearchParams(search);
  const form = {} as Form;
  for (const f of FIELDS) form[f] = p.get(f) ?? '';
  return form;
}

/** `key=value key2="a value"` into pairs; a word without `=` is an error. */
export function parseTags(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([^\s=]+)=(?:"([^"]*)"|(\S*))/y;
  let rest = text.trim();
  while (rest !== '') {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (m === null) throw new Error(`tags: expected key=value, got ${JSON.stringify(rest.split(/\s+/)[0])}`);
    out[m[1]!] = m[2] ?? m[3] ?? '';
    rest = rest.slice(re.lastIndex).trim();
  }
  return out;
}

/** A `datetime-local` value read as UTC (the page shows every time in UTC), in µs since the epoch. */
function utcMicros(value: string): string {
  const ms = Date.parse(`${value}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a date and time: ${value}`);
  return String(ms * 1000);
}

/** The API query for a form: tags as Jaeger's JSON object, times in µs. */
function apiQuery(form: Form): string {
  const p = new URLSearchParams();
  for (const f of FIELDS) {
    const v = form[f].trim();
    if (v === '') continue;
    if (f === 'tags') p.set('tags', JSON.stringify(parseTags(v)));
    else if (f === 'start' || f === 'end') p.set(f, utcMicros(v));
    else p.set(f, v);
  }
  return p.toString();
}

export function SearchPage({ search }: { search: string }) {
  const submitted = useMemo(() => formFrom(search), [search]);
  const [form, setForm] = useState<Form>(submitted);
  const [services, setServices] = useState<string[]>([]);
  const [operations, setOperations] = useState<string[]>([]);
  const [status, setStatus] = useState<Status | undefined>();
  const [results, setResults] = useState<Summary[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => setForm(submitted), [submitted]);
  useEffect(() => {
    getData<string[]>('/api/services').then(setServices, (e: Error) => setError(e.message));
  }, [status?.version]);
  useEffect(() => {
    if (form.service === '') return setOperations([]);
    getData<string[]>(`/api/services/${encodeURIComponent(form.service)}/operations`).then(setOperations, () => setOperations([]));
  }, [form.service, status?.version]);

  // Live sources change: poll their version and search again when it moves.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const s = await getJson<Status>('/api/status');
        if (!stopped) setStatus((old) => (old?.version === s.version && old.traces === s.traces ? old : s));
        if (s.mode !== 'live') return;
      } catch {
        // The server went away for a moment: try again.
      }
      if (!stopped) timer = setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  useEffect(() => {
    let query: string;
    try {
      query = apiQuery(submitted);
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    getData<Summary[]>(`/api/summaries?${query}`).then(
      (rows) => {
        setResults(rows);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  }, [submitted, status?.version]);

  const set = (field: Field) => (e: Event) => {
    const target = e.currentTarget as HTMLInputElement;
    const value = target.type === 'checkbox' ? (target.checked ? 'true' : '') : target.value;
    setForm((f) => ({ ...f, [field]: value, ...(field === 'service' ? { operation: '' } : {}) }));
  };
  const onSubmit = (e: Event) => {
    e.preventDefault();
    try {
      apiQuery(form);
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    const p = new URLSearchParams();
    for (const f of FIELDS) if (form[f].trim() !== '') p.set(f, form[f].trim());
    navigate(`/${p.size > 0 ? `?${p}` : ''}`);
  };
  const colors = serviceColors(services);

  return (
    <main class="search">
      <form class="filters" onSubmit={onSubmit} aria-label="Find traces">
        <label>
          Service
          <select name="service" value={form.service} onChange={set('service')}>
            <option value="">any</option>
            {services.map((s) => (
              <option value={s}>{s || '(no service.name)'}</option>
            ))}
          </select>
        </label>
        <label>
          Operation
          <select name="operation" value={form.operation} onChange={set('operation')} disabled={form.service === ''}>
            <option value="">any</option>
            {operations.map((o) => (
              <option value={o}>{o}</option>
            ))}
          </select>
        </label>
        <label class="wide">
          Attributes
          <input name="tags" placeholder='http.route=/users error=true k="a b"' value={form.tags} onInput={set('tags')} />
        </label>
        <label>
          Min duration
          <input name="minDuration" placeholder="100ms" value={form.minDuration} onInput={set('minDuration')} />
        </label>
        <label>
          Max duration
          <input name="maxDuration" placeholder="2s" value={form.maxDuration} onInput={set('maxDuration')} />
        </label>
        <label>
          From (UTC)
          <input name="start" type="datetime-local" step="1" value={form.start} onInput={set('start')} />
        </label>
        <label>
          To (UTC)
          <input name="end" type="datetime-local" step="1" value={form.end} onInput={set('end')} />
        </label>
        <label>
          Limit
          <input name="limit" type="number" min="1" max="10000" placeholder="20" value={form.limit} onInput={set('limit')} />
        </label>
        <label>
          Sort
          <select name="sort" value={form.sort} onChange={set('sort')}>
            <option value="">most recent</option>
            <option value="oldest">oldest</option>
            <option value="longest">longest</option>
            <option value="shortest">shortest</option>
          </select>
        </label>
        <label class="check">
          <input name="errors" type="checkbox" checked={form.errors === 'true'} onChange={set('errors')} />
          Errors only
        </label>
        <button type="submit">Find traces</button>
      </form>
      <StatusLine status={status} />
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {results !== undefined && status !== undefined && status.traces > 0 && (
        <Results rows={results} colors={colors} />
      )}
    </main>
  );
}

function StatusLine({ status }: { status: Status | undefined }) {
  if (status === undefined) return <p class="status">Loading…</p>;
  const where = status.sources.join(', ');
  return (
    <div class="status">
      {status.traces === 0 ? (
        <p class="empty" role="status">
          {status.mode === 'live' ? `No traces received yet on ${where}: send some and they appear here.` : `No traces in ${where}.`}
        </p>
      ) : (
        <p>
          {status.traces} trace{status.traces === 1 ? '' : 's'}, {status.spans} span{status.spans === 1 ? '' : 's'} {status.mode === 'live' ? 'received on' : 'in'} {where}
          {status.evicted !== undefined && status.evicted.traces > 0 && ` (${status.evicted.traces} older traces, ${status.evicted.spans} spans evicted to stay within ${status.maxSpans} spans)`}
        </p>
      )}
      {status.problems.count > 0 && (
        <details class="problems">
          <summary>
            {status.problems.count} capture line{status.problems.count === 1 ? '' : 's'} could not be read
          </summary>
          <ul>
            {status.problems.messages.map((m) => (
              <li>{m}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function Results({ rows, colors }: { rows: Summary[]; colors: Map<string, string> }) {
  if (rows.length === 0) return <p class="empty">No traces match.</p>;
  const longest = Math.max(...rows.map((r) => r.duration), 1);
  return (
    <table class="results">
      <caption>
        {rows.length} trace{rows.length === 1 ? '' : 's'}
      </caption>
      <thead>
        <tr>
          <th>Trace</th>
          <th>Spans</th>
          <th>Services</th>
          <th>Duration</th>
          <th>Start (UTC)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr class={r.errorCount > 0 ? 'has-error' : ''} data-trace-id={r.traceID}>
            <td>
              <a href={`/trace/${r.traceID}`} class="trace-link">
                <span class="svc" style={{ borderColor: colors.get(r.rootService) }}>
                  {r.rootService || '(no service.name)'}
                </span>{' '}
                {r.rootOperation}
              </a>
              {!r.rootIsTraceRoot && <span class="note" title="the trace's root span is not here: this is its local entry span"> (partial)</span>}
              {r.errorCount > 0 && (
                <span class="err-mark" title={`${r.errorCount} error span(s)`}>
                  {' '}
                  ⚠ {r.errorCount} error{r.errorCount === 1 ? '' : 's'}
                </span>
              )}
              <div class="trace-id">{r.traceID}</div>
            </td>
            <td class="num">{r.spanCount}</td>
            <td>
              {r.services.map((s) => (
                <span class="svc" style={{ borderColor: colors.get(s) }}>
                  {s || '(none)'}
                </span>
              ))}
            </td>
            <td class="num">
              <span class="dur-bar" style={{ width: `${(r.duration / longest) * 100}%` }} />
              {formatDuration(r.duration)}
            </td>
            <td>{formatTime(r.startTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
