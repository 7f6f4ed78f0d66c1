/**
 * The configuration as a user writes it: the YAML file's shape, or the same object in code.
 * Keys are snake_case, as in Teleport's `tracing_service`.
 */
export interface RawKeypair {
  key_file: string;
  cert_file: string;
}

/**
 * Span limits, named as in OpenTelemetry's declarative configuration (`tracer_provider.limits`).
 * Unset keys take OTEL_SPAN_* / OTEL_ATTRIBUTE_* variables, then the SDK's defaults.
 */
export interface RawSpanLimits {
  attribute_count_limit?: number;
  attribute_value_length_limit?: number;
  event_count_limit?: number;
  link_count_limit?: number;
  event_attribute_count_limit?: number;
  link_attribute_count_limit?: number;
}

export interface RawTracingService {
  enabled?: boolean;
  exporter_url?: string;
  sampling_rate_per_million?: number;
  ca_certs?: string[];
  https_keypairs?: RawKeypair[];
  /** Alias of `https_keypairs`: the key Teleport's own code reads. */
  keypairs?: RawKeypair[];
  /** Sent with every export: HTTP headers, or gRPC metadata (an API key for a hosted backend). */
  headers?: Record<string, string>;
  queue_max_bytes?: number;
  max_export_batch_size?: number;
  max_export_batch_bytes?: number;
  schedule_delay_ms?: number;
  export_timeout_ms?: number;
  shutdown_timeout_ms?: number;
  span_limits?: RawSpanLimits;
}

export interface RawReceiver {
  grpc_listen?: string;
  http_listen?: string;
  tls?: { cert_file: string; key_file: string; client_ca_file?: string };
  max_request_bytes?: number;
  queue_max_bytes?: number;
  /** `true` tags with `tracepipe.forwarded_for`; a string names the attribute. */
  tag_sender?: boolean | string;
  /** Samples forwarded traces again at this rate; unset honours the senders' decisions. */
  sampling_rate_per_million?: number;
  shutdown_timeout_ms?: number;
  handshake_timeout_ms?: number;
  request_timeout_ms?: number;
  idle_timeout_ms?: number;
  max_retry_age_ms?: number;
  /** Keeps accepted requests in an append-only log there until delivered; unset: memory only. */
  queue_dir?: string;
  queue_max_disk_bytes?: number;
  /** What an acknowledgement waits for: `always` (fdatasync, the default) or `none` (write(2) only). */
  queue_sync?: string;
  /** How long a commit waits to gather more requests into one write; 0 (the default) does not wait. */
  queue_commit_delay_ms?: number;
}

export interface RawDiagnostics {
  heartbeat_interval_ms?: number;
  heartbeat_retry_interval_ms?: number;
}

export interface RawConfig {
  service_name?: string;
  resource_attributes?: Record<string, string | number | boolean>;
  tracing_service?: RawTracingService;
  receiver?: RawReceiver;
  diag_addr?: string;
  debug?: boolean;
  diagnostics?: RawDiagnostics;
}
