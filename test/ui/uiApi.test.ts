import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { decodeTracesJson } from '../../src/otlp/json/decodeTracesJson.js';
import { CaptureTraceSource } from '../../src/ui/CaptureTraceSource.js';
import { startUiServer, type UiServer } from '../../src/ui/startUiServer.js';
import { tempDirs } from '../support/tempDirs.js';
import { ABSENT, CHECKOUT, JOB, SPAN, STACK, T0_US, XSS, XSS_NAME, writeUiCapture } from './uiCapture.js';

const tempDir = tempDirs('tracepipe-ui-api-');
let server: UiServer;
let source: CaptureTraceSource;

const progress: number[] = [];
let captureBytes = 0;

before(async () => {
  const dir = await tempDir();
  await writeUiCapture(dir);
  for (const name of await readdir(dir)) captureBytes += (await stat(join(dir, name))).size;
  source = await CaptureTraceSource.index([dir], { onProgress: (bytes) => progress.push(bytes) });
  server = await startUiServer({ source, addr: '127.0.0.1:0' });
});
after(() => server.close());

async function get(path: string, init: RequestInit = {}) {
  const res = await fetch(new URL(path, server.url), init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

async function traceIds(query: string): Promise<string[]> {
  const res = await get(`/api/traces?${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json().data.map((t: { traceID: string }) => t.traceID);
}

test('the index holds the capture: 3 traces, 6 spans, the split trace noted at both of its lines', () => {
  const status = source.status();
  assert.equal(status.traces, 3);
  assert.equal(status.spans, 6);
  assert.deepEqual(status.problems, { count: 0, messages: [] });
  assert.equal(source.catalog.get(CHECKOUT)!.locations.length, 6, 'two (file, offset, bytes) triples');
  assert.equal(source.catalog.get(JOB)!.locations.length, 6);
  assert.equal(source.catalog.get(XSS)!.locations.length, 3);
  assert.equal(progress.length, 3, 'progress after each line');
  assert.equal(progress[2], captureBytes);
});

test('GET /api/services and /api/services/{service}/operations list exactly what the capture holds', async () => {
  assert.deepEqual((await get('/api/services')).json(), { data: ['frontend', 'payments', 'worker'], total: 3, limit: 0, offset: 0, errors: null });
  assert.deepEqual((await get('/api/services/frontend/operations')).json().data, [XSS_NAME, 'GET /checkout', 'charge card']);
  assert.deepEqual((await get('/api/services/payments/operations')).json().data, ['POST /charge']);
  assert.deepEqual((await get('/api/services/worker/operations')).json().data, ['db query', 'process job']);
  assert.deepEqual((await get('/api/services/nobody/operations')).json().data, []);
});

const filterCases: [string, string, string[]][] = [
  ['no filter: most recent first', '', [XSS, JOB, CHECKOUT]],
  ['service (any span of it)', 'service=payments', [CHECKOUT]],
  ['service and operation', `service=frontend&operation=${encodeURIComponent('charge card')}`, [CHECKOUT]],
  ['an operation of another service matches nothing', `service=worker&operation=${encodeURIComponent('charge card')}`, []],
  ['unknown service', 'service=nobody', []],
  ['tags JSON, a span attribute', `tags=${encodeURIComponent('{"db.system":"postgresql"}')}`, [JOB]],
  ['tags JSON, a number compared as text', `tags=${encodeURIComponent('{"http.status_code":"200"}')}`, [CHECKOUT]],
  ['tags JSON, two tags on different spans', `tags=${encodeURIComponent('{"http.route":"/charge","http.method":"GET"}')}`, [CHECKOUT]],
  ['tags JSON, no trace has both', `tags=${encodeURIComponent('{"db.system":"postgresql","http.method":"GET"}')}`, []],
  ['tag=key:value, a resource attribute', 'tag=host.name:web-1', [XSS, CHECKOUT]],
  ['error=true as Jaeger tags it', `tags=${encodeURIComponent('{"error":"true"}')}`, [CHECKOUT]],
  ['errors only', 'errors=true', [CHECKOUT]],
  ['minDuration', 'minDuration=300ms', [JOB]],
  ['maxDuration', 'maxDuration=100ms', [XSS]],
  ['minDuration and maxDuration', 'minDuration=0.1s&maxDuration=250000us', [CHECKOUT]],
  ['start (µs)', `start=${T0_US + 900_000}`, [XSS, JOB]],
  ['end (µs)', `end=${T0_US + 1_500_000}`, [JOB, CHECKOUT]],
  ['limit', 'limit=1', [XSS]],
  ['sort longest', 'sort=longest', [JOB, CHECKOUT, XSS]],
  ['sort oldest', 'sort=oldest', [CHECKOUT, JOB, XSS]],
  ['sort shortest with limit', 'sort=shortest&limit=2', [XSS, CHECKOUT]],
];
for (const [name, query, expected] of filterCases) {
  test(`GET /api/traces filters: ${name}`, async () => {
    assert.deepEqual(await traceIds(query), expected);
  });
}

test('bad query parameters are answered 400 in Jaeger\'s error shape, naming the parameter', async () => {
  const cases: [string, string][] = [
    ['limit=0', 'limit must be an integer from 1 to 10000, got "0"'],
    ['minDuration=fast', 'minDuration must be a duration such as 250ms, 1.5s or 100us, got "fast"'],
    ['tags=nope', 'tags must be a JSON object such as {"http.method":"GET"}, got "nope"'],
    ['tag=novalue', 'tag must be key:value, got "novalue"'],
    ['start=yesterday', 'start must be microseconds since the epoch, got "yesterday"'],
    ['sort=random', 'sort must be one of recent, oldest, longest, shortest, got "random"'],
  ];
  for (const [query, msg] of cases) {
    const res = await get(`/api/traces?${query}`);
    assert.equal(res.status, 400, query);
    assert.deepEqual(res.json(), { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg }] });
  }
});

test('GET /api/traces/{id} answers the trace in Jaeger\'s model, OTLP fields as Jaeger\'s translator tags them', async () => {
  const res = await get(`/api/traces/${CHECKOUT.toUpperCase()}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const body = res.json();
  assert.equal(body.total, 1);
  assert.equal(body.errors, null);
  const trace = body.data[0];
  assert.equal(trace.traceID, CHECKOUT);
  assert.equal(trace.warnings, null);
  assert.deepEqual(trace.processes, {
    p1: { serviceName: 'frontend', tags: [{ key: 'host.name', type: 'string', value: 'web-1' }] },
    p2: { serviceName: 'payments', tags: [] },
  });
  assert.deepEqual(
    trace.spans.map((s: { spanID: string }) => s.spanID),
    [SPAN.checkout, SPAN.charge, SPAN.pay],
  );
  assert.deepEqual(trace.spans[0], {
    traceID: CHECKOUT,
    spanID: SPAN.checkout,
    operationName: 'GET /checkout',
    references: [],
    startTime: T0_US,
    duration: 250_000,
    tags: [
      { key: 'http.method', type: 'string', value: 'GET' },
      { key: 'http.route', type: 'string', value: '/checkout' },
      { key: 'http.status_code', type: 'int64', value: 200 },
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'OK' },
      { key: 'otel.scope.name', type: 'string', value: 'tracepipe-ui-test' },
      { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
    ],
    logs: [],
    processID: 'p1',
    warnings: null,
    flags: 1,
  });
  assert.deepEqual(trace.spans[2], {
    traceID: CHECKOUT,
    spanID: SPAN.pay,
    operationName: 'POST /charge',
    references: [
      { refType: 'CHILD_OF', traceID: CHECKOUT, spanID: SPAN.charge },
      { refType: 'FOLLOWS_FROM', traceID: JOB, spanID: SPAN.job },
      { refType: 'FOLLOWS_FROM', traceID: ABSENT, spanID: SPAN.db },
    ],
    startTime: T0_US + 20_000,
    duration: 170_000,
    tags: [
      { key: 'http.route', type: 'string', value: '/charge' },
      { key: 'payment.amount', type: 'float64', value: 12.5 },
      { key: 'retried', type: 'bool', value: false },
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'error', type: 'bool', value: true },
      { key: 'otel.status_description', type: 'string', value: 'card declined' },
      { key: 'otel.scope.name', type: 'string', value: 'tracepipe-ui-test' },
      { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
    ],
    logs: [
      {
        timestamp: T0_US + 180_000,
        fields: [
          { key: 'event', type: 'string', value: 'exception' },
          { key: 'exception.type', type: 'string', value: 'Error' },
          { key: 'exception.message', type: 'string', value: 'card declined' },
          { key: 'exception.stacktrace', type: 'string', value: STACK },
        ],
      },
    ],
    processID: 'p2',
    warnings: null,
    flags: 1,
  });
  const job = (await get(`/api/traces/${JOB}`)).json().data[0];
  assert.deepEqual(job.spans[0].tags.slice(-1), [{ key: 'w3c.tracestate', type: 'string', value: 'vendor=abc' }]);
  assert.deepEqual(job.spans[0].tags.find((t: { key: string }) => t.key === 'span.kind'), { key: 'span.kind', type: 'string', value: 'consumer' });
});

test('GET /api/traces returns whole traces in the same model', async () => {
  const body = (await get('/api/traces?service=worker')).json();
  assert.equal(body.total, 1);
  assert.deepEqual(body.data[0], (await get(`/api/traces/${JOB}`)).json().data[0]);
});

test('a trace not in the capture is 404, a malformed id 400', async () => {
  const missing = await get(`/api/traces/${ABSENT}`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json().errors, [{ code: 404, msg: `trace ${ABSENT} not found` }]);
  const bad = await get('/api/traces/not-hex');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json().errors, [{ code: 400, msg: 'trace id must be up to 32 hex digits, got "not-hex"' }]);
  assert.equal((await get(`/api/traces/${ABSENT}`, { method: 'HEAD' })).status, 404);
  assert.equal((await get(`/api/traces/${JOB}`, { method: 'HEAD' })).status, 200);
});

test('GET /api/summaries lists rows for the search page: root, or the local entry span when the root is remote', async () => {
  const body = (await get('/api/summaries')).json();
  assert.deepEqual(body.data, [
    { traceID: XSS, rootService: 'frontend', rootOperation: XSS_NAME, rootIsTraceRoot: false, spanCount: 1, errorCount: 0, services: ['frontend'], startTime: T0_US + 2_000_000, duration: 5_000 },
    { traceID: JOB, rootService: 'worker', rootOperation: 'process job', rootIsTraceRoot: true, spanCount: 2, errorCount: 0, services: ['worker'], startTime: T0_US + 1_000_000, duration: 500_000 },
    { traceID: CHECKOUT, rootService: 'frontend', rootOperation: 'GET /checkout', rootIsTraceRoot: true, spanCount: 3, errorCount: 1, services: ['frontend', 'payments'], startTime: T0_US, duration: 250_000 },
  ]);
});

test('GET /api/traces/{id}/otlp downloads the trace as OTLP/JSON TracesData that decodes to its spans', async () => {
  const res = await get(`/api/traces/${CHECKOUT}/otlp`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-disposition'), `attachment; filename="trace-${CHECKOUT}.json"`);
  const decoded = decodeTracesJson(res.text);
  assert.equal(decoded.rejected, 0);
  assert.deepEqual(decoded.spans.map((s) => s.spanContext().spanId).sort(), [SPAN.checkout, SPAN.charge, SPAN.pay].sort());
  const pay = decoded.spans.find((s) => s.spanContext().spanId === SPAN.pay)!;
  assert.equal(pay.events[0]!.attributes!['exception.stacktrace'], STACK);
  assert.equal(pay.links.length, 2);
});

test('the page is served at / and /trace/<id> with its bundle; nothing else is', async () => {
  for (const path of ['/', `/trace/${CHECKOUT}`]) {
    const res = await get(path);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(res.text, /<script type="module" src="\/assets\/app.js"><\/script>/);
    assert.match(res.headers.get('content-security-policy')!, /^default-src 'self';/);
  }
  const js = await get('/assets/app.js');
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await get('/assets/app.css')).status, 200);
  assert.equal((await get('/assets/index.html')).status, 404);
  assert.equal((await get('/assets/../../../package.json')).status, 404);
  assert.equal((await get('/nope')).status, 404);
});

