import type { RawConfig } from '../config/RawConfig.js';
import { isResolvedConfig, type TracepipeConfig } from '../config/TracepipeConfig.js';
import { parseExporterUrl } from '../config/parseExporterUrl.js';
import { checkQueueFitsRequest, validateConfig } from '../config/validateConfig.js';
import { PipelineStats } from '../stats/PipelineStats.js';
import { ConfigError, TracepipeError } from '../errors.js';
import { createExporter } from '../exporters/createExporter.js';
import { LineBufferPool } from '../exporters/file/LineBufferPool.js';
import type { TraceExporter } from '../exporters/TraceExporter.js';
import { createLogger, type Logger } from '../logger.js';
import type { EncodedRequest, WireForm } from '../pipeline/EncodedSpans.js';
import { ExportQueue } from '../pipeline/ExportQueue.js';
import { ForwardingSampler } from '../sampling/ForwardingSampler.js';
import { GrpcReceiver } from './GrpcReceiver.js';
import { HttpReceiver } from './HttpReceiver.js';
import { decodeTracesJson } from '../otlp/json/decodeTracesJson.js';
import { ProtoTraceDecoder } from '../otlp/proto/decodeTracesProto.js';
import { JsonRequests, ProtobufRequests, type QueuedRequest, type RequestCodec } from './RequestCodec.js';
import { DurableLog, type LogRecord } from './DurableLog.js';
import { SpanIntake, type SpanIntakeOptions, type SpanQueue } from './SpanIntake.js';

/** Where `serve` writes when nothing else is configured: capture files next to where it runs. */
export const DEFAULT_FORWARD_URL = 'file://./traces';

/**
 * Buffers the capture path keeps for reuse: each received request waits in one until its line is
 * written, and under load a few dozen are in the queue or in flight at once. Reusing them spares
 * the page faults and garbage collections of a fresh ~1 MB Buffer per request.
 */
const FORWARDER_FREE_BUFFERS = 16;

/**
 * Capture lines handed to the file exporter at once. Its writer appends one `writev` at a time
 * and sends every line queued meanwhile in the next, so under load the lines it may hold decide
 * how much each write carries: with the queue's usual 4, a saturated event loop wrote 4 requests
 * per two of its turns (the write, then the check that the file still exists) and the queue
 * filled up behind them. They cost no memory of their own: the queue has charged their Buffers.
 */
const FILE_EXPORTS_IN_FLIGHT = 64;

/**
 * Pauses of the queue's retries while the destination fails (after the exporter's own retries
 * within `export_timeout_ms` gave up): short at first, as a destination restart is usually quick,
 * then capped like the OpenTelemetry SDKs' 5 s so the queue resumes soon after it is back.
 */
const QUEUE_RETRY_BACKOFF = { initialBackoffMs: 500, maxBackoffMs: 5_000 } as const;

/** The name under which `serve` reports the receiver's health (`/readyz/receiver`). */
export const RECEIVER_SERVICE = 'receiver';

export interface ForwarderOptions {
  logger?: Logger;
  /** Counters shared with the diagnostics service; a fresh set by default. */
  stats?: PipelineStats;
  /** Given every span the forwarder queues, decoded (the live trace viewer of `serve --ui`). */
  observer?: SpanIntakeOptions<WireForm>['observer'];
}

