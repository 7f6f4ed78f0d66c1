import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { JsonTraceEncoder } from '../otlp/json/JsonTraceEncoder.js';
import { TracepipeError } from '../errors.js';
import { parseTraceQuery } from './parseTraceQuery.js';
import { isLoopbackHost, parseUiAddr } from './parseUiAddr.js';
import { searchTraces } from './searchTraces.js';
import { toJaegerTrace } from './toJaegerTrace.js';
import type { TraceSource } from './TraceSource.js';

export interface UiServerOptions {
  source: TraceSource;
  /** `host:port`; 127.0.0.1 when the host is left out. Port 0 picks a free port. */
  addr: string;
  /** The flag or key `addr` came from, for errors. */
  addrKey?: string;
}

export interface UiServer {
  /** `http://host:port/`. */
  readonly url: string;
  /** Bound `host:port`. */
  readonly address: string;
  close(): Promise<void>;
}

/** The page's files, bundled at build time next to this module (scripts/buildPage.mjs). */
const PAGE_DIR = new URL('./page/', import.meta.url);
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};
const TRACE_ID = /^[0-9a-f]{1,32}$/;

/** Security headers on every answer: nothing from elsewhere runs, nothing is sniffed or framed. */
const COMMON_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), extra);
}

/** Jaeger's response envelope (`structuredResponse`): `{data, total, limit, offset, errors}`. */
function envelope(data: unknown, total: number) {
  return { data, total, limit: 0, offset: 0, errors: null };
}

/** A trace id as Jaeger's API takes it: hex, case-insensitive, leading zeros optional. */
function traceIdParam(text: string): string {
  const id = text.toLowerCase();
  if (!TRACE_ID.test(id)) throw new HttpProblem(400, `trace id must be up to 32 hex digits, got ${JSON.stringify(text)}`);
  return id.padStart(32, '0');
}

/**
 * Serves the trace viewer: the page (`/`, `/trace/<id>`), its bundled assets, and a read-only
 * JSON API shaped like Jaeger's query service (docs/ui.md). Only GET and HEAD are answered.
 * Bound to loopback, it answers only requests addressed to a loopback name, so a web page
 * elsewhere cannot read it through DNS rebinding.
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { source } = options;
  const addr = parseUiAddr(options.addr, options.addrKey ?? '--addr');
  const pageHtml = await readFile(new URL('index.html', PAGE_DIR)).catch(() => undefined);
  const encoder = new JsonTraceEncoder();

  const api = async (path: string, params: URLSearchParams, res: ServerResponse): Promise<void> => {
    const parts = path.split('/').slice(2).map(decodeURIComponent);
    const catalog = source.catalog;
    if (parts.length === 1 && parts[0] === 'services') {
      const services = catalog.services();
      return sendJson(res, 200, envelope(services, services.length));
    }
    if (parts.length === 3 && parts[0] === 'services' && parts[2] === 'operations') {
      const ops = catalog.operations(parts[1]!);
      return sendJson(res, 200, envelope(ops, ops.length));
    }
    if (parts.length === 1 && parts[0] === 'status') return sendJson(res, 200, source.status());
    if (parts.length === 1 && (parts[0] === 'traces' || parts[0] === 'summaries')) {
      const query = parseTraceQuery(params);
      const entries = await searchTraces(source, query);
      if (parts[0] === 'summaries') {
        const rows = entries.map((e) => catalog.summary(e));
        return sendJson(res, 200, envelope(rows, rows.length));
      }
      const traces = [];
      for (const e of entries) {
        const traceSpans = await source.spans(e.traceId);
        if (traceSpans !== undefined) traces.push(toJaegerTrace(e.traceId, traceSpans));
      }
      return sendJson(res, 200, envelope(traces, traces.length));
    }
    if ((parts.length === 2 || (parts.length === 3 && parts[2] === 'otlp')) && parts[0] === 'traces') {
      const traceId = traceIdParam(parts[1]!);
      const spans = await source.spans(traceId);
      if (spans === undefined || spans.length === 0) throw new HttpProblem(404, `trace ${traceId} not found`);
      if (parts.length === 3) {
        return send(res, 200, 'application/json; charset=utf-8', encoder.encode(spans), {
          'content-disposition': `attachment; filename="trace-${traceId}.json"`,
        });
      }
      return sendJson(res, 200, envelope([toJaegerTrace(traceId, spans)], 1));
    }
    throw new HttpProblem(404, `no API endpoint ${path}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (addr.loopback && !isLoopbackHost(hostName(req.headers.host ?? ''))) {
      return send(res, 403, 'text/plain; charset=utf-8', 'this viewer answers only requests to a loopback address\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'read-only: only GET and HEAD\n', { allow: 'GET, HEAD' });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    try {
      if (path.startsWith('/api/')) return await api(path, url.searchParams, res);
      if (path.startsWith('/assets/')) {
        const name = path.slice('/assets/'.length);
        const type = ASSETS[name];
        if (type === undefined) throw new HttpProblem(404, `no asset ${name}`);
        return send(res, 200, type, await readFile(new URL(name, PAGE_DIR)));
      }
      if (path === '/' || /^\/trace\/[^/]+$/.test(path)) {
        if (pageHtml === undefined) {
          return send(res, 500, 'text/plain; charset=utf-8', `the page is not built: ${fileURLToPath(PAGE_DIR)} has no index.html (npm run build)\n`);
        }
        return send(res, 200, 'text/html; charset=utf-8', pageHtml);
      }
      throw new HttpProblem(404, `not found: ${path}`);
    } catch (err) {
      if (err instanceof HttpProblem) return sendJson(res, err.status, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: err.status, msg: err.message }] });
      if (err instanceof TracepipeError && err.code === 'TRACEPIPE_UI_BAD_QUERY') {
        return sendJson(res, 400, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg: err.message }] });
      }
      throw err;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 500, msg: (err as Error).message }] });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new TracepipeError('TRACEPIPE_UI_LISTEN', `${options.addrKey ?? '--addr'}: cannot listen on ${options.addr}: ${cause.message}`, { cause })),
    );
    server.listen(addr.port, addr.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const address = `${host}:${bound.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address}/`,
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The host name of a Host header, without port or brackets. */
function hostName(host: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (m !== null) return m[1]!;
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}