test('read-only: every method but GET and HEAD is refused with 405', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const res = await get('/api/traces', { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  }
});

test('on loopback, a request addressed to another host name (DNS rebinding) is refused with 403', async () => {
  const url = new URL(server.url);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/api/services', headers: { host: 'attacker.example:8000' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 403);
  assert.equal((await get('/api/services', { headers: { host: `localhost:${url.port}` } })).status, 200);
});

test('an empty capture directory and unreadable lines are reported by /api/status', async () => {
  const empty = await tempDir();
  const emptySource = await CaptureTraceSource.index([empty]);
  assert.deepEqual(emptySource.status(), { mode: 'capture', sources: [empty], traces: 0, spans: 0, version: 0, problems: { count: 0, messages: [] } });
  const bad = await tempDir();
  const file = join(bad, '1-a.trace');
  await writeFile(file, 'not json\n');
  const badSource = await CaptureTraceSource.index([bad]);
  const status = badSource.status();
  assert.equal(status.traces, 0);
  assert.equal(status.problems.count, 1);
  assert.match(status.problems.messages[0]!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1 is not JSON`));
});

test('a missing capture path is an error naming it', async () => {
  const missing = join(await tempDir(), 'gone');
  await assert.rejects(CaptureTraceSource.index([missing]), { code: 'TRACEPIPE_CAPTURE_READ', message: `capture ${missing} does not exist` });
});

test('an address in use is TRACEPIPE_UI_LISTEN naming the flag', async () => {
  const port = new URL(server.url).port;
  await assert.rejects(startUiServer({ source, addr: `127.0.0.1:${port}`, addrKey: '--ui' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TRACEPIPE_UI_LISTEN');
    assert.match(err.message, new RegExp(`^--ui: cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`));
    return true;
  });
});

test('an attribute search finds an int64 past 2^53 written as a JSON number, read exactly', async () => {
  const dir = await tempDir();
  const line = (traceId: string, big: string) =>
    `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"big"}}]},"scopeSpans":[{"spans":[{"traceId":"${traceId}","spanId":"1111111111111111","name":"n","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000000001000","attributes":[{"key":"big","value":{"intValue":${big}}}]}]}]}]}\n`;
  await writeFile(join(dir, '1-a.trace'), line('a'.repeat(32), '9007199254740993') + line('b'.repeat(32), '9007199254740992'));
  const bigSource = await CaptureTraceSource.index([dir]);
  const bigServer = await startUiServer({ source: bigSource, addr: '127.0.0.1:0' });
  try {
    for (const [value, expected] of [['9007199254740993', ['a'.repeat(32)]], ['9007199254740992', ['b'.repeat(32)]]] as const) {
      const res = await fetch(`${bigServer.url}api/summaries?tags=${encodeURIComponent(JSON.stringify({ big: value }))}`);
      assert.deepEqual(((await res.json()) as { data: { traceID: string }[] }).data.map((r) => r.traceID), expected, value);
    }
    const trace = (await (await fetch(`${bigServer.url}api/traces/${'a'.repeat(32)}`)).json()) as { data: { spans: { tags: unknown[] }[] }[] };
    assert.deepEqual(trace.data[0]!.spans[0]!.tags[0], { key: 'big', type: 'int64', value: 9007199254740992 });
  } finally {
    await bigServer.close();
  }
});

test('a Teleport capture (bare ResourceSpans, base64 ids) is indexed and its traces open', async () => {
  const teleport = fileURLToPath(new URL('../../../test/fixtures/teleport', import.meta.url));
  const tpSource = await CaptureTraceSource.index([teleport]);
  const tpServer = await startUiServer({ source: tpSource, addr: '127.0.0.1:0' });
  try {
    const services = (await (await fetch(`${tpServer.url}api/services`)).json()) as { data: string[] };
    assert.deepEqual(services.data, ['teleport']);
    const trace = (await (await fetch(`${tpServer.url}api/traces/0af7651916cd43dd8448eb211c80319c`)).json()) as { data: { spans: { spanID: string; operationName: string }[] }[] };
    assert.deepEqual(
      trace.data[0]!.spans.map((s) => [s.spanID, s.operationName]),
      [
        ['b7ad6b7169203331', 'auth/GenerateUserCerts'],
        ['c7ad6b7169203332', 'backend/Get'],
      ],
    );
    assert.equal(tpSource.status().problems.count, 0);
  } finally {
    await tpServer.close();
  }
});
