import type { SpanLimits } from '@opentelemetry/sdk-trace';
import type { ExporterTarget } from './ExporterTarget.js';

/** PEM material read and checked at start-up: a bad file is a config error, never a failed export. */
export interface TlsMaterial {
  /** Concatenated CA certificates; undefined means the system roots. */
  ca: Buffer | undefined;
  /** The client keypair for mTLS (the first configured one is presented). */
  keypairs: Array<{ key: Buffer; cert: Buffer; keyFile: string; certFile: string }>;
  caFiles: string[];
}

export interface TracingServiceConfig {
  enabled: boolean;
  /** Set whenever `enabled` is true. */
  exporter: ExporterTarget | undefined;
  samplingRatePerMillion: number;
  /** Undefined when no `ca_certs` and no keypairs are configured. */
  tls: TlsMaterial | undefined;
  /** Lowercased names; values are secrets, never logged. */
  headers: Record<string, string>;
  /** Memory budget of the span queue between the provider and the exporter. */
  queueMaxBytes: number;
  maxExportBatchSize: number;
  /** The largest request a network exporter sends (`max_export_batch_bytes`). */
  maxExportBatchBytes: number;
  scheduleDelayMs: number;
  exportTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Given to every sampled span, CompactSpan or the SDK's; value length Infinity means no limit. */
  spanLimits: Readonly<Required<SpanLimits>>;
}

export interface ServerTlsConfig {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by it (mTLS). */
  clientCa: Buffer | undefined;
  certFile: string;
  keyFile: string;
  clientCaFile: string | undefined;
}

export interface ReceiverConfig {
  /** `host:port` or undefined when that transport is off. */
  grpcAddr: string | undefined;
  httpAddr: string | undefined;
  tls: ServerTlsConfig | undefined;
  maxRequestBytes: number;
  queueMaxBytes: number;
  /** Attribute name to tag forwarded spans with the sender's identity; undefined leaves spans untouched. */
  tagSenderAttribute: string | undefined;
  /** Re-sampling of forwarded traces; undefined (the default) honours the senders' decisions. */
  samplingRatePerMillion: number | undefined;
  shutdownTimeoutMs: number;
  /** TLS handshake plus the HTTP/2 preface (gRPC) or the request headers (HTTP) must arrive within this. */
  handshakeTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** A connection with no request in progress is closed after this. */
  idleTimeoutMs: number;
  /** A batch that has failed to export for this long is dropped (counted); undefined retries while the queue holds it. */
  maxRetryAgeMs: number | undefined;
  /** The durable queue's directory: requests are acknowledged once in its log; undefined keeps the queue in memory only. */
  queueDir: string | undefined;
  /** Disk budget of the durable queue's log: when full, senders are refused (429 / RESOURCE_EXHAUSTED). */
  queueMaxDiskBytes: number;
  /** What a durable-queue acknowledgement waits for (receiver.queue_sync). */
  queueSync: QueueSync;
  /** How long each group commit of the durable queue waits for more requests first (receiver.queue_commit_delay_ms). */
  queueCommitDelayMs: number;
}

/**
 * `always`: a request is acknowledged once its bytes are written and fdatasynced (lost only if
 * the disk itself fails). `none`: once written to the OS (write(2)), so a crash of the process
 * loses nothing acknowledged, a crash of the machine (power loss, kernel panic) loses what the
 * kernel had not yet written back.
 */
export type QueueSync = 'always' | 'none';

export interface DiagnosticsConfig {
  /** `host:port`; undefined when the service is off (the default). */
  addr: string | undefined;
  debug: boolean;
  heartbeatIntervalMs: number;
  heartbeatRetryIntervalMs: number;
}

/** The validated configuration: every default applied, every file read, once. */
export interface TracepipeConfig {
  readonly [RESOLVED]: true;
  serviceName: string;
  resourceAttributes: Record<string, string | number | boolean>;
  tracing: TracingServiceConfig;
  receiver: ReceiverConfig;
  diagnostics: DiagnosticsConfig;
  /** OpenTelemetry environment variables that are set but not (fully) honoured: createTracing logs each once. */
  environmentNotes: string[];
}

/** Brands a validated config so `createTracing` can take either form without validating twice. */
export const RESOLVED: unique symbol = Symbol.for('tracepipe.config.resolved');

export function isResolvedConfig(value: unknown): value is TracepipeConfig {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RESOLVED] === true;
}
