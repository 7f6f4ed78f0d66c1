import { open } from 'node:fs/promises';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { decodeTracesJson, parseExact } from '../otlp/json/decodeTracesJson.js';
import { readCapture } from '../capture/readCapture.js';
import { TraceCatalog } from './TraceCatalog.js';
import type { TraceSource, TraceSourceStatus } from './TraceSource.js';

const KEPT_PROBLEM_MESSAGES = 20;
/** Parsed capture lines kept for reuse (each up to the exporter's 1 MiB line, parsed). */
const CACHED_LINES = 8;

export interface IndexCaptureOptions {
  /** Called after each capture line with spans, with the bytes of such lines read so far (progress). */
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
  private readonly lines = new Map<string, unknown>();

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

  async spans(traceId: string, options: { exact?: boolean } = {}): Promise<ReadableSpan[] | undefined> {
    const exact = options.exact ?? true;
    const entry = this.catalog.get(traceId);
    if (entry === undefined) return undefined;
    const out: ReadableSpan[] = [];
    const loc = entry.locations;
    for (let i = 0; i < loc.length; i += 3) {
      const line = await this.line(loc[i]!, loc[i + 1]!, loc[i + 2]!, exact);
      if (line === undefined) continue;
      try {
        for (const span of decodeTracesJson(onlyTrace(line, traceId)).spans) if (span.spanContext().traceId === traceId) out.push(span);
      } catch {
        // The file changed since it was indexed: nothing of this line can be trusted.
      }
    }
    return out;
  }

  /**
   * One capture line, parsed. The last few lines read are kept: a line holds spans of many
   * traces, and a search that reads spans goes through its candidates in start order, so
   * neighbours share lines.
   */
  private async line(fileId: number, offset: number, bytes: number, exact: boolean): Promise<unknown> {
    const key = `${exact ? 'x' : 'f'}${fileId}:${offset}`;
    if (this.lines.has(key)) {
      const cached = this.lines.get(key);
      this.lines.delete(key);
      this.lines.set(key, cached);
      return cached;
    }
    const buffer = Buffer.allocUnsafe(bytes);
    const handle = await open(this.files[fileId]!, 'r');
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, 0, bytes, offset));
    } finally {
      await handle.close();
    }
    let parsed: unknown;
    try {
      // parseExact walks the text for long integer literals (every OTLP timestamp has 19 digits),
      // which takes more than twice as long as JSON.parse alone.
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      parsed = exact ? parseExact(text) : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    this.lines.set(key, parsed);
    if (this.lines.size > CACHED_LINES) this.lines.delete(this.lines.keys().next().value!);
    return parsed;
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

const HEX_TRACE_ID = /^[0-9a-fA-F]{32}$/;

/**
 * A parsed `TracesData` line cut down to the spans of `traceId`, so only they are decoded (a line
 * holds spans of dozens of traces). Spans whose id is not hex (Teleport's base64) are kept and
 * filtered after decoding; a line of another shape is returned whole.
 */
function onlyTrace(line: unknown, traceId: string): object {
  const root = line as { resourceSpans?: unknown };
  if (typeof line !== 'object' || line === null || !Array.isArray(root.resourceSpans)) return line as object;
  const keep = (span: { traceId?: unknown }) => typeof span?.traceId !== 'string' || !HEX_TRACE_ID.test(span.traceId) || span.traceId.toLowerCase() === traceId;
  return {
    ...root,
    resourceSpans: root.resourceSpans.map((rs: { scopeSpans?: unknown }) =>
      rs === null || typeof rs !== 'object' || !Array.isArray(rs.scopeSpans)
        ? rs
        : { ...rs, scopeSpans: rs.scopeSpans.map((ss: { spans?: unknown }) => (ss === null || typeof ss !== 'object' || !Array.isArray(ss.spans) ? ss : { ...ss, spans: ss.spans.filter(keep) })) },
    ),
  };
}
