import { decodeTracesJson, parseExact } from '../otlp/json/decodeTracesJson.js';
import type { OtlpSpan } from '../otlp/OtlpSpan.js';
import { TracepipeError } from '../errors.js';
import { createLogger } from '../logger.js';
import { listCaptureFiles } from './listCaptureFiles.js';
import { type FileLine, readLines } from './readLines.js';

/** The spans of one capture line. */
export interface CaptureBatch {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  /** Bytes of the line including its `\n`, for progress by bytes. */
  bytes: number;
  /** Byte offset of the line in `file`: `bytes` from there read the line again. */
  offset: number;
  spans: OtlpSpan[];
}

/**
 * Something in a capture that could not be read in full. `truncated`: a last line with no
 * `\n` that does not parse (a crash mid-write), skipped. `malformed`: a line that is not OTLP
 * JSON, skipped. `rejected`: a line whose spans were read except `rejectedSpans` invalid ones.
 */
export interface CaptureProblem {
  kind: 'truncated' | 'malformed' | 'rejected';
  file: string;
  line: number;
  /** Spans known to be lost: the decoder's count for `rejected`, 0 when a line could not be read at all. */
  rejectedSpans: number;
  message: string;
}

export interface ReadCaptureOptions {
  /** Called for every problem, in file order; reading goes on. Default: a warning on stderr. */
  onProblem?: (problem: CaptureProblem) => void;
}

/**
 * Reads a capture file, or every `*.trace` file in a directory in name (time) order, streaming
 * line by line: one batch per line. Reads our `TracesData` lines and Teleport's bare
 * `ResourceSpans` lines alike. Bad lines are reported through `onProblem` and skipped; a
 * missing path throws a TracepipeError (TRACEPIPE_CAPTURE_READ).
 */
export async function* readCapture(pathOrDir: string, options: ReadCaptureOptions = {}): AsyncGenerator<CaptureBatch> {
  const onProblem = options.onProblem ?? warnOnStderr();
  for (const { path } of await listCaptureFiles(pathOrDir)) {
    for await (const { text, line, bytes, offset, terminated } of linesOf(path)) {
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        // Not JSON.parse: it rounds int64 numbers past 2^53 (proto3 JSON allows them as numbers).
        value = parseExact(text);
      } catch (err) {
        const kind = terminated ? 'malformed' : 'truncated';
        const what = terminated ? 'is not JSON' : 'is an incomplete last line (a write cut short?)';
        onProblem({ kind, file: path, line, rejectedSpans: 0, message: `${path}:${line} ${what}: ${(err as Error).message}` });
        continue;
      }
      let decoded: ReturnType<typeof decodeTracesJson>;
      try {
        decoded = decodeTracesJson(value as object);
      } catch (err) {
        onProblem({ kind: 'malformed', file: path, line, rejectedSpans: 0, message: `${path}:${line} is not OTLP JSON: ${(err as Error).message}` });
        continue;
      }
      if (decoded.errors.length > 0 || decoded.rejected > 0) {
        const unread = decoded.spans.length === 0 && decoded.rejected === 0;
        onProblem({
          kind: unread ? 'malformed' : 'rejected',
          file: path,
          line,
          rejectedSpans: decoded.rejected,
          message: `${path}:${line} ${unread ? 'is not OTLP JSON' : `has ${decoded.rejected} invalid span(s)`}: ${decoded.errors.join('; ')}`,
        });
      }
      if (decoded.spans.length > 0) yield { file: path, line, bytes, offset, spans: decoded.spans };
    }
  }
}

/** readLines with I/O errors turned into a TracepipeError naming the file. */
async function* linesOf(path: string): AsyncGenerator<FileLine> {
  try {
    yield* readLines(path);
  } catch (cause) {
    // Deleted since it was listed (retention of a live exporter): nothing left to read.
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new TracepipeError('TRACEPIPE_CAPTURE_READ', `cannot read capture file ${path}: ${(cause as Error).message}`, { cause });
  }
}

function warnOnStderr(): (problem: CaptureProblem) => void {
  const logger = createLogger('warn');
  return (p) => logger.warn({ kind: p.kind, file: p.file, line: p.line }, p.message);
}
