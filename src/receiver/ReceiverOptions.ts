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
  intake: SpanIntake;
  stats: PipelineStats;
  logger: Logger;
}