export interface Forwarder {
  /** Bound `host:port` of the OTLP/gRPC listener; undefined when it is off. */
  readonly grpcAddress: string | undefined;
  /** Bound `host:port` of the OTLP/HTTP listener; undefined when it is off. */
  readonly httpAddress: string | undefined;
  /** `http(s)://host:port/v1/traces`; undefined when HTTP is off. */
  readonly httpUrl: string | undefined;
  /** The destination, as the exporter describes it. */
  readonly destination: string;
  readonly stats: PipelineStats;
  /** Spans and bytes waiting for the exporter. */
  readonly queued: { spans: number; bytes: number };
  /** The exporter's reachability check, for readiness heartbeats. */
  probe(): Promise<void>;
  /**
   * Stops accepting, drains the queue to the exporter and closes it, all within
   * `receiver.shutdown_timeout_ms`. Whatever the timeout leaves undelivered, exports still
   * running included, is counted as dropped (`shutdown`). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts the OTLP receiver(s) and forwards everything they accept to the configured exporter.
 * The exporter is `tracing_service.exporter_url` whatever `tracing_service.enabled` says
 * (forwarding is the whole point), or {@link DEFAULT_FORWARD_URL} when none is set. Senders'
 * sampling decisions are honoured (tracestate passes through) unless
 * `receiver.sampling_rate_per_million` asks for sampling again (ForwardingSampler).
 */
export async function startForwarder(config: TracepipeConfig | RawConfig, options: ForwarderOptions = {}): Promise<Forwarder> {
  const resolved = isResolvedConfig(config) ? config : validateConfig(config);
  const { receiver, tracing } = resolved;
  checkQueueFitsRequest(receiver.queueMaxBytes, receiver.maxRequestBytes, 'receiver.queue_max_bytes', 'receiver.max_request_bytes');
  const logger = options.logger ?? createLogger();
  for (const note of resolved.environmentNotes) logger.warn(note);
  const stats = options.stats ?? new PipelineStats();
  if (receiver.grpcAddr === undefined && receiver.httpAddr === undefined) {
    throw new ConfigError('receiver.grpc_listen and receiver.http_listen are both off: nothing would be received', { key: 'receiver' });
  }
  const target = tracing.exporter ?? parseExporterUrl(DEFAULT_FORWARD_URL);
  // Capture files are OTLP/JSON: requests are turned into it as they arrive (one pass that
  // also checks them) and queued that way, in Buffers the file exporter gives back once written.
  const lines = target.kind === 'file' ? new LineBufferPool(FORWARDER_FREE_BUFFERS) : undefined;
  const exporter = createExporter(target, {
    tls: tracing.tls,
    headers: tracing.headers,
    timeoutMs: tracing.exportTimeoutMs,
    maxBatchBytes: tracing.maxExportBatchBytes,
    stats,
    logger,
    lines,
  });
  const durable =
    receiver.queueDir === undefined
      ? undefined
      : await DurableLog.open({
          dir: receiver.queueDir,
          maxBytes: receiver.queueMaxDiskBytes,
          sync: receiver.queueSync,
          commitDelayMs: receiver.queueCommitDelayMs,
          logger,
        });
  const pipeline = {
    stats,
    logger,
    receiver,
    log: durable?.log,
    maxBatchSize: tracing.maxExportBatchSize,
    scheduleDelayMs: tracing.scheduleDelayMs,
    maxConcurrentExports: lines === undefined ? undefined : FILE_EXPORTS_IN_FLIGHT,
    observer: options.observer,
  };
  const { queue, intake, replay } = isWireForm(exporter, 'json')
    ? forwardingPipeline(exporter, new JsonRequests(lines), pipeline)
    : forwardingPipeline(exporter as TraceExporter<'protobuf'>, new ProtobufRequests(), pipeline);
  if (durable !== undefined) {
    const log = durable.log;
    stats.queueLogSyncs = () => log.syncs;
    stats.queueLogBytes = () => log.bytes;
    stats.queueTornRecords += durable.torn;
    await replay(durable.records);
  }
  const common = {
    tls: receiver.tls,
    maxRequestBytes: receiver.maxRequestBytes,
    handshakeTimeoutMs: receiver.handshakeTimeoutMs,
    requestTimeoutMs: receiver.requestTimeoutMs,
    idleTimeoutMs: receiver.idleTimeoutMs,
    intake,
    stats,
    logger,
  };

  let grpc: GrpcReceiver | undefined;
  let http: HttpReceiver | undefined;
  try {
    if (receiver.grpcAddr !== undefined) grpc = await listen('receiver.grpc_listen', () => GrpcReceiver.start({ ...common, address: receiver.grpcAddr! }));
    if (receiver.httpAddr !== undefined) http = await listen('receiver.http_listen', () => HttpReceiver.start({ ...common, address: receiver.httpAddr! }));
  } catch (err) {
    await grpc?.close(0);
    await queue.shutdown(0);
    await durable?.log.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const deadline = Date.now() + receiver.shutdownTimeoutMs;
    // Requests in flight finish and are queued before the queue drains (and closes the exporter).
    await Promise.all([grpc?.close(receiver.shutdownTimeoutMs), http?.close(receiver.shutdownTimeoutMs)]);
    await queue.shutdown(Math.max(0, deadline - Date.now()));
    // The deadline has passed: exports still running are counted now, not after the process is gone.
    queue.abandon();
    // What was not delivered stays in the log, for the next start.
    await durable?.log.close();
  };

  return {
    grpcAddress: grpc?.address,
    httpAddress: http?.address,
    httpUrl: http?.url,
    destination: exporter.toString(),
    stats,
    get queued() {
      return { spans: queue.spans, bytes: queue.bytes };
    },
    probe: () => exporter.probe(),
    close() {
      closing ??= close();
      return closing;
    },
  };
}

interface PipelineSettings {
  stats: PipelineStats;
  logger: Logger;
  receiver: TracepipeConfig['receiver'];
  maxBatchSize: number;
  scheduleDelayMs: number;
  maxConcurrentExports: number | undefined;
  observer: SpanIntakeOptions<WireForm>['observer'];
  log: DurableLog | undefined;
}

/** The queue and the intake in front of it, in the exporter's wire form: one form throughout, checked by the compiler. */
function forwardingPipeline<F extends WireForm>(exporter: TraceExporter<F>, codec: RequestCodec<F>, settings: PipelineSettings) {
  const { stats, logger, receiver } = settings;
  const queue = new ExportQueue<F>({
    exporter,
    stats,
    logger,
    maxBytes: receiver.queueMaxBytes,
    maxBatchSize: settings.maxBatchSize,
    scheduleDelayMs: settings.scheduleDelayMs,
    maxConcurrentExports: settings.maxConcurrentExports,
    retry: { maxAgeMs: receiver.maxRetryAgeMs, ...QUEUE_RETRY_BACKOFF },
    onSettled: settings.log === undefined ? undefined : (ids) => settings.log!.settle(ids),
  });
  const intake = new SpanIntake<F>({
    queue,
    codec,
    maxBatchBytes: exporter.maxBatchBytes,
    queueMaxBytes: receiver.queueMaxBytes,
    stats,
    logger,
    tagSenderAttribute: receiver.tagSenderAttribute,
    sampler: receiver.samplingRatePerMillion === undefined ? undefined : new ForwardingSampler(receiver.samplingRatePerMillion),
    observer: settings.observer,
    log: settings.log,
  });
  const log = settings.log;
  return { queue, intake, replay: (records: LogRecord[]) => (log === undefined ? Promise.resolve() : replay(records, queue, codec, log, stats, logger)) };
}

/** How often a replay that found the queue full looks again for room. */
const REPLAY_WAIT_MS = 20;

/**
 * Offers what an earlier run left in the durable log to the queue, in order, before the listeners
 * open, so it is delivered first. A backlog larger than the memory queue waits for room: the
 * listeners open once all of it is queued.
 */
async function replay<F extends WireForm>(
  records: LogRecord[],
  queue: SpanQueue<F>,
  codec: RequestCodec<F>,
  log: DurableLog,
  stats: PipelineStats,
  logger: Logger,
): Promise<void> {
  if (records.length === 0) return;
  let spans = 0;
  for (const record of records) spans += record.spanCount;
  logger.info({ requests: records.length, spans }, 'queue log: delivering what an earlier run left, before accepting more');
  for (const record of records) {
    let queued: QueuedRequest<F>;
    try {
      queued = inQueueForm(record, codec);
    } catch (error) {
      // A record that passed its CRC yet does not convert (another version's bug) must not stop every start.
      logger.error({ spans: record.spanCount, form: record.form, error: (error as Error).message }, 'queue log: a logged request does not decode; dropped');
      stats.drop('invalid', record.spanCount);
      log.settle([record.id]);
      continue;
    }
    while (!queue.offerEncoded(queued.request, queued.spanCount, queued.bytes, record.id)) {
      await new Promise((resolve) => setTimeout(resolve, REPLAY_WAIT_MS));
    }
    stats.queueReplayedSpans += record.spanCount;
  }
}

/**
 * A logged request in the queue's wire form: as it is, or converted when it was logged in the
 * other (a capture-file forwarder logs the protobuf it received; the destination may have changed
 * since). The record passed its CRC, so it decodes as it did when it was accepted.
 */
function inQueueForm<F extends WireForm>(record: LogRecord, codec: RequestCodec<F>): QueuedRequest<F> {
  if (record.form === codec.form) return { request: record.payload as Uint8Array as EncodedRequest<F>, spanCount: record.spanCount, bytes: record.payload.byteLength };
  if (record.form === 'protobuf') {
    const passed = codec.passThrough(record.payload);
    if (passed !== undefined) return passed;
  }
  const decoded = record.form === 'json' ? decodeTracesJson(record.payload.toString('utf8')) : new ProtoTraceDecoder().decode(record.payload);
  return codec.encode(decoded.spans);
}

function isWireForm<F extends WireForm>(exporter: TraceExporter, form: F): exporter is TraceExporter<F> {
  return exporter.wireForm === form;
}

async function listen<T>(key: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (cause) {
    throw new TracepipeError('TRACEPIPE_RECEIVER_LISTEN', `${key}: cannot listen: ${(cause as Error).message}`, { cause });
  }
}
