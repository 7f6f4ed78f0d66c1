import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { FileTarget } from '../../config/ExporterTarget.js';
import type { PipelineStats } from '../../stats/PipelineStats.js';
import { JsonTraceEncoder } from '../../otlp/json/JsonTraceEncoder.js';
import { joinedResourceSpans } from '../../otlp/joinedResourceSpans.js';
import { ExportError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { EncodedSpans } from '../../pipeline/EncodedSpans.js';
import { encodeWithin } from '../encodeWithin.js';
import type { TraceExporter } from '../TraceExporter.js';
import { fileExporterShutdownError } from './fileExporterShutdownError.js';
import { ensureCaptureDir } from './ensureCaptureDir.js';
import { LineBufferPool } from './LineBufferPool.js';
import { RotatingFileWriter } from './RotatingFileWriter.js';

const lineBytes = (line: Buffer): number => line.length;

export interface FileTraceExporterOptions {
  stats: PipelineStats;
  logger: Logger;
  /**
   * Where lines (and, in the forwarder, the OTLP/JSON requests queued for this exporter) get
   * their Buffers; a pool of the exporter's own by default.
   */
  lines?: LineBufferPool;
}

/**
 * Captures spans to rotating files of OTLP/JSON lines (`file:///dir?limit=N&max_files=N`):
 * one export, one `TracesData` line, unless it would be longer than `max_line_bytes` (1 MiB by
 * default, what the Collector's file reader takes), when it is written as several. A span
 * longer on its own gets a line of its own, counted and warned about. Requests the forwarder
 * received come already in OTLP/JSON and are joined. The directory is checked in the
 * constructor, so a bad path fails at start-up. Disk errors fail that export (not retryable)
 * and the next export starts a new file.
 */
export class FileTraceExporter implements TraceExporter<'json'> {
  readonly wireForm = 'json';
  readonly maxBatchBytes: number;
  private readonly target: FileTarget;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  private warnedOversize = false;
  private readonly writer: RotatingFileWriter;
  private readonly lines: LineBufferPool;
  private readonly encoder = new JsonTraceEncoder();
  private shutdownPromise: Promise<void> | undefined;

  constructor(target: FileTarget, options: FileTraceExporterOptions) {
    ensureCaptureDir(target.dir);
    this.target = target;
    this.maxBatchBytes = target.maxLineBytes;
    this.stats = options.stats;
    this.logger = options.logger;
    this.lines = options.lines ?? new LineBufferPool();
    this.writer = new RotatingFileWriter({
      dir: target.dir,
      limitBytes: target.limitBytes,
      maxFiles: target.maxFiles,
      stats: options.stats,
      logger: options.logger,
    });
  }

  export(batch: readonly ReadableSpan[] | EncodedSpans<'json'>): Promise<void> {
    if (this.shutdownPromise !== undefined) return Promise.reject(fileExporterShutdownError());
    if (batch.length === 0) return Promise.resolve();
    if (batch instanceof EncodedSpans) {
      // The queue keeps batches under the limit; only a request of one huge span is over it.
      if (batch.documentBytes > this.maxBatchBytes) this.oversize(batch.spanCount, batch.documentBytes);
      return this.writeJoined(batch.requests);
    }
    let lines: Buffer[];
    try {
      // Encoded now, on the caller's turn, so encoding overlaps the previous write's I/O.
      const chunks = encodeWithin(batch, (spans) => this.encoder.encodeBytes(spans, true, this.lines.allocate), this.maxBatchBytes, lineBytes, (line) => this.lines.release(line));
      lines = chunks.map((chunk) => {
        if (chunk.body.length > this.maxBatchBytes) this.oversize(chunk.spans.length, chunk.body.length);
        return chunk.body;
      });
    } catch (cause) {
      return Promise.reject(new ExportError(`cannot encode spans for ${this.target.dir}: ${(cause as Error).message}`, { cause }));
    }
    const written = lines.length === 1 ? this.writer.write(lines[0]!) : Promise.all(lines.map((line) => this.writer.write(line))).then(() => {});
    const release = () => {
      for (const line of lines) this.lines.release(line);
    };
    written.then(release, release);
    return written;
  }

  /** One line of requests already in OTLP/JSON, written as pieces; their Buffers go back to the pool after. */
  private writeJoined(requests: readonly Uint8Array[]): Promise<void> {
    const written = this.writer.write(joinedResourceSpans(requests, true));
    const release = () => {
      for (const request of requests) this.lines.release(request);
    };
    written.then(release, release);
    return written;
  }

  /** A line over the limit that one span makes on its own: written, counted, warned about once. */
  private oversize(spans: number, bytes: number): void {
    this.stats.fileOversizeSpans += spans;
    if (this.warnedOversize) return;
    this.warnedOversize = true;
    this.logger.warn({
      dir: this.target.dir,
      bytes,
      maxLineBytes: this.maxBatchBytes,
    }, 'a span is longer than max_line_bytes on its own; it is written on a line of its own, which readers with that limit (the Collector\'s file reader: 1 MiB) will not read. Further ones are counted in tracepipe_file_oversize_spans_total');
  }

  async probe(): Promise<void> {
    if (this.shutdownPromise !== undefined) throw fileExporterShutdownError();
    try {
      if (!(await stat(this.target.dir)).isDirectory()) throw new Error('not a directory');
      await access(this.target.dir, constants.W_OK | constants.X_OK);
    } catch (cause) {
      throw new ExportError(`capture directory ${this.target.dir} is not writable: ${(cause as Error).message}`, {
        code: 'TRACEPIPE_FILE_WRITE',
        cause,
      });
    }
  }

  forceFlush(): Promise<void> {
    return this.writer.flush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.writer.close();
    return this.shutdownPromise;
  }

  /** The file being written, if one is open (for tests and diagnostics). */
  get currentFile(): string | undefined {
    return this.writer.currentFile;
  }

  toString(): string {
    return `file ${this.target.dir}`;
  }
}
