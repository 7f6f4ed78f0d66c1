import { open } from 'node:fs/promises';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { decodeTracesJson } from '../encoding/decodeTracesJson.js';
import { readCapture } from '../exporters/file/readCapture.js';
import { TraceCatalog } from './TraceCatalog.js';
import type { TraceSource, TraceSourceStatus } from './TraceSource.js';

const KEPT_PROBLEM_MESSAGES = 20;

export interface IndexCaptureOptions {
  /** Called after each capture line with the bytes read so far, for progress. */
  onProgress?: (bytesRead: number) => void;
}

/**
 * Capture files (tracepipe's or Teleport's), indexed once by streaming them through the capture
 * reader: the catalog keeps per trace its summary and where its lines are (file, offset, length),
 * and a trace's spans are read again from those lines when it is opened.
 */
export class CaptureTraceSource implements TraceSource {
  readonly catalog = new TraceCatalog();
  private readonly files: string[] = [];
  private readonly problems = { count: 0, messages: [] as string[] };

  private constructor(private readonly paths: string[]) {}

  /** Indexes every path (a capture file, or a directory of `*.trace` files), in order. */
  static async index(paths: readonly string[], options: IndexCaptureOptions = {}): Promise<CaptureTraceSource> {
    const source = new CaptureTraceSource([...paths]);
    let bytesRead = 0;
    for (const path of paths) {
      const onProblem = source.noteProblem;
      let fileId = -1;
      let fileName = '';
      for await (const batch of readCapture(path, { onProblem })) {
        if (batch.file !== fileName) {
          fileName = batch.file;
          fileId = source.files.length;
          source.files.push(fileName);
        }
        for (const span of batch.spans) {
          const loc = source.catalog.add(span).locations;
          // Spans of one trace in one line are noted once.
          if (loc[loc.length - 3] !== fileId || loc[loc.length - 2] !== batch.offset) loc.push(fileId, batch.offset, batch.bytes);
        }
        bytesRead += batch.bytes;
        options.onProgress?.(bytesRead);
      }
    }
    return source;
  }

  private readonly noteProblem = (problem: { message: string }): void => {
    this.problems.count++;
    if (this.problems.messages.length < KEPT_PROBLEM_MESSAGES) this.problems.messages.push(problem.message);
  };

  async spans(traceId: string): Promise<ReadableSpan[] | undefined> {
    const entry = this.catalog.get(traceId);
    if (entry === undefined) return undefined;
    const out: ReadableSpan[] = [];
    const loc = entry.locations;
    for (let i = 0; i < loc.length; ) {
      const fileId = loc[i]!;
      const handle = await open(this.files[fileId]!, 'r');
      try {
        for (; i < loc.length && loc[i] === fileId; i += 3) {
          const bytes = loc[i + 2]!;
          const buffer = Buffer.allocUnsafe(bytes);
          const { bytesRead } = await handle.read(buffer, 0, bytes, loc[i + 1]!);
          // A file changed since it was indexed yields what still decodes.
          let decoded: ReturnType<typeof decodeTracesJson>;
          try {
            decoded = decodeTracesJson(buffer.subarray(0, bytesRead).toString('utf8'));
          } catch {
            continue;
          }
          for (const span of decoded.spans) if (span.spanContext().traceId === traceId) out.push(span);
        }
      } finally {
        await handle.close();
      }
    }
    return out;
  }

  status(): TraceSourceStatus {
    return {
      mode: 'capture',
      sources: this.paths,
      traces: this.catalog.traceCount,
      spans: this.catalog.spanCount,
      version: 0,
      problems: { count: this.problems.count, messages: [...this.problems.messages] },
    };
  }
}
