import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { TracepipeError } from '../errors.js';
import { type Logger, createLogger } from '../logger.js';
import { DiagnosticsMetrics } from './DiagnosticsMetrics.js';
import { HeartbeatMonitor } from './HeartbeatMonitor.js';
import { parseDiagAddr } from './parseDiagAddr.js';
import type { PipelineStats } from '../stats/PipelineStats.js';
import type { Profiler } from './Profiler.js';
import { ProfilerBusyError } from './ProfilerBusyError.js';
import { PROCESS_STATE_HTTP, Readiness } from './Readiness.js';

export interface DiagnosticsOptions {
  /** `host:port`; `:port` or a bare port binds 127.0.0.1; port 0 picks a free one. */
  addr: string;
  /** Serves /debug/pprof/* (404 otherwise). */
  debug?: boolean;
  stats: PipelineStats;
  /** The exporter's probe, run while idle as a readiness heartbeat. */
  probe?: () => Promise<void>;
  /** Probe period while healthy; default 60 s. */
  heartbeatIntervalMs?: number;
  /** Probe period after a failed heartbeat; default 5 s. */
  heartbeatRetryIntervalMs?: number;
  /**
   * True while spans wait for the exporter: then a probe runs as soon as no heartbeat came for
   * `heartbeatRetryIntervalMs`, so an export that hangs does not hide an outage.
   */
  busy?: () => boolean;
  /** A probe that has not answered within this is a failed heartbeat; unbounded by default. */
  probeTimeoutMs?: number;
  logger?: Logger;
}

export interface DiagnosticsServer {
  /** `http://host:port` of the bound socket. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Report other components here: `readiness.setService('receiver', { status: 'healthy' })`. */
  readonly readiness: Readiness;
  /** This service's own registry, for adding application metrics to /metrics. */
  readonly registry: Registry;
  /** Stops listening, ends a running CPU profile early and waits for in-flight responses. */
  close(): Promise<void>;
}

const DEFAULT_HEARTBEAT_INTERVAL_MS = 60_000;
const DEFAULT_HEARTBEAT_RETRY_INTERVAL_MS = 5_000;
/** Go's net/http/pprof default. */
const DEFAULT_PROFILE_SECONDS = 30;
const MAX_PROFILE_SECONDS = 600;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
interface Route {
  methods: readonly string[];
  handle: Handler;
}

/**
 * Starts the diagnostics HTTP service (Teleport's and tbot's diagnostics endpoints):
 * /healthz, /livez, /readyz[/service], /metrics and, in debug mode, /debug/pprof/{profile,heap}.
 */
