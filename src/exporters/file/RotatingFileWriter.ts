import { close, fdatasync, fstat, ftruncate, mkdir, open, readdir, unlink, writev } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { PipelineStats } from '../../stats/PipelineStats.js';
import { ExportError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { BurstLog } from '../BurstLog.js';
import { fileExporterShutdownError } from './fileExporterShutdownError.js';
import { CAPTURE_FILE_PATTERN, CaptureFileNames, compareCaptureFileNames } from './captureFileName.js';

const openAsync = promisify(open);
const closeAsync = promisify(close);
const fstatAsync = promisify(fstat);
const ftruncateAsync = promisify(ftruncate);
const fdatasyncAsync = promisify(fdatasync);
const mkdirAsync = promisify(mkdir);
const readdirAsync = promisify(readdir);
const unlinkAsync = promisify(unlink);

function writevAsync(fd: number, data: readonly Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, data as NodeJS.ArrayBufferView[], null, (err, written) => (err === null ? resolve(written) : reject(err)));
  });
}

interface Pending {
  /** The line's pieces, written one after another. */
  parts: readonly Uint8Array[];
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface RotatingFileWriterOptions {
  dir: string;
  /** Rotate before a write would take a non-empty file past this many bytes. */
  limitBytes: number;
  /** Keep at most this many capture files in `dir`; undefined keeps all. */
  maxFiles: number | undefined;
  stats: PipelineStats;
  logger: Logger;
}

/**
 * Appends whole lines to rotating capture files. One writer drains a queue: the lines queued
 * while a write is in flight go out together in the next writev(2), each line whole, so lines
 * never interleave or split and a busy event loop still writes many exports per turn. A write
 * resolves once its line is in the OS (no fsync per line); `close()` syncs and closes the file.
 */
export class RotatingFileWriter {
  private readonly dir: string;
  private readonly names = new CaptureFileNames();
  private readonly limitBytes: number;
  private readonly maxFiles: number | undefined;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  private fd: number | undefined;
  private path: string | undefined;
  private size = 0;
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly failures: BurstLog;

  constructor(options: RotatingFileWriterOptions) {
    this.dir = options.dir;
    this.limitBytes = options.limitBytes;
    this.maxFiles = options.maxFiles;
    this.stats = options.stats;
    this.logger = options.logger;
    this.failures = new BurstLog(options.logger, 'error');
  }

  /** The file being written, if one is open. */
  get currentFile(): string | undefined {
    return this.path;
  }

  /**
   * Appends a line (which must end with `\n`) whole, given as one Buffer or as pieces written
   * back to back; rejects with an ExportError.
   */
  write(line: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.closed) return Promise.reject(fileExporterShutdownError());
    const parts = line instanceof Uint8Array ? [line] : line;
    let bytes = 0;
    for (const part of parts) bytes += part.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ parts, bytes, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves when every write queued so far has finished. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  /** Finishes queued writes, then syncs and closes the current file. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    this.path = undefined;
    try {
      await fdatasyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      try {
        await this.writeGroup(group);
        for (const p of group) p.resolve();
      } catch (error) {
        for (const p of group) p.reject(error as Error);
      }
    }
    this.draining = undefined;
  }

  /**
   * The queued lines that go into the current file in one writev: they stop before the line that
   * would take a non-empty file past the limit, which then starts the next group (and file).
   */
  private takeGroup(): Pending[] {
    let size = this.fd === undefined ? 0 : this.size;
    let n = 0;
    for (const p of this.queue) {
      if (n > 0 && size + p.bytes > this.limitBytes) break;
      size += p.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    const parts = group.flatMap((p) => p.parts);
    let bytes = 0;
    for (const p of group) bytes += p.bytes;
    try {
      if (this.fd !== undefined && this.size > 0 && this.size + group[0]!.bytes > this.limitBytes) {
        await this.closeCurrent();
        this.stats.fileRotations++;
      }
      if (this.fd === undefined) await this.openNext();
      const fd = this.fd!;
      const written = await writevAsync(fd, parts);
      if (written !== bytes) {
        // Only a full disk or a file size limit cuts a regular-file write short: take the piece back.
        await ftruncateAsync(fd, this.size).catch(() => {});
        throw Object.assign(new Error(`short write: ${written} of ${bytes} bytes (disk full?)`), { code: 'ENOSPC' });
      }
      // A file whose directory or name was removed still takes writes, into nothing: catch that.
      if ((await fstatAsync(fd)).nlink === 0) {
        throw Object.assign(new Error(`${this.path} was deleted while being written`), { code: 'ENOENT' });
      }
      this.size += written;
      this.stats.fileBytesWritten += written;
      this.stats.fileLinesWritten += group.length;
      this.failures.recovered('capture file writes recovered', { file: this.path });
    } catch (cause) {
      this.stats.fileWriteErrors++;
      const file = this.path ?? this.dir;
      await this.abandonCurrent();
      const message = `cannot write capture file ${file}: ${(cause as Error).message}`;
      this.failures.failure(message, { code: (cause as NodeJS.ErrnoException).code });
      throw new ExportError(message, { code: 'TRACEPIPE_FILE_WRITE', retryable: false, cause });
    }
  }

  private async openNext(): Promise<void> {
    const path = join(this.dir, this.names.next());
    let fd: number;
    try {
      fd = await openAsync(path, 'ax', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The directory was removed under us: make it again, as at start-up.
      await mkdirAsync(this.dir, { recursive: true, mode: 0o700 });
      fd = await openAsync(path, 'ax', 0o600);
    }
    this.fd = fd;
    this.path = path;
    this.size = 0;
    if (this.maxFiles !== undefined) await this.applyRetention(this.maxFiles);
  }

  private async closeCurrent(): Promise<void> {
    const fd = this.fd!;
    this.fd = undefined;
    this.path = undefined;
    await closeAsync(fd);
  }

  /** After a failed write: close the file (removing it if it holds nothing) so the next write starts afresh. */
  private async abandonCurrent(): Promise<void> {
    const fd = this.fd;
    const path = this.path;
    if (fd === undefined) return;
    this.fd = undefined;
    this.path = undefined;
    await closeAsync(fd).catch(() => {});
    if (this.size === 0 && path !== undefined) await unlinkAsync(path).catch(() => {});
  }

  /** Deletes the oldest capture files so at most `max` remain, never the one being written. */
  private async applyRetention(max: number): Promise<void> {
    let names: string[];
    try {
      names = (await readdirAsync(this.dir)).filter((n) => CAPTURE_FILE_PATTERN.test(n)).sort(compareCaptureFileNames);
    } catch (err) {
      this.logger.warn({ dir: this.dir, error: (err as Error).message }, 'capture retention: cannot list directory');
      return;
    }
    const current = this.path === undefined ? undefined : basename(this.path);
    let excess = names.length - max;
    for (const name of names) {
      if (excess <= 0) break;
      if (name === current) continue;
      try {
        await unlinkAsync(join(this.dir, name));
        this.stats.fileDeletedByRetention++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.logger.warn({ file: name, error: (err as Error).message }, 'capture retention: cannot delete file');
          continue;
        }
      }
      excess--;
    }
  }
}
