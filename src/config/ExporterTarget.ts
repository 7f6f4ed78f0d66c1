/** Default size at which a capture file is rotated: 100 MiB, as Teleport's file exporter. */
export const DEFAULT_FILE_LIMIT_BYTES = 104_857_600;
/**
 * The largest request an exporter sends: 4 MiB, the receive limit of gRPC servers by default
 * (grpc-go's and grpc-js's `max_receive_message_length`) and so of the Collector's OTLP receiver.
 */
export const DEFAULT_MAX_EXPORT_BATCH_BYTES = 4 * 1024 * 1024;
/**
 * The longest capture line: 1 MiB, the Collector's file consumer's `max_log_size` default
 * (pkg/stanza/fileconsumer, DefaultMaxLogSize), beyond which `otlpjsonfile` splits a line.
 */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** The OTLP/HTTP traces path (OTLP spec, "OTLP/HTTP Request"). */
export const DEFAULT_HTTP_PATH = '/v1/traces';

export type HttpEncoding = 'protobuf' | 'json';
export type Compression = 'none' | 'gzip';

export interface GrpcTarget {
  kind: 'grpc';
  /** `host:port`, as @grpc/grpc-js takes it. */
  address: string;
  compression: Compression;
  /** The URL as the user wrote it, for messages and logs. */
  url: string;
}

export interface HttpTarget {
  kind: 'http';
  /** Full URL including the path (default `/v1/traces`). */
  endpoint: string;
  /** `https:` always uses TLS; there is no silent fallback to plaintext. */
  secure: boolean;
  encoding: HttpEncoding;
  compression: Compression;
  url: string;
}

export interface FileTarget {
  kind: 'file';
  /** Absolute directory that holds the capture files. */
  dir: string;
  /** Rotate before a write would take a non-empty file past this many bytes. */
  limitBytes: number;
  /** Keep at most this many files (oldest deleted); undefined keeps all. */
  maxFiles: number | undefined;
  /** The longest line written, newline included, unless one span alone is longer. */
  maxLineBytes: number;
  url: string;
}

export type ExporterTarget = GrpcTarget | HttpTarget | FileTarget;

export const SUPPORTED_SCHEMES = ['grpc://', 'http://', 'https://', 'file://', 'host:port (gRPC)'];