export async function startDiagnostics(options: DiagnosticsOptions): Promise<DiagnosticsServer> {
  const logger = options.logger ?? createLogger();
  const addr = parseDiagAddr(options.addr);
  const readiness = new Readiness(logger);
  const heartbeats = new HeartbeatMonitor({
    stats: options.stats,
    readiness,
    probe: options.probe,
    intervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    retryIntervalMs: options.heartbeatRetryIntervalMs ?? DEFAULT_HEARTBEAT_RETRY_INTERVAL_MS,
    busy: options.busy,
    probeTimeoutMs: options.probeTimeoutMs,
  });
  const metrics = new DiagnosticsMetrics(options.stats, readiness, heartbeats);
  // The profiler's native addon (~12 MB) is loaded only when profiles are served.
  const profiler = options.debug ? new (await import('./Profiler.js')).Profiler() : undefined;
  const heapProblem = profiler?.startHeap();
  if (heapProblem !== undefined) logger.warn({ reason: heapProblem }, 'diagnostics: heap profiling is unavailable');

  const routes = buildRoutes(readiness, metrics, profiler, logger);
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = serve(routes, req, res, logger).finally(() => inFlight.delete(done));
    inFlight.add(done);
  });

  const stopAll = () => {
    heartbeats.stop();
    metrics.close();
    profiler?.close();
  };
  try {
    await listen(server, addr.host, addr.port);
  } catch (err) {
    stopAll();
    const reason = err instanceof Error ? err.message : String(err);
    throw new TracepipeError('TRACEPIPE_DIAGNOSTICS_LISTEN', `cannot start the diagnostics service on ${options.addr}: ${reason}`, {
      cause: err,
    });
  }

  const bound = server.address() as AddressInfo;
  const url = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  if (!addr.loopback) {
    logger.warn(
      { addr: options.addr },
      'diagnostics: listening on a non-loopback address; anyone who can reach it can read metrics' + (options.debug ? ' and take profiles' : ''),
    );
  }
  logger.info({ url, debug: options.debug === true }, 'diagnostics: listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    host: bound.address,
    port: bound.port,
    readiness,
    registry: metrics.registry,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        stopAll();
        await Promise.allSettled([...inFlight]);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

/** The routes of one service; `/readyz/{service}` exists only for a known service, so an unknown name is 404. */
function buildRoutes(
  readiness: Readiness,
  metrics: DiagnosticsMetrics,
  profiler: Profiler | undefined,
  logger: Logger,
): (path: string) => Route | undefined {
  const get = ['GET', 'HEAD'];
  const routes = new Map<string, Route>([
    ['/healthz', { methods: get, handle: (_req, res) => sendJson(res, 200, { status: 'ok' }) }],
    ['/livez', { methods: get, handle: (_req, res) => sendJson(res, 200, { status: 'ok' }) }],
    [
      '/readyz',
      {
        methods: get,
        handle: (_req, res) => {
          const report = readiness.report();
          sendJson(res, PROCESS_STATE_HTTP[report.status], report);
        },
      },
    ],
    [
      '/metrics',
      {
        methods: get,
        handle: async (_req, res) => {
          let text: string;
          try {
            text = await metrics.scrape();
          } catch (err) {
            logger.error({ error: err instanceof Error ? err.message : String(err) }, 'diagnostics: cannot render metrics');
            sendJson(res, 500, { error: 'cannot render metrics' });
            return;
          }
          send(res, 200, metrics.contentType, text);
        },
      },
    ],
  ]);
  const lookup = (path: string): Route | undefined => routes.get(path) ?? serviceRoute(readiness, path);
  if (profiler === undefined) return lookup;

  routes.set('/debug/pprof/', {
    methods: get,
    handle: (_req, res) =>
      send(res, 200, 'text/plain; charset=utf-8', 'profile?seconds=N  CPU (wall and CPU time) profile, default 30 s\nheap               heap allocation samples\n'),
  });
  routes.set('/debug/pprof/profile', {
    // Never HEAD: it would profile for seconds to send no body.
    methods: ['GET'],
    handle: async (_req, res, url) => {
      const raw = url.searchParams.get('seconds');
      const seconds = raw === null ? DEFAULT_PROFILE_SECONDS : /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(seconds >= 1 && seconds <= MAX_PROFILE_SECONDS)) {
        sendJson(res, 400, { error: `seconds must be an integer from 1 to ${MAX_PROFILE_SECONDS}` });
        return;
      }
      // A client that gives up must not hold the profiler (and 409 everyone else) for minutes.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      let profile: Buffer;
      try {
        profile = await profiler.cpu(seconds, gone.signal);
      } catch (err) {
        if (err instanceof ProfilerBusyError) sendJson(res, 409, { error: err.message });
        else throw err;
        return;
      }
      sendProfile(res, 'profile', profile);
    },
  });
  routes.set('/debug/pprof/heap', {
    methods: ['GET'],
    handle: async (_req, res) => sendProfile(res, 'heap', await profiler.heap()),
  });
  return lookup;
}

function serviceRoute(readiness: Readiness, path: string): Route | undefined {
  if (!path.startsWith('/readyz/')) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(path.slice('/readyz/'.length));
  } catch {
    return undefined;
  }
  if (readiness.service(name) === undefined) return undefined;
  return {
    methods: ['GET', 'HEAD'],
    handle: (_req, res) => {
      // Read again at response time: the route was resolved a moment earlier.
      const status = readiness.service(name) ?? { status: 'unhealthy', reason: 'unknown service' };
      sendJson(res, status.status === 'healthy' ? 200 : 503, status);
    },
  };
}

async function serve(routes: (path: string) => Route | undefined, req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  // The request body is never read; drain it so keep-alive connections stay usable.
  req.resume();
  const url = new URL(req.url ?? '/', 'http://diagnostics');
  const route = routes(url.pathname);
  if (route === undefined) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  if (!route.methods.includes(req.method ?? '')) {
    res.setHeader('Allow', route.methods.join(', '));
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  try {
    await route.handle(req, res, url);
  } catch (err) {
    logger.error({ path: url.pathname, error: err instanceof Error ? err.message : String(err) }, 'diagnostics: request failed');
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    else res.destroy();
  }
}

function sendProfile(res: ServerResponse, name: string, body: Buffer): void {
  res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
  send(res, 200, 'application/octet-stream', body);
}

function sendJson(res: ServerResponse, code: number, value: unknown): void {
  send(res, code, 'application/json', JSON.stringify(value));
}

function send(res: ServerResponse, code: number, contentType: string, body: string | Buffer): void {
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
