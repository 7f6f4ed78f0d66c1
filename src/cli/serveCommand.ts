import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config/loadConfig.js';
import { parseExporterUrl } from '../config/parseExporterUrl.js';
import type { TracepipeConfig } from '../config/TracepipeConfig.js';
import { checkQueueFitsRequest, DEFAULTS, listenAddress, queueCommitDelayMs, queueSync, ratePerMillion, validateConfig } from '../config/validateConfig.js';
import { createLogger, type Logger } from '../logger.js';
import { RECEIVER_SERVICE, startForwarder } from '../receiver/startForwarder.js';
import { FORWARDER_HEAP_GROWING_PERCENT, tuneHeapForForwarding } from '../receiver/tuneHeapForForwarding.js';
import { DEFAULT_LIVE_MAX_SPANS, LiveTraceStore } from '../ui/LiveTraceStore.js';
import { parseUiAddr } from '../ui/parseUiAddr.js';

interface ServeOptions {
  config?: string;
  listenGrpc?: string;
  listenHttp?: string;
  exporterUrl?: string;
  tagSender?: string | boolean;
  samplingRatePerMillion?: string;
  queueMaxBytes?: number;
  maxRequestBytes?: number;
  queueDir?: string;
  queueMaxDiskBytes?: number;
  queueSync?: string;
  queueCommitDelayMs?: string;
  diagAddr?: string;
  debug?: boolean;
  ui?: string;
  uiMaxSpans?: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

function spanCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" must be a positive integer (spans)`);
  return n;
}

function byteCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1024) throw new InvalidArgumentError(`"${value}" must be an integer of at least 1024 (bytes)`);
  return n;
}

/** How long past `receiver.shutdown_timeout_ms` serve may take before it exits regardless. */
const SHUTDOWN_GRACE_MS = 1_000;
/** How long serve lets its last writes (stdout, stderr) flush once it has stopped. */
const EXIT_LINGER_MS = 100;

