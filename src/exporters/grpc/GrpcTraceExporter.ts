import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { DEFAULT_MAX_EXPORT_BATCH_BYTES, type GrpcTarget } from '../../config/ExporterTarget.js';
import type { TlsMaterial } from '../../config/TracepipeConfig.js';
import type { PipelineStats } from '../../stats/PipelineStats.js';
import { ProtoTraceEncoder } from '../../otlp/proto/ProtoTraceEncoder.js';
import type { Logger } from '../../logger.js';
import { concatProtobuf, EncodedSpans } from '../../pipeline/EncodedSpans.js';
import { grpcChannelCredentials } from '../../tls/grpcChannelCredentials.js';
import { VERSION } from '../../version.js';
import type { ExportTransport } from '../ExportTransport.js';
import { InFlight } from '../InFlight.js';
import { PartialSuccess } from '../PartialSuccess.js';
import { grpcExportError } from './grpcExportError.js';

export const TRACE_EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** grpc-js's code for gzip in `grpc.default_compression_algorithm` (identity 0, deflate 1, gzip 2). */
const GZIP = 2;
const EMPTY = Buffer.alloc(0);

export interface GrpcTraceExporterOptions {
  /** Plaintext when undefined. */
  tls?: TlsMaterial | undefined;
  /** Deadline of `export` and `probe` calls. */
  timeoutMs: number;
  /** The largest request sent: what the destination accepts (DEFAULT_MAX_EXPORT_BATCH_BYTES by default). */
  maxBatchBytes?: number;
  stats: PipelineStats;
  logger: Logger;
  /** Metadata sent with every call (lowercased names, checked by the config). */
  headers?: Record<string, string> | undefined;
}

const passThrough = (bytes: Buffer): Buffer => bytes;

/** grpc-js is loaded when a gRPC exporter is made, not when tracepipe is imported (~40 ms and several MB a `file://` pipeline never uses). */
const requireOnUse = createRequire(import.meta.url);

/**
 * OTLP/gRPC `TraceService/Export` on @grpc/grpc-js. The request bytes come from our own
 * encoder (pass-through serializers), so no intermediate message objects are built; requests
 * the forwarder received (EncodedSpans) go out as they came, concatenated. One attempt per
 * `send`; retries belong to RetryingExporter.
 */
export class GrpcTraceExporter implements ExportTransport<'protobuf'> {
  readonly wireForm = 'protobuf';
  readonly maxBatchBytes: number;
  private readonly client: Grpc.Client;
  private readonly timeoutMs: number;
  private readonly partial: PartialSuccess;
  private readonly description: string;
  private readonly inFlight: InFlight;
  private readonly encoder = new ProtoTraceEncoder();
  private readonly metadata: Grpc.Metadata;

  constructor(target: GrpcTarget, options: GrpcTraceExporterOptions) {
    const grpc = requireOnUse('@grpc/grpc-js') as typeof Grpc;
    this.metadata = new grpc.Metadata();
    this.timeoutMs = options.timeoutMs;
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_EXPORT_BATCH_BYTES;
    for (const [name, value] of Object.entries(options.headers ?? {})) this.metadata.set(name, value);
    this.description = `grpc ${target.address}${options.tls ? ' (TLS)' : ''}${target.compression === 'gzip' ? ' gzip' : ''}`;
    const channelOptions: Grpc.ChannelOptions = {
      'grpc.primary_user_agent': `tracepipe/${VERSION}`,
      // grpc-js backs off reconnecting up to 120 s by default; a collector that comes back
      // should be used within one retry wait, not minutes later.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
      ...(target.compression === 'gzip' && { 'grpc.default_compression_algorithm': GZIP }),
    };
    this.client = new grpc.Client(target.address, grpcChannelCredentials(options.tls), channelOptions);
    this.partial = new PartialSuccess(options.stats, options.logger, this.description);
    this.inFlight = new InFlight(this.description);
  }

  async export(batch: readonly ReadableSpan[] | EncodedSpans<'protobuf'>): Promise<number> {
    return this.send(this.encode(batch), batch.length, performance.now() + this.timeoutMs);
  }

  encode(batch: readonly ReadableSpan[] | EncodedSpans<'protobuf'>): Buffer {
    if (batch instanceof EncodedSpans) return concatProtobuf(batch);
    return this.encoder.encode(batch);
  }

  async send(body: Buffer, spanCount: number, deadline: number): Promise<number> {
    const response = await this.inFlight.run(() => this.call(body, deadline));
    return this.partial.count(this.partial.fromProto(response), spanCount);
  }

  /** An empty export: proves the connection, the TLS handshake and the service in one round trip. */
  async probe(): Promise<void> {
    await this.inFlight.run(() => this.call(EMPTY, performance.now() + this.timeoutMs));
  }

  forceFlush(): Promise<void> {
    return this.inFlight.settled();
  }

  shutdown(): Promise<void> {
    return this.inFlight.close(() => this.client.close());
  }

  toString(): string {
    return this.description;
  }

  private call(body: Buffer, deadline: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.client.makeUnaryRequest(
        TRACE_EXPORT_METHOD,
        passThrough,
        passThrough,
        body,
        this.metadata.clone(),
        { deadline: Date.now() + Math.max(0, deadline - performance.now()) },
        (error, response) => {
          if (error) reject(grpcExportError(error, this.description));
          else resolve(response ?? EMPTY);
        },
      );
    });
  }
}
