export { ConfigError, ExportError, TracepipeError, type TracepipeErrorCode } from './errors.js';
export { loadConfig } from './config/loadConfig.js';
export { validateConfig, DEFAULTS } from './config/validateConfig.js';
export { parseExporterUrl } from './config/parseExporterUrl.js';
export type { RawConfig, RawTracingService, RawReceiver, RawKeypair } from './config/RawConfig.js';
export type {
  TracepipeConfig,
  TracingServiceConfig,
  ReceiverConfig,
  DiagnosticsConfig,
  TlsMaterial,
} from './config/TracepipeConfig.js';
export type { ExporterTarget, GrpcTarget, HttpTarget, FileTarget } from './config/ExporterTarget.js';
export { DEFAULT_FILE_LIMIT_BYTES } from './config/ExporterTarget.js';
export { PipelineStats, type ExportOutcome, type DropReason } from './diagnostics/PipelineStats.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { VERSION } from './version.js';
export { startDiagnostics, type DiagnosticsOptions, type DiagnosticsServer } from './diagnostics/startDiagnostics.js';
export {
  Readiness,
  type ProcessState,
  type ReadinessReport,
  type ServiceStatus,
} from './diagnostics/Readiness.js';
export { DEFAULT_DIAG_ADDR } from './diagnostics/parseDiagAddr.js';
export { createTracing, type CreateTracingOptions, type Tracing } from './createTracing.js';
export { PerMillionSampler } from './sampling/PerMillionSampler.js';
export { ParentBasedPerMillionSampler } from './sampling/ParentBasedPerMillionSampler.js';
export { Threshold } from './sampling/Threshold.js';
export { ExportQueue, type ExportQueueOptions } from './pipeline/ExportQueue.js';
export { QueueSpanProcessor } from './pipeline/QueueSpanProcessor.js';
export { estimateSpanBytes } from './pipeline/estimateSpanBytes.js';
export type { TraceExporter } from './exporters/TraceExporter.js';
export type { ExportTransport } from './exporters/ExportTransport.js';
export { createExporter, type CreateExporterOptions } from './exporters/createExporter.js';
export { GrpcTraceExporter, type GrpcTraceExporterOptions } from './exporters/grpc/GrpcTraceExporter.js';
export { HttpTraceExporter, type HttpTraceExporterOptions } from './exporters/http/HttpTraceExporter.js';
export { RetryingExporter, DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryingExporterOptions } from './exporters/RetryingExporter.js';
export { toSdkSpanExporter } from './exporters/toSdkSpanExporter.js';
export { JsonTraceEncoder } from './otlp/json/JsonTraceEncoder.js';
export { ProtoTraceEncoder } from './otlp/proto/ProtoTraceEncoder.js';
export { decodeTracesJson } from './otlp/json/decodeTracesJson.js';
export { decodeTracesProto, ProtoTraceDecoder } from './otlp/proto/decodeTracesProto.js';
export type { DecodeResult } from './otlp/DecodeResult.js';
export { OtlpSpan, type OtlpSpanInit, type OtlpLink, type OtlpScope } from './otlp/OtlpSpan.js';
export { OtlpResource } from './otlp/OtlpResource.js';
export { OtlpDouble } from './otlp/OtlpDouble.js';
export { OtlpTraceState } from './otlp/OtlpTraceState.js';
export {
  startForwarder,
  DEFAULT_FORWARD_URL,
  RECEIVER_SERVICE,
  type Forwarder,
  type ForwarderOptions,
} from './receiver/startForwarder.js';
export { tuneHeapForForwarding, FORWARDER_HEAP_GROWING_PERCENT } from './receiver/tuneHeapForForwarding.js';
export { FileTraceExporter, type FileTraceExporterOptions } from './exporters/file/FileTraceExporter.js';
export { readCapture, type CaptureBatch, type CaptureProblem, type ReadCaptureOptions } from './exporters/file/readCapture.js';
export { listCaptureFiles, type CaptureFile } from './exporters/file/listCaptureFiles.js';
export { replayCapture, type ReplayOptions, type ReplayProgress, type ReplayResult } from './exporters/file/replayCapture.js';
export { summarizeTraces, TraceSummarizer, serviceOf, type TraceSummary } from './exporters/file/summarizeTraces.js';
export { buildTraceTree, type TraceTreeNode } from './exporters/file/buildTraceTree.js';
export { EncodedSpans, type WireForm, type EncodedRequest } from './pipeline/EncodedSpans.js';
export { scanTracesProto } from './otlp/proto/scanTracesProto.js';
export { JsonTranscoder } from './otlp/json/JsonTranscoder.js';
export type { Allocate } from './otlp/json/JsonWriter.js';
export { startUiServer, type UiServer, type UiServerOptions } from './ui/startUiServer.js';
export { CaptureTraceSource, type IndexCaptureOptions } from './ui/CaptureTraceSource.js';
export { LiveTraceStore, DEFAULT_LIVE_MAX_SPANS } from './ui/LiveTraceStore.js';
export type { TraceSource, TraceSourceStatus } from './ui/TraceSource.js';
export { TraceCatalog, type TraceEntry, type TraceSummaryRow } from './ui/TraceCatalog.js';
export type { TraceQuery } from './ui/TraceQuery.js';
export { parseTraceQuery } from './ui/parseTraceQuery.js';
export { toJaegerTrace, type JaegerTrace, type JaegerSpan, type JaegerProcess, type JaegerKeyValue, type JaegerReference, type JaegerLog } from './ui/toJaegerTrace.js';
export { DEFAULT_UI_ADDR } from './ui/parseUiAddr.js';