/** The config file (or the built-in defaults) with the command-line flags applied on top. */
function resolveConfig(opts: ServeOptions): TracepipeConfig {
  const base = opts.config === undefined ? validateConfig({}) : loadConfig(opts.config);
  const receiver = { ...base.receiver };
  const tracing = { ...base.tracing };
  if (opts.listenGrpc !== undefined) receiver.grpcAddr = listenAddress(opts.listenGrpc, '--listen-grpc', undefined);
  if (opts.listenHttp !== undefined) receiver.httpAddr = listenAddress(opts.listenHttp, '--listen-http', undefined);
  if (opts.exporterUrl !== undefined) tracing.exporter = parseExporterUrl(opts.exporterUrl, '--exporter-url');
  if (opts.tagSender !== undefined) receiver.tagSenderAttribute = opts.tagSender === true ? DEFAULTS.tagSenderAttribute : (opts.tagSender as string);
  if (opts.samplingRatePerMillion !== undefined) {
    const rate = opts.samplingRatePerMillion;
    // Digits become the number; anything else is reported as the text that was given.
    receiver.samplingRatePerMillion = ratePerMillion(/^\d+$/.test(rate) ? Number(rate) : rate, '--sampling-rate-per-million');
  }
  if (opts.queueMaxBytes !== undefined) receiver.queueMaxBytes = opts.queueMaxBytes;
  if (opts.maxRequestBytes !== undefined) receiver.maxRequestBytes = opts.maxRequestBytes;
  if (opts.queueDir !== undefined) receiver.queueDir = opts.queueDir;
  if (opts.queueMaxDiskBytes !== undefined) receiver.queueMaxDiskBytes = opts.queueMaxDiskBytes;
  if (opts.queueSync !== undefined) receiver.queueSync = queueSync(opts.queueSync, '--queue-sync');
  if (opts.queueCommitDelayMs !== undefined) {
    const delay = opts.queueCommitDelayMs;
    receiver.queueCommitDelayMs = queueCommitDelayMs(/^\d+$/.test(delay) ? Number(delay) : delay, '--queue-commit-delay-ms');
  }
  checkQueueFitsRequest(
    receiver.queueMaxBytes,
    receiver.maxRequestBytes,
    opts.queueMaxBytes === undefined ? 'receiver.queue_max_bytes' : '--queue-max-bytes',
    opts.maxRequestBytes === undefined ? 'receiver.max_request_bytes' : '--max-request-bytes',
  );
  checkQueueFitsRequest(
    receiver.queueMaxDiskBytes,
    receiver.maxRequestBytes,
    opts.queueMaxDiskBytes === undefined ? 'receiver.queue_max_disk_bytes' : '--queue-max-disk-bytes',
    opts.maxRequestBytes === undefined ? 'receiver.max_request_bytes' : '--max-request-bytes',
  );
  const diagnostics = { ...base.diagnostics };
  if (opts.diagAddr !== undefined) diagnostics.addr = opts.diagAddr === '' ? undefined : opts.diagAddr;
  if (opts.debug === true) diagnostics.debug = true;
  return { ...base, receiver, tracing, diagnostics };
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once, without draining. */
function firstSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const again = (): void => {
        logger.error('second signal during shutdown: exiting without draining the queue');
        process.exit(1);
      };
      process.once('SIGTERM', again);
      process.once('SIGINT', again);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** `tracepipe serve`: receive OTLP over gRPC and HTTP and forward it to the configured exporter. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('receive OTLP (gRPC :4317, HTTP :4318) and forward it to the exporter (default: capture files in ./traces)')
    .option('-c, --config <file>', 'tracepipe.yaml to read (tracing_service, receiver, diag_addr); flags override it')
    .option('--listen-grpc <host:port>', `OTLP/gRPC listen address ("" turns it off) [default: ${DEFAULTS.grpcListen}]`)
    .option('--listen-http <host:port>', `OTLP/HTTP listen address ("" turns it off) [default: ${DEFAULTS.httpListen}]`)
    .option('--exporter-url <url>', 'where to forward: grpc://, http(s)://, host:port or file:// [default: file://./traces]')
    .option('--tag-sender [attribute]', `tag each span with who sent it [attribute: ${DEFAULTS.tagSenderAttribute}]`)
    .option('--sampling-rate-per-million <rate>', 'sample forwarded traces again at this rate, 0 to 1000000 (off by default: senders decide)')
    .option('--queue-max-bytes <bytes>', 'memory budget of the forwarding queue; when full, senders get 429/RESOURCE_EXHAUSTED', byteCount)
    .option('--max-request-bytes <bytes>', 'largest request body accepted, also after gzip decompression', byteCount)
    .option('--queue-dir <dir>', 'keep accepted requests in a log there until delivered (acknowledged once on disk; replayed at start)')
    .option('--queue-max-disk-bytes <bytes>', 'disk budget of the --queue-dir log; when full, senders get 429/RESOURCE_EXHAUSTED [default: 1 GiB]', byteCount)
    .option('--queue-sync <policy>', 'what a --queue-dir acknowledgement waits for: always (fdatasync) or none (write only: safe from a process crash, not from power loss) [default: always]')
    .option('--queue-commit-delay-ms <ms>', 'wait this long before each --queue-dir commit to gather more requests into it, 0 to 1000 [default: 0]')
    .option('--diag-addr <host:port>', 'serve /healthz, /readyz, /metrics there (off by default)')
    .option('--debug', 'also serve CPU and heap profiles under /debug/pprof on the diagnostics address')
    .option('--ui <host:port>', 'also serve the trace viewer there, live over what is received (off by default)')
    .option('--ui-max-spans <spans>', `spans the viewer keeps in memory; the oldest traces are evicted past it [default: ${DEFAULT_LIVE_MAX_SPANS}]`, spanCount)
    .addOption(new Option('--log-level <level>', 'log level (JSON lines on stderr)').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .action(async (opts: ServeOptions) => {
      const logger = createLogger(opts.logLevel);
      const config = resolveConfig(opts);
      const stopped = firstSignal(logger);
      if (tuneHeapForForwarding()) {
        logger.debug({ heapGrowingPercent: FORWARDER_HEAP_GROWING_PERCENT }, 'V8 heap growing factor fixed for forwarding');
      } else {
        logger.debug('V8 heap growing factor left as --heap-growing-percent sets it');
      }
      // Checked before anything listens, so a bad --ui is a config error like the others.
      if (opts.ui !== undefined) parseUiAddr(opts.ui, '--ui');
      const store = opts.ui === undefined ? undefined : new LiveTraceStore(opts.uiMaxSpans);
      const forwarder = await startForwarder(config, { logger, observer: store?.add });
      const ui =
        store === undefined
          ? undefined
          : await (await import('../ui/startUiServer.js')).startUiServer({ source: store, addr: opts.ui!, addrKey: '--ui' }).catch(async (err: unknown) => {
              await forwarder.close();
              throw err;
            });
      if (store !== undefined) store.sources.push(...[forwarder.grpcAddress, forwarder.httpUrl].filter((a) => a !== undefined));
      const d = config.diagnostics;
      const diagnostics =
        d.addr === undefined
          ? undefined
          : await (await import('../diagnostics/startDiagnostics.js')).startDiagnostics({
              addr: d.addr,
              debug: d.debug,
              stats: forwarder.stats,
              probe: () => forwarder.probe(),
              heartbeatIntervalMs: d.heartbeatIntervalMs,
              heartbeatRetryIntervalMs: d.heartbeatRetryIntervalMs,
              busy: () => forwarder.queued.spans > 0,
              // A destination that does not answer a probe for that long is as good as down.
              probeTimeoutMs: d.heartbeatRetryIntervalMs,
              logger,
            }).catch(async (err: unknown) => {
              await forwarder.close();
              await ui?.close();
              throw err;
            });
      diagnostics?.readiness.setService(RECEIVER_SERVICE, { status: 'healthy' });
      const listening = [
        forwarder.grpcAddress === undefined ? undefined : `OTLP/gRPC on ${forwarder.grpcAddress}`,
        forwarder.httpUrl === undefined ? undefined : `OTLP/HTTP on ${forwarder.httpUrl}`,
      ].filter((s) => s !== undefined);
      process.stdout.write(`tracepipe serve: receiving ${listening.join(' and ')}\n`);
      if (ui !== undefined) process.stdout.write(`tracepipe serve: trace viewer on ${ui.url}\n`);
      process.stdout.write(`tracepipe serve: forwarding to ${forwarder.destination}\n`);
      const rate = config.receiver.samplingRatePerMillion;
      if (rate !== undefined) process.stdout.write(`tracepipe serve: sampling forwarded traces again at ${rate} per million\n`);
      if (diagnostics !== undefined) process.stdout.write(`tracepipe serve: diagnostics on ${diagnostics.url}\n`);

      const signal = await stopped;
      // close() keeps to the deadline; this is the backstop should anything in it not.
      setTimeout(() => {
        logger.error('shutdown overran receiver.shutdown_timeout_ms; exiting');
        process.exit(1);
      }, config.receiver.shutdownTimeoutMs + SHUTDOWN_GRACE_MS).unref();
      const { spans } = forwarder.queued;
      logger.info(`${signal}: stopping, draining ${spans} queued span(s)`);
      diagnostics?.readiness.setService(RECEIVER_SERVICE, { status: 'unhealthy', reason: 'shutting down' }, true);
      await forwarder.close();
      await ui?.close();
      await diagnostics?.close();
      const s = forwarder.stats;
      const summary = {
        received: s.received.grpc + s.received.http,
        sampledOut: s.sampledOut,
        exported: s.exported,
        exportFailed: s.exportFailed,
        droppedAtShutdown: s.dropped.shutdown,
        rejectedInvalid: s.dropped.invalid,
      };
      if (s.exportFailed + s.dropped.shutdown > 0) logger.error(summary, 'stopped with spans not delivered');
      else logger.info(summary, 'stopped');
      // Everything is counted; a connection to an unresponsive destination must not keep the process up.
      setTimeout(() => process.exit(), EXIT_LINGER_MS).unref();
    });
}
