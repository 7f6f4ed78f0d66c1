import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { PipelineStats } from '../stats/PipelineStats.js';
import type { Logger } from '../logger.js';
import { grpcHttp2Servers } from './grpcHttp2Servers.js';

/** gRPC status names by code (`8` → `RESOURCE_EXHAUSTED`), as the metrics label them. */
const STATUS_NAMES = new Map<number, string>(
  Object.entries(grpc.status).flatMap(([name, code]) => (typeof code === 'number' ? [[code, name] as [number, string]] : [])),
);

/**
 * Counts every call the gRPC receiver answers in `stats`, by the status it was answered with,
 * read from the HTTP/2 stream as it closes (`grpc-status` in the trailers, or in the headers of a
 * trailers-only answer). grpc-js answers some calls itself before any handler runs (a message
 * over the size limit or one that does not decompress, an unknown method), and those are counted
 * like the rest. A call whose connection went before an answer is not counted. Returns false,
 * after a warning, when grpc-js's HTTP/2 servers cannot be reached (see grpcHttp2Servers).
 */
export function countGrpcAnswers(server: grpc.Server, stats: PipelineStats, logger: Logger): boolean {
  const servers = grpcHttp2Servers(server, logger, 'gRPC calls that @grpc/grpc-js refuses by itself are not counted');
  if (servers === undefined) return false;
  for (const http2Server of servers) {
    http2Server.on('stream', (stream: ServerHttp2Stream) => {
      stream.once('close', () => {
        // Neither is set on a stream whose connection went before any answer (@types/node types sentHeaders as always there).
        const sentHeaders = stream.sentHeaders as OutgoingHttpHeaders | undefined;
        const code = stream.sentTrailers?.['grpc-status'] ?? sentHeaders?.['grpc-status'];
        if (code !== undefined) stats.recordRequest('grpc', STATUS_NAMES.get(Number(code)) ?? String(code));
      });
    });
  }
  return true;
}
