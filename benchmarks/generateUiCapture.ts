import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpanKind } from '@opentelemetry/api';
import { JsonTraceEncoder } from '../src/otlp/json/JsonTraceEncoder.js';
import { OtlpResource } from '../src/otlp/OtlpResource.js';
import { OtlpSpan } from '../src/otlp/OtlpSpan.js';

export interface GeneratedCapture {
  bytes: number;
  spans: number;
  traces: number;
  files: number;
}

const TRACES_PER_LINE = 50;
const SPANS_PER_TRACE = 10;
const FILE_LIMIT = 100 * 1024 * 1024;
const SERVICES = ['frontend', 'checkout', 'payments', 'inventory', 'shipping'];
/** Placeholders the template is written with, replaced per line: 24 hex digits of trace id, 10 digits of seconds. */
const ID_PREFIX = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const SECONDS = 1_700_000_000;

/**
 * One capture line of 50 traces of 10 spans over 5 services, each span with 4 attributes, each
 * root with an event: about 500 bytes of OTLP/JSON per span, so 1 GB holds about 2M spans (the
 * issue's figure). Written once by the real encoder, then repeated with new trace ids and times.
 */
function template(): string {
  const resources = SERVICES.map((s) => new OtlpResource({ 'service.name': s, 'service.version': '1.4.2', 'host.name': `${s}-7f9c` }));
  const spans: OtlpSpan[] = [];
  for (let t = 0; t < TRACES_PER_LINE; t++) {
    const traceId = `${ID_PREFIX}${t.toString(16).padStart(8, '0')}`;
    for (let i = 0; i < SPANS_PER_TRACE; i++) {
      const start = t * 10_000_000 + i * 1_000_000;
      const error = t % 25 === 0 && i === SPANS_PER_TRACE - 1;
      spans.push(
        new OtlpSpan({
          traceId,
          spanId: (t * SPANS_PER_TRACE + i + 1).toString(16).padStart(16, '0'),
          parentSpanId: i === 0 ? '' : (t * SPANS_PER_TRACE + 1).toString(16).padStart(16, '0'),
          traceState: undefined,
          flags: 1,
          name: i === 0 ? `GET /api/items/{id}` : `${['SELECT items', 'GET inventory', 'POST charge', 'publish order'][i % 4]}`,
          kind: (i === 0 ? 1 : 2) as SpanKind,
          startTime: [SECONDS, start],
          endTime: [SECONDS, start + (i === 0 ? 9_000_000 : 500_000 + ((t * 7919 + i * 104_729) % 400_000))],
          attributes: {
            'http.request.method': 'GET',
            'url.path': `/api/items/${t * 10 + i}`,
            'http.response.status_code': error ? 500 : 200,
            'app.customer.id': `c-${(t * 31) % 1000}`,
          },
          droppedAttributesCount: 0,
          events: i === 0 ? [{ name: 'cache lookup', time: [SECONDS, start + 100_000], attributes: { 'cache.key': `item:${t}` } }] : [],
          droppedEventsCount: 0,
          links: [],
          droppedLinksCount: 0,
          status: { code: error ? 2 : 0, ...(error ? { message: 'upstream failed' } : {}) },
          resource: resources[(t + i) % SERVICES.length]!,
          instrumentationScope: { name: 'bench.ui', version: '1.0.0' },
        }),
      );
    }
  }
  return new JsonTraceEncoder().encode(spans);
}

/** Writes about `targetBytes` of capture files into `dir` (rotating at 100 MiB, like the exporter's default). */
export async function generateUiCapture(dir: string, targetBytes: number): Promise<GeneratedCapture> {
  const line = template();
  let bytes = 0;
  let lines = 0;
  let files = 0;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let fileBytes = 0;
  const chunk: string[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    await handle!.write(chunk.join(''));
    chunk.length = 0;
  };
  while (bytes < targetBytes) {
    if (handle === undefined || fileBytes >= FILE_LIMIT) {
      await flush();
      await handle?.close();
      handle = await open(join(dir, `${String(1_000_000_000 + files)}-bench.trace`), 'w');
      files++;
      fileBytes = 0;
    }
    const text = `${line.replaceAll(ID_PREFIX, (lines + 1).toString(16).padStart(24, '0')).replaceAll(`"${SECONDS}`, `"${SECONDS + lines}`)}\n`;
    chunk.push(text);
    const n = Buffer.byteLength(text);
    bytes += n;
    fileBytes += n;
    lines++;
    if (chunk.length >= 32) await flush();
  }
  await flush();
  await handle?.close();
  return { bytes, spans: lines * TRACES_PER_LINE * SPANS_PER_TRACE, traces: lines * TRACES_PER_LINE, files };
}
