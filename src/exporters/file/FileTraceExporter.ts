import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { FileTarget } from '../../config/ExporterTarget.js';
import type { PipelineStats } from '../../diagnostics/PipelineStats.js';
import { EncodedSpans } from '../../otlp/EncodedSpans.js';
import { JsonTraceEncoder } from '../../otlp/json/JsonTraceEncoder.js';
import { joinedResourceSpans } from '../../otlp/joinedResourceSpans.js';
import { JsonTranscoder } from '../../otlp/json/JsonTranscoder.js';
import { ExportError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { TraceExporter } from '../TraceExporter.js';
import { fileExporterShutdownError } from './fileExporterShutdownError.js';
import { ensureCaptureDir } from './ensureCaptureDir.js';
import { LineBufferPool } from './LineBufferPool.js';
import { RotatingFileWriter } from './RotatingFileWriter.js';

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
 * one export, one `TracesData` line (requests the forwarder received are transcoded straight
 * from their protobuf). The directory is checked in the constructor, so a bad
 * path fails at start-up. Disk errors fail that export (not retryable) and the next export
 * starts a new file.
 */
export class FileTraceExporter implements TraceExporter {
  private readonly target: FileTarget;
  private readonly writer: RotatingFileWriter;
  private readonly lines: LineBufferPool;
  private readonly encoder = new JsonTraceEncoder();
  private readonly transcoder = new JsonTranscoder();
  private shutdownPromise: Promise<void> | undefined;

  constructor(target: FileTarget, options: FileTraceExporterOptions) {
    ensureCaptureDir(target.dir);
    this.target = target;
    this.lines = options.lines ?? new LineBufferPool();
    this.writer = new RotatingFileWriter({
      dir: target.dir,
      limitBytes: target.limitBytes,
      maxFiles: target.maxFiles,
      stats: options.stats,
      logger: options.logger,
    });
  }

  export(batch: readonly ReadableSpan[] | EncodedSpans): Promise<void> {
    if (this.shutdownPromise !== undefined) return Promise.reject(fileExporterShutdownError());
    if (batch.length === 0) return Promise.resolve();
    if (batch instanceof EncodedSpans && batch.format === 'json') return this.writeJoined(batch.requests);
    let line: Buffer;
    try {
      // Encoded now, on the caller's turn, so encoding overlaps the previous write's I/O.
      line =
        batch instanceof EncodedSpans
          ? this.transcoder.transcode(batch.requests, true, this.lines.allocate)
          : this.encoder.encodeBytes(batch, true, this.lines.allocate);
    } catch (cause) {
      return Promise.reject(new ExportError(`cannot encode spans for ${this.target.dir}: ${(cause as Error).message}`, { cause }));
    }
    const written = this.writer.write(line);
    written.then(
      () => this.lines.release(line),
      () => this.lines.release(line),
    );
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
