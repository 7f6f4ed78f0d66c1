import { createWriteStream, type WriteStream } from 'node:fs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * The file path a user assembles from stock parts: the official OTLP/JSON serializer and a
 * write stream, one `TracesData` line per batch, success reported once the write completes.
 */
export class StockFileSpanExporter implements SpanExporter {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = JsonTraceSerializer.serializeRequest(spans);
    if (!body) {
      done({ code: ExportResultCode.FAILED, error: new Error('serialization failed') });
      return;
    }
    this.stream.write(body);
    this.stream.write('\n', (err) => done(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS }));
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
