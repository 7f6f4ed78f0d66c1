import { TracepipeError } from '../../errors.js';
import { idProblem } from '../DecodeResult.js';

/**
 * The protobuf wire reader the OTLP decoders share: one message at a time, walked in place.
 * Each decoder, scanner or transcoder reads with its own ProtoReader (no module state: ESM loader
 * hooks re-export modules and freeze `export let` bindings); they read `buf` and `pos` and move
 * `pos` only through these methods. Every read is bounds-checked:
 * bytes that are not a valid message throw TRACEPIPE_INVALID_OTLP, never read past the end.
 */

/** Node's Buffer has this method on every version we support; @types/node does not declare it. */
type NodeBuffer = Buffer & { latin1Slice(start: number, end: number): string };

const EMPTY = Buffer.alloc(0) as NodeBuffer;
const EMPTY_VIEW = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);

export class ProtoReader {
  buf: NodeBuffer = EMPTY;
  /** The same bytes, for reading four at a time. */
  view = EMPTY_VIEW;
  pos = 0;

  /** Starts reading `bytes`; `close` lets go of them. */
  open(bytes: Uint8Array): void {
    this.buf = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as NodeBuffer;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = 0;
  }

  close(): void {
    this.buf = EMPTY;
    this.view = EMPTY_VIEW;
  }

  seek(at: number): void {
    this.pos = at;
  }

  fail(message: string): never {
    throw new TracepipeError('TRACEPIPE_INVALID_OTLP', `invalid OTLP protobuf: ${message} at byte ${this.pos}`);
  }

  /** A varint's low 32 bits (enough for tags, lengths, enums and uint32 counts). */
  varint(): number {
    // Tags and most lengths and counts take one byte.
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const c = this.buf[this.pos++]!;
      if (shift < 32) value |= (c & 0x7f) << shift;
      if (c < 0x80) return value >>> 0;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /**
   * A field's tag. Field number 0 is no field (the protobuf encoding spec numbers fields from 1;
   * Go's decoder, so the Collector, refuses it), and a tag takes at most 32 bits (field numbers
   * end at 2^29 - 1): every reader here refuses both, so the scanner never passes on bytes that a
   * decoder downstream refuses.
   */
  tag(): number {
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      if (first < 8) this.fail('field number 0');
      this.pos++;
      return first;
    }
    const start = this.pos;
    const tag = this.varint();
    if (this.pos - start > 5 || (this.pos - start === 5 && this.buf[this.pos - 1]! > 0x0f)) this.fail('tag longer than 32 bits');
    if (tag >>> 3 === 0) this.fail('field number 0');
    return tag;
  }

  /**
   * Whether bytes `from`..`to` are well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or
   * code points past U+10FFFF). proto3 `string` fields must be UTF-8: Go's decoder (so the
   * Collector) and protobufjs refuse anything else, and so do the readers here. ASCII is checked
   * four bytes at a time.
   */
  utf8(from: number, to: number): boolean {
    const b = this.buf;
    const v = this.view;
    let i = from;
    while (i < to) {
      while (i + 4 <= to && (v.getInt32(i, true) & 0x80808080) === 0) i += 4;
      if (i >= to) break;
      const c = b[i++]!;
      if (c < 0x80) continue;
      if (c < 0xc2 || c > 0xf4) return false;
      const n = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
      if (i + n > to) return false;
      // The second byte's range rules out overlong forms, surrogates and values past U+10FFFF.
      const second = b[i]!;
      if (second < (c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80) || second > (c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf)) return false;
      for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return false;
      i += n;
    }
    return true;
  }

  /** A string field's bytes: steps over them and returns where they start, failing unless they are UTF-8. */
  stringAt(end: number): number {
    const at = this.bytesAt(end);
    if (!this.utf8(at, this.pos)) this.fail('string field is not UTF-8');
    return at;
  }

  /** An int64 varint: a number when it is exactly representable, else a bigint. */
  int64(): number | bigint {
    let low = 0;
    let high = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const c = this.buf[this.pos++]!;
      const bits = c & 0x7f;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= bits << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if (c < 0x80) {
        const signedHigh = high | 0;
        low >>>= 0;
        if (signedHigh >= -0x200000 && signedHigh < 0x200000) return signedHigh * 4294967296 + low;
        return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low));
      }
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** Reads a length and returns where that field ends, checking it stays inside `end`. */
  lengthEnd(end: number): number {
    const length = this.varint();
    const fieldEnd = this.pos + length;
    if (fieldEnd > end) this.fail('length runs past the end of its message');
    return fieldEnd;
  }

  /** Steps over a length-delimited field and returns where its bytes start; `pos` is left where they end. */
  bytesAt(end: number): number {
    const fieldEnd = this.lengthEnd(end);
    const at = this.pos;
    this.pos = fieldEnd;
    return at;
  }

  /** Steps over a field this reader does not use, as protobuf requires of unknown fields. */
  skip(tag: number, end: number): void {
    switch (tag & 7) {
      case 0:
        this.varint();
        break;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lengthEnd(end);
        break;
      case 5:
        this.pos += 4;
        break;
      default:
        this.fail(`unsupported wire type ${tag & 7} (field ${tag >>> 3})`);
    }
    if (this.pos > end) this.fail('field runs past the end of its message');
  }

  fixed32(end: number): number {
    if (this.pos + 4 > end) this.fail('truncated fixed32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Checks a fixed64 is there and returns where it starts (read its halves from `view`). */
  fixed64At(end: number): number {
    if (this.pos + 8 > end) this.fail('truncated fixed64');
    const at = this.pos;
    this.pos += 8;
    return at;
  }

  double(end: number): number {
    if (this.pos + 8 > end) this.fail('truncated double');
    const d = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return d;
  }

  checkEnd(end: number): void {
    if (this.pos !== end) this.fail('message runs past its length');
  }

  /** True when bytes `from`..`to` are all zero (an unset id). */
  private allZero(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (this.buf[i] !== 0) return false;
    return true;
  }

  /**
   * Why a span's ids, at these byte ranges of what is being read (the parent's by its length),
   * make it unusable, by the rules every decoder shares (idProblem); undefined when they are fine.
   */
  spanIdsProblem(traceIdAt: number, traceIdEnd: number, spanIdAt: number, spanIdEnd: number, parentBytes: number): string | undefined {
    return idProblem(traceIdEnd - traceIdAt, this.allZero(traceIdAt, traceIdEnd), spanIdEnd - spanIdAt, this.allZero(spanIdAt, spanIdEnd), parentBytes);
  }
}
