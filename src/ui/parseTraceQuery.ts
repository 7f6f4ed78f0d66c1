import { TracepipeError } from '../errors.js';
import { DEFAULT_LIMIT, MAX_LIMIT, SORTS, type TraceQuery } from './TraceQuery.js';

const UNIT_US: Record<string, number> = { ns: 1e-3, us: 1, µs: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };
const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/;

function bad(message: string): never {
  throw new TracepipeError('TRACEPIPE_UI_BAD_QUERY', message);
}

/** A duration as Jaeger's query service takes it (Go's time.ParseDuration units: `1.5s`, `250ms`), in µs. */
function durationUs(name: string, text: string): number {
  const m = DURATION.exec(text.trim());
  if (m === null) bad(`${name} must be a duration such as 250ms, 1.5s or 100us, got ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_US[m[2]!]!;
}

function microseconds(name: string, text: string): number {
  if (!/^\d+$/.test(text)) bad(`${name} must be microseconds since the epoch, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Reads the query parameters of Jaeger's `GET /api/traces`: service, operation, tags (a JSON
 * object of key to value; also `tag=key:value`, repeatable), minDuration, maxDuration, start and
 * end (µs since the epoch), limit; and tracepipe's own `errors=true` and `sort`. A bad value
 * throws TRACEPIPE_UI_BAD_QUERY naming the parameter.
 */
export function parseTraceQuery(params: URLSearchParams): TraceQuery {
  const text = (name: string): string | undefined => {
    const v = params.get(name);
    return v === null || v === '' ? undefined : v;
  };
  const tags: [string, string][] = [];
  const tagsJson = text('tags');
  if (tagsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(tagsJson);
    } catch {
      bad(`tags must be a JSON object such as {"http.method":"GET"}, got ${JSON.stringify(tagsJson)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) bad(`tags must be a JSON object such as {"http.method":"GET"}, got ${JSON.stringify(tagsJson)}`);
    for (const [k, v] of Object.entries(parsed)) tags.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  for (const tag of params.getAll('tag')) {
    const colon = tag.indexOf(':');
    if (colon <= 0) bad(`tag must be key:value, got ${JSON.stringify(tag)}`);
    tags.push([tag.slice(0, colon), tag.slice(colon + 1)]);
  }
  const limitText = text('limit');
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) bad(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limitText)}`);
  const sort = text('sort') ?? 'recent';
  if (!(SORTS as string[]).includes(sort)) bad(`sort must be one of ${SORTS.join(', ')}, got ${JSON.stringify(sort)}`);
  const errors = text('errors');
  if (errors !== undefined && errors !== 'true' && errors !== 'false') bad(`errors must be true or false, got ${JSON.stringify(errors)}`);
  const min = text('minDuration');
  const max = text('maxDuration');
  const start = text('start');
  const end = text('end');
  return {
    service: text('service'),
    operation: text('operation'),
    tags,
    minDurationUs: min === undefined ? undefined : durationUs('minDuration', min),
    maxDurationUs: max === undefined ? undefined : durationUs('maxDuration', max),
    startUs: start === undefined ? undefined : microseconds('start', start),
    endUs: end === undefined ? undefined : microseconds('end', end),
    errorsOnly: errors === 'true',
    limit,
    sort: sort as TraceQuery['sort'],
  };
}
