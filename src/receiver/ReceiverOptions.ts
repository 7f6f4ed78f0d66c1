import type { ServerTlsConfig } from '../config/TracepipeConfig.js';
import type { PipelineStats } from '../stats/PipelineStats.js';
import type { Logger } from '../logger.js';
import type { SpanIntake } from './SpanIntake.js';

/** What each OTLP listener (gRPC, HTTP) is started with. */
export interface ReceiverOptions {
  /** `host:port`; port 0 picks a free port. */
  address: string;
  tls: ServerTlsConfig | undefined;
  maxRequestBytes: number;
  /** TLS handshake plus the HTTP/2 preface (gRPC) or the request headers (HTTP). */
  handshakeTimeoutMs: number;
  /** A whole request, headers and body. */
  requestTimeoutMs: number;
  /** A connection with no request in progress. */
  idleTimeoutMs: number;
  intake: SpanIntake;
  stats: PipelineStats;
  logger: Logger;
}
