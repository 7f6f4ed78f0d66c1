import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 400 | 413 | 429; message: string };

/**
 * Reads a request body while enforcing `maxBytes` on the bytes received and, for gzip, on the
 * bytes decompressed: reading stops at the first byte past the limit, so neither an oversized
 * body nor a gzip bomb is ever held in memory. A declared Content-Length over the limit is
 * refused before a byte is read. `reserve(size)` is asked for memory before the body held grows
 * to `size` bytes; when it says no, reading stops with 429.
 */
export function readLimitedBody(req: IncomingMessage, maxBytes: number, gzip: boolean, reserve: (size: number) => boolean): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ ok: false, status: 413, message: `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let wire = 0;
    let done = false;
    const gunzip = gzip ? createGunzip() : undefined;

    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      req.off('data', onWire);
      if (gunzip !== undefined) gunzip.destroy();
      resolve(result);
    };
    const tooLarge = (what: string): void =>
      finish({ ok: false, status: 413, message: `${what} exceeds the limit of ${maxBytes} bytes` });
    const collect = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) return tooLarge(gzip ? 'decompressed request body' : 'request body');
      if (!reserve(size)) return finish({ ok: false, status: 429, message: 'forwarder queue is full, retry later' });
      chunks.push(chunk);
    };
    const onWire = (chunk: Buffer): void => {
      wire += chunk.length;
      if (wire > maxBytes) return tooLarge('request body');
      if (gunzip === undefined) collect(chunk);
      else gunzip.write(chunk);
    };

    req.on('data', onWire);
    req.on('error', () => finish({ ok: false, status: 400, message: 'request body could not be read' }));
    req.on('aborted', () => finish({ ok: false, status: 400, message: 'request aborted' }));
    if (gunzip === undefined) {
      req.on('end', () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    } else {
      gunzip.on('data', collect);
      gunzip.on('error', (err) => finish({ ok: false, status: 400, message: `invalid gzip body: ${err.message}` }));
      gunzip.on('end', () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
      req.on('end', () => {
        if (!done) gunzip.end();
      });
    }
  });
}
