import { createReadStream } from 'node:fs';

/** One line of a file: its text without the `\n`, 1-based number, byte length including the `\n`. */
export interface FileLine {
  text: string;
  line: number;
  bytes: number;
  /** Byte offset of the line's first byte in the file, to read it again later. */
  offset: number;
  /** False for a last line with no `\n` after it (a write cut short by a crash, or a hand-edited file). */
  terminated: boolean;
}

const NEWLINE = 0x0a;

/**
 * Streams a file line by line, holding at most one line plus one read chunk in memory.
 * Splits on the byte `\n`, which never occurs inside a multi-byte UTF-8 sequence.
 */
export async function* readLines(file: string, chunkBytes = 1 << 20): AsyncGenerator<FileLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  let offset = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      const text =
        pendingBytes === 0 ? piece.toString('utf8') : Buffer.concat([...pending, piece], pendingBytes + piece.length).toString('utf8');
      const bytes = pendingBytes + piece.length + 1;
      yield { text, line: ++line, bytes, offset, terminated: true };
      offset += bytes;
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
    }
  }
  if (pendingBytes > 0) {
    yield { text: Buffer.concat(pending, pendingBytes).toString('utf8'), line: ++line, bytes: pendingBytes, offset, terminated: false };
  }
}
