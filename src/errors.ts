/**
 * One error base for the whole package, with stable `code` strings that callers
 * can switch on (modelled on undici's errors). Messages are for people; codes are
 * for programs and never change meaning.
 */
export type TracepipeErrorCode =
  | 'TRACEPIPE_CONFIG_INVALID'
  | 'TRACEPIPE_CONFIG_UNKNOWN_KEY'
  | 'TRACEPIPE_CONFIG_MISSING'
  | 'TRACEPIPE_CONFIG_FILE'
  | 'TRACEPIPE_UNSUPPORTED_SCHEME'
  | 'TRACEPIPE_TLS_MATERIAL'
  | 'TRACEPIPE_EXPORTER_SHUTDOWN'
  | 'TRACEPIPE_EXPORT_FAILED'
  | 'TRACEPIPE_EXPORT_TIMEOUT'
  | 'TRACEPIPE_FILE_WRITE'
  | 'TRACEPIPE_CAPTURE_MALFORMED'
  | 'TRACEPIPE_CAPTURE_READ'
  | 'TRACEPIPE_INVALID_OTLP'
  | 'TRACEPIPE_QUEUE_FULL'
  | 'TRACEPIPE_RECEIVER_LISTEN'
  | 'TRACEPIPE_DIAGNOSTICS_LISTEN'
  | 'TRACEPIPE_DIAGNOSTICS_REQUEST'
  | 'TRACEPIPE_UI_BAD_QUERY'
  | 'TRACEPIPE_UI_LISTEN';

export class TracepipeError extends Error {
  readonly code: TracepipeErrorCode;

  constructor(code: TracepipeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** A configuration value broke a rule. `key` is the key as the user writes it (`tracing_service.exporter_url`). */
export class ConfigError extends TracepipeError {
  readonly key: string | undefined;

  constructor(
    message: string,
    options: { code?: TracepipeErrorCode; key?: string; cause?: unknown } = {},
  ) {
    super(options.code ?? 'TRACEPIPE_CONFIG_INVALID', message, { cause: options.cause });
    this.key = options.key;
  }
}

/** An export did not reach its destination; `retryable` tells the retry wrapper whether to try again. */
export class ExportError extends TracepipeError {
  readonly retryable: boolean;
  /** Server-requested delay before the next attempt (HTTP Retry-After, gRPC RetryInfo), in ms. */
  readonly retryAfterMs: number | undefined;
  /**
   * Set when a batch went out in parts and only some failed: the spans that failed. The others
   * were delivered, less `rejectedSpans` that the exporter has already counted as dropped.
   */
  readonly failedSpans: number | undefined;
  readonly rejectedSpans: number;
  /**
   * The destination refused this request's content (gRPC INVALID_ARGUMENT, HTTP 400 or 413), so
   * it says nothing about other requests: a batch of several is worth sending in parts.
   */
  readonly badRequest: boolean;

  constructor(
    message: string,
    options: {
      code?: TracepipeErrorCode;
      retryable?: boolean;
      retryAfterMs?: number;
      failedSpans?: number;
      rejectedSpans?: number;
      badRequest?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(options.code ?? 'TRACEPIPE_EXPORT_FAILED', message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.failedSpans = options.failedSpans;
    this.rejectedSpans = options.rejectedSpans ?? 0;
    this.badRequest = options.badRequest ?? false;
  }
}
