import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpanKind } from '@opentelemetry/api';
import { OtlpResource } from '../../src/otlp/OtlpResource.js';
import { OtlpSpan } from '../../src/otlp/OtlpSpan.js';
import { TraceCatalog, type TraceEntry } from '../../src/ui/TraceCatalog.js';
import { SORTS, type TraceQuery } from '../../src/ui/TraceQuery.js';

const resource = new OtlpResource({ 'service.name': 'svc' });

/** 600 one-span traces with starts and durations in a scrambled order, many of them equal. */
function catalog(): TraceCatalog {
  const c = new TraceCatalog();
  for (let i = 0; i < 600; i++) {
    const start = (i * 7919) % 97;
    const duration = (i * 104_729) % 13;
    c.add(
      new OtlpSpan({
        traceId: (i + 1).toString(16).padStart(32, '0'), spanId: '0000000000000001', parentSpanId: '', traceState: undefined, flags: 1,
        name: 'op', kind: 0 as SpanKind, startTime: [1_700_000_000 + start, 0], endTime: [1_700_000_000 + start + duration, 0],
        attributes: { i, even: i % 2 === 0 }, droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0,
        status: { code: 0 }, resource, instrumentationScope: { name: 's' },
      }),
    );
  }
  return c;
}

test('the first `limit` candidates are those of a full sort, in every order (ties broken by trace id)', () => {
  const c = catalog();
  const ids = (entries: TraceEntry[]) => entries.map((e) => e.traceId);
  for (const sort of SORTS) {
    const all: TraceQuery = { tags: [], errorsOnly: false, limit: 10_000, sort };
    const full = ids(c.candidates(all));
    assert.equal(full.length, 600);
    for (const limit of [1, 7, 20, 149]) assert.deepEqual(ids(c.candidates({ ...all, limit })), full.slice(0, limit), `${sort} ${limit}`);
  }
});

test('the attribute filter keeps every trace that has the pair (no false negatives)', () => {
  const c = catalog();
  const query: TraceQuery = { tags: [['even', 'true']], errorsOnly: false, limit: 20, sort: 'oldest' };
  const kept = new Set(c.candidates(query).map((e) => e.traceId));
  for (let i = 0; i < 600; i += 2) assert.ok(kept.has((i + 1).toString(16).padStart(32, '0')), `trace ${i}`);
  assert.ok(kept.size < 600, 'and leaves out most of the others');
  assert.deepEqual(c.candidates({ ...query, tags: [['i', '17']] }).map((e) => e.traceId).includes((18).toString(16).padStart(32, '0')), true);
});
