// The public API: what a service, an operator's script or a tool needs, and nothing internal.
// docs/api.md describes each name.

import type { startForwarder as StartForwarder } from './receiver/startForwarder.js';

// Tracing for a service
export { createTracing, type CreateTracingOptions, type Tracing } from './createTracing.js';
export { PerMillionSampler } from './sampling/PerMillionSampler.js';
export { ParentBasedPerMillionSampler } from './sampling/ParentBasedPerMillionSampler.js';

// Configuration
export { loadConfig } from './config/loadConfig.js';
export { validateConfig, DEFAULTS } from './config/validateConfig.js';
export { parseExporterUrl } from './config/parseExporterUrl.js';
export type { RawConfig, RawTracingService, RawReceiver, RawKeypair } from './config/RawConfig.js';
export type { TracepipeConfig, TracingServiceConfig, ReceiverConfig, DiagnosticsConfig, TlsMaterial } from './config/TracepipeConfig.js';
export type { ExporterTarget, GrpcTarget, HttpTarget, FileTarget } from './config/ExporterTarget.js';

// Exporters
export { createExporter, type CreateExporterOptions } from './exporters/createExporter.js';
export type { RetryPolicy } from './exporters/RetryingExporter.js';
export type { TraceExporter } from './exporters/TraceExporter.js';
export { EncodedSpans, type EncodedRequest, type WireForm } from './pipeline/EncodedSpans.js';
export { toSdkSpanExporter } from './exporters/toSdkSpanExporter.js';

// Forwarding
export type { Forwarder, ForwarderOptions } from './receiver/startForwarder.js';

/**
 * Starts the OTLP receiver(s) and forwards what they accept (see receiver/startForwarder.ts).
 * Loaded on the first call, so a service that only traces does not load the receivers and
 * grpc-js's server with tracepipe.
 */
export async function startForwarder(...args: Parameters<typeof StartForwarder>): ReturnType<typeof StartForwarder> {
  const { startForwarder: start } = await import('./receiver/startForwarder.js');
  return start(...args);
}

// Counters, diagnostics, logging
export { PipelineStats, type DropReason, type ExportOutcome } from './stats/PipelineStats.js';
export { startDiagnostics, type DiagnosticsOptions, type DiagnosticsServer } from './diagnostics/startDiagnostics.js';
export type { Readiness, ProcessState, ReadinessReport, ServiceStatus } from './diagnostics/Readiness.js';
export { createLogger, silentLogger, type Logger, type LogFn } from './logger.js';

// Captures
export { readCapture, type CaptureBatch, type CaptureProblem, type ReadCaptureOptions } from './capture/readCapture.js';
export { replayCapture, type ReplayOptions, type ReplayProgress, type ReplayResult } from './capture/replayCapture.js';
export { summarizeTraces, type TraceSummary } from './capture/summarizeTraces.js';

// Trace viewer
export { startUiServer, type UiServer, type UiServerOptions } from './ui/startUiServer.js';
export { CaptureTraceSource, type IndexCaptureOptions } from './ui/CaptureTraceSource.js';
export { LiveTraceStore } from './ui/LiveTraceStore.js';
export type { TraceSource, TraceSourceStatus } from './ui/TraceSource.js';

// Errors
export { TracepipeError, ConfigError, ExportError, type TracepipeErrorCode } from './errors.js';
export { VERSION } from './version.js';
