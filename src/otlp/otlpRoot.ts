import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protobuf from 'protobufjs';

/**
 * The OTLP trace messages, loaded once from the `.proto` files in `proto/`. Used for the
 * gRPC service definition, responses and the verification tests; the hot paths
 * (ProtoTraceEncoder, decodeTracesProto) read and write the wire format directly.
 */

/** `proto/` at the package root; this file runs from `src/encoding` or `dist/src/encoding`. */
function findProtoDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(path.dirname(here))) === 'dist' ? '../../..' : '../..';
  return path.resolve(here, up, 'proto');
}

export const PROTO_DIR = findProtoDir();

export const TRACE_SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
  root.loadSync([TRACE_SERVICE_PROTO], { keepCase: false });
  root.resolveAll();
  return root;
}

export const otlpRoot: protobuf.Root = loadRoot();

export const TracesData: protobuf.Type = otlpRoot.lookupType('opentelemetry.proto.trace.v1.TracesData');
export const ExportTraceServiceRequest: protobuf.Type = otlpRoot.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
export const ExportTraceServiceResponse: protobuf.Type = otlpRoot.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);
export const TraceService: protobuf.Service = otlpRoot.lookupService(
  'opentelemetry.proto.collector.trace.v1.TraceService',
);
