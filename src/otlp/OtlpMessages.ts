import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Protobuf from 'protobufjs';

/**
 * protobufjs is loaded when an OtlpMessages is made, not when tracepipe is imported: with the
 * `.proto` files parsed it adds ~50 ms to the import and ~4 MB of RSS that a pipeline exporting
 * to `file://` never uses.
 */
const requireOnUse = createRequire(import.meta.url);

const TRACE_SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

/** `proto/` at the package root; this file runs from `src/otlp` or `dist/src/otlp`. */
function findProtoDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(path.dirname(here))) === 'dist' ? '../../..' : '../..';
  return path.resolve(here, up, 'proto');
}

/**
 * The OTLP trace messages, loaded from the `.proto` files in `proto/` (~4 ms each time, so whoever
 * needs them makes one and keeps it: an exporter for its responses, the receiver, the tests). The
 * hot paths (ProtoTraceEncoder, decodeTracesProto) read and write the wire format directly.
 */
export class OtlpMessages {
  readonly TracesData: Protobuf.Type;
  readonly ExportTraceServiceRequest: Protobuf.Type;
  readonly ExportTraceServiceResponse: Protobuf.Type;

  constructor() {
    const protobuf = requireOnUse('protobufjs') as typeof Protobuf;
    const protoDir = findProtoDir();
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(protoDir, target);
    root.loadSync([TRACE_SERVICE_PROTO], { keepCase: false });
    root.resolveAll();
    this.TracesData = root.lookupType('opentelemetry.proto.trace.v1.TracesData');
    this.ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    this.ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
  }
}
