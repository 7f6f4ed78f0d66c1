import * as grpc from '@grpc/grpc-js';
import { encodeExportResponse } from './encodeExportResponse.js';
import { encodeRpcStatus } from './encodeRpcStatus.js';
import { senderIdentity, stripPort } from './senderIdentity.js';
import { RETRY_DELAY_MS } from './SpanIntake.js';
import type { ReceiverOptions } from './ReceiverOptions.js';
import { boundGrpcConnections } from './boundGrpcConnections.js';
import { countGrpcAnswers } from './countGrpcAnswers.js';
import { reserveGrpcBodies } from './reserveGrpcBodies.js';
import { RECEIVE_WINDOW_BYTES, widenReceiveWindow } from './widenReceiveWindow.js';

export const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const passThrough = (b: Buffer): Buffer => b;

/**
 * The service registered raw: grpc-js hands over the message bytes untouched so our own
 * decoder reads them (and reports invalid spans one by one instead of failing the call).
 */
const TRACE_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
    originalName: 'export',
  },
};


/** OTLP/gRPC `TraceService/Export`. */
export class GrpcReceiver {
  /** The bound `host:port` (the real port when 0 was asked for). */
  readonly address: string;
  private readonly server: grpc.Server;

  private constructor(server: grpc.Server, address: string) {
    this.server = server;
    this.address = address;
  }

  static async start(options: ReceiverOptions): Promise<GrpcReceiver> {
    const server = new grpc.Server({
      // Checked against the length prefix before the message is read, and again while gunzipping.
      'grpc.max_receive_message_length': options.maxRequestBytes,
      // Nothing here serves channelz, so its per-call and per-session bookkeeping is work for nothing.
      'grpc.enable_channelz': 0,
      'grpc.max_connection_idle_ms': options.idleTimeoutMs,
    });
    const counting: Counting = { byStream: false };
    server.addService(TRACE_SERVICE, { Export: exportHandler(options, counting) });
    const credentials =
      options.tls === undefined
        ? grpc.ServerCredentials.createInsecure()
        : grpc.ServerCredentials.createSsl(
            options.tls.clientCa ?? null,
            [{ private_key: options.tls.key, cert_chain: options.tls.cert }],
            options.tls.clientCa !== undefined,
          );
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(options.address, credentials, (err, p) => (err ? reject(err) : resolve(p)));
    });
    widenReceiveWindow(server, RECEIVE_WINDOW_BYTES, options.logger);
    counting.byStream = countGrpcAnswers(server, options.stats, options.logger);
    boundGrpcConnections(server, { handshakeMs: options.handshakeTimeoutMs, requestMs: options.requestTimeoutMs }, options.logger);
    reserveGrpcBodies(server, options.intake, options.maxRequestBytes, options.logger);
    const host = options.address.slice(0, options.address.lastIndexOf(':'));
    return new GrpcReceiver(server, `${host}:${port}`);
  }

  /** Stops accepting calls, lets calls in progress finish for up to `timeoutMs`, then cuts the rest. */
  close(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, timeoutMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Whether countGrpcAnswers counts every answer; when it cannot, the handler counts its own. */
interface Counting {
  byStream: boolean;
}

function exportHandler(options: ReceiverOptions, counting: Counting): grpc.handleUnaryCall<Buffer, Buffer> {
  const { intake, stats } = options;
  const tagging = intake.tagSenderAttribute !== undefined;
  const record = (code: string): void => {
    if (!counting.byStream) stats.recordRequest('grpc', code);
  };
  return (call, callback) => {
    const sender = tagging ? senderIdentity(stripPort(call.getPeer()), call.getAuthContext().sslPeerCertificate) : undefined;
    let result;
    try {
      result = intake.acceptProto(call.request, 'grpc', sender);
    } catch (err) {
      options.logger.error({ error: (err as Error).message }, 'receiver failed on a gRPC request');
      record('INTERNAL');
      callback({ code: grpc.status.INTERNAL, details: 'internal error' });
      return;
    }
    switch (result.kind) {
      case 'accepted': {
        const answer = Buffer.from(encodeExportResponse(result.rejected, result.message));
        if (result.durable === undefined) {
          record('OK');
          callback(null, answer);
          return;
        }
        // Acknowledged only once its bytes are in the durable log.
        result.durable.then(
          () => {
            record('OK');
            callback(null, answer);
          },
          () => {
            record('UNAVAILABLE');
            callback({ code: grpc.status.UNAVAILABLE, details: 'forwarder queue log could not be written, retry later' });
          },
        );
        return;
      }
      case 'invalid':
        record('INVALID_ARGUMENT');
        callback({ code: grpc.status.INVALID_ARGUMENT, details: result.message });
        return;
      case 'full': {
        record('RESOURCE_EXHAUSTED');
        const details = 'forwarder queue is full, retry later';
        const metadata = new grpc.Metadata();
        metadata.set(
          'grpc-status-details-bin',
          Buffer.from(encodeRpcStatus(grpc.status.RESOURCE_EXHAUSTED, details, RETRY_DELAY_MS)),
        );
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details, metadata });
        return;
      }
      case 'tooLarge':
        // No RetryInfo: the same request will never fit, so its sender should not retry it.
        record('RESOURCE_EXHAUSTED');
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: result.message });
        return;
    }
  };
}
