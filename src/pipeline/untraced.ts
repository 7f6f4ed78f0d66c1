import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * Runs `fn` in the active context with tracing suppressed, as the SDK's BatchSpanProcessor runs
 * its exports: an instrumented transport (http, undici, fs, grpc-js) then makes no spans for
 * tracepipe's own I/O, which would otherwise be exported in turn, forever. The context follows
 * retries and callbacks started inside `fn`.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}
