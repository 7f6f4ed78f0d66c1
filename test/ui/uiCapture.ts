/**
 * A capture with known content, written by the real file exporter, for the UI's API and browser
 * tests: three traces over four services, in three capture lines (one trace split over two).
 *
 *   CHECKOUT  frontend "GET /checkout" (server, OK, 250ms)
 *               └ frontend "charge card" (client)
 *                   └ payments "POST /charge" (server, ERROR "card declined", exception event,
 *                     links to JOB's root and to a trace that is not in the capture)
 *   JOB       worker "process job" (consumer, tracestate) └ worker "db query" (client)
 *   XSS       frontend "<script>…" whose parent is remote (its local entry), attribute with HTML
 */
import type { HrTime, SpanKind } from '@opentelemetry/api';
import type { FileTarget } from '../../src/config/ExporterTarget.js';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { OtlpResource } from '../../src/otlp/OtlpResource.js';
import { OtlpSpan, type OtlpSpanInit } from '../../src/otlp/OtlpSpan.js';
import { OtlpTraceState } from '../../src/otlp/OtlpTraceState.js';
import { FileTraceExporter } from '../../src/exporters/file/FileTraceExporter.js';
import { silentLogger } from '../../src/logger.js';

export const CHECKOUT = '4bf92f3577b34da6a3ce929d0e0e4736';
export const JOB = '0af7651916cd43dd8448eb211c80319c';
export const XSS = '5b8efff798038103d269b633813fc60c';
export const ABSENT = 'ffffffffffffffffffffffffffffff01';
export const SPAN = {
  checkout: '1111111111111111',
  charge: '2222222222222222',
  pay: '3333333333333333',
  job: '4444444444444444',
  db: '5555555555555555',
  xss: '6666666666666666',
  remoteParent: '7777777777777777',
};
/** 2025-11-21 04:40:00 UTC, in µs. */
export const T0_US = 1_763_700_000_000_000;
export const XSS_NAME = '<script>window.__xss = 1</script>';
export const XSS_ATTRIBUTE = '<img src=x onerror="window.__xss = 2">';
export const STACK = 'Error: card declined\n    at charge (payments.js:10:5)\n    at handle (server.js:42:3)';

const at = (ms: number): HrTime => [1_763_700_000 + Math.floor(ms / 1000), (ms % 1000) * 1e6];

const frontend = new OtlpResource({ 'service.name': 'frontend', 'host.name': 'web-1' });
const payments = new OtlpResource({ 'service.name': 'payments' });
const worker = new OtlpResource({ 'service.name': 'worker', 'deployment.environment': 'test' });
const scope = { name: 'tracepipe-ui-test', version: '1.2.3' };

function span(init: Partial<OtlpSpanInit> & Pick<OtlpSpanInit, 'traceId' | 'spanId' | 'name' | 'resource'>): OtlpSpan {
  return new OtlpSpan({
    parentSpanId: '',
    traceState: undefined,
    flags: 1,
    kind: 0 as SpanKind,
    startTime: at(0),
    endTime: at(1),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0 },
    instrumentationScope: scope,
    ...init,
  });
}

export function uiSpans() {
  const checkout = span({
    traceId: CHECKOUT, spanId: SPAN.checkout, name: 'GET /checkout', resource: frontend, kind: 1 as SpanKind,
    startTime: at(0), endTime: at(250), status: { code: 1 },
    attributes: { 'http.method': 'GET', 'http.route': '/checkout', 'http.status_code': 200 },
  });
  const charge = span({
    traceId: CHECKOUT, spanId: SPAN.charge, parentSpanId: SPAN.checkout, name: 'charge card', resource: frontend, kind: 2 as SpanKind,
    startTime: at(10), endTime: at(200), attributes: { 'peer.service': 'payments' },
  });
  const pay = span({
    traceId: CHECKOUT, spanId: SPAN.pay, parentSpanId: SPAN.charge, flags: 0x301, name: 'POST /charge', resource: payments, kind: 1 as SpanKind,
    startTime: at(20), endTime: at(190), status: { code: 2, message: 'card declined' },
    attributes: { 'http.route': '/charge', 'payment.amount': 12.5, retried: false },
    events: [{ name: 'exception', time: at(180), attributes: { 'exception.type': 'Error', 'exception.message': 'card declined', 'exception.stacktrace': STACK } }],
    links: [
      { context: { traceId: JOB, spanId: SPAN.job, traceFlags: 1 }, attributes: {}, flags: 1 },
      { context: { traceId: ABSENT, spanId: SPAN.db, traceFlags: 1 }, attributes: {}, flags: 1 },
    ],
  });
  const job = span({
    traceId: JOB, spanId: SPAN.job, name: 'process job', resource: worker, kind: 4 as SpanKind,
    startTime: at(1000), endTime: at(1500), traceState: new OtlpTraceState('vendor=abc'), attributes: { 'job.id': 'j-42' },
  });
  const db = span({
    traceId: JOB, spanId: SPAN.db, parentSpanId: SPAN.job, name: 'db query', resource: worker, kind: 2 as SpanKind,
    startTime: at(1100), endTime: at(1200), attributes: { 'db.system': 'postgresql' },
  });
  const xss = span({
    traceId: XSS, spanId: SPAN.xss, parentSpanId: SPAN.remoteParent, flags: 0x301, name: XSS_NAME, resource: frontend, kind: 1 as SpanKind,
    startTime: at(2000), endTime: at(2005), attributes: { note: XSS_ATTRIBUTE },
  });
  return { checkout, charge, pay, job, db, xss };
}

/** Writes the capture into `dir` with tracepipe's file exporter: three lines. */
export async function writeUiCapture(dir: string): Promise<void> {
  const s = uiSpans();
  const exporter = new FileTraceExporter(parseExporterUrl(`file://${dir}`) as FileTarget, { stats: new PipelineStats(), logger: silentLogger });
  await exporter.export([s.pay, s.db]);
  await exporter.export([s.checkout, s.charge, s.job]);
  await exporter.export([s.xss]);
  await exporter.shutdown();
}
