import type { HrTime } from '@opentelemetry/api';
import { hrTimeToNanosString } from '../hrTime.js';
import { JSON_KEY } from '../schema.js';

/**
 * The byte writer both OTLP/JSON encoders share (from SDK spans, and straight from protobuf):
 * JSON is written into one reused buffer, with no intermediate strings, then copied out once
 * (or straight into a Buffer the caller allocates; see `begin`). Each encoder owns one
 * JsonWriter; encoders read `pos` and move it only through these methods. No module state:
 * ESM loader hooks (import-in-the-middle) re-export modules and freeze `export let` bindings.
 */

/** Node's Buffer has these methods on every version we support; @types/node does not declare them. */
type NodeBuffer = Buffer & {
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
};

const INITIAL_BUFFER = 512 * 1024;
/** A huge batch grows the buffer; afterwards it is not kept around. */
const MAX_KEPT_BUFFER = 16 * 1024 * 1024;

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const COMMA = 0x2c;
export const QUOTE = 0x22;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const NEWLINE = 0x0a;

/** Where a document goes: a Buffer of `size` bytes to write it into (a pool's, say). */
export type Allocate = (size: number) => Buffer;

const MIN_ALLOCATED = 64 * 1024;

/** Fixed text as bytes. */
export function bytes(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'utf8'));
}

/**
 * TypedArray.prototype.set, called directly: the method looked up on a Buffer went through a
 * generic property load in optimized code.
 */
const setBytes = Uint8Array.prototype.set;

/** Each byte's two hex digits, as one little-endian 16-bit store. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, v) => {
  const digits = v.toString(16).padStart(2, '0');
  return digits.charCodeAt(0) | (digits.charCodeAt(1) << 8);
});

/** Strings at least this long are checked by a regular expression and copied natively; shorter ones by a loop. */
const LONG_STRING = 64;
/** Text that JSON must escape, or that is not ASCII. */
const SLOW_PATH = /["\\\u0000-\u001f\u0080-\uffff]/;

/**
 * Whether any of a word's four bytes is not ASCII, a control character, `"` or `\`
 * (the byte tests of "Bit Twiddling Hacks": a byte below n sets its top bit in x - n*0x01010101
 * when no byte is 0x80 or above). DEL passes, as JSON.stringify leaves it too.
 */
function needsEscape(w: number): boolean {
  const quote = w ^ 0x22222222;
  const backslash = w ^ 0x5c5c5c5c;
  return ((w | ((w - 0x20202020) & ~w) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) !== 0;
}

/** Two decimal digits per entry, as one little-endian 16-bit store. */
const DIGIT_PAIRS = Uint16Array.from({ length: 100 }, (_, v) => (48 + ((v / 10) | 0)) | ((48 + (v % 10)) << 8));

const DOUBLE_VALUE = bytes(`{"${JSON_KEY.double_value}":`);

/** 10^k for the fractional digit counts the short path tries; exact as doubles. */
const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6];
const MAX_SHORT = 1e15;

export class JsonWriter {
  buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER) as NodeBuffer;
  pos = 0;
  /** The same bytes, for writing four at a time. */
  view = viewOf(this.buf);
  /** The writer's own buffer while it writes into an allocated one; undefined otherwise. */
  private own: NodeBuffer | undefined;
  /**
   * The size to ask `allocate` for: the largest recent document (it decays by 1/16 a document),
   * so that a small batch between large ones does not make the next large one outgrow its Buffer.
   */
  private expectedBytes = 0;
  /** The seconds of the last time written, as `"` and digits: times in a batch mostly share them. */
  private lastSeconds = -1;
  private lastSecondsBytes: Uint8Array = new Uint8Array(0);

  /**
   * Starts a document: in the writer's own buffer, to be copied out; or, given `allocate`, straight
   * into a Buffer from it, sized from the last document (so no copy at the end). A document left
   * unfinished by an error ends here too.
   */
  begin(allocate?: Allocate): void {
    if (this.own !== undefined) this.backToOwn();
    if (allocate !== undefined) {
      this.own = this.buf;
      this.buf = allocate(Math.max(MIN_ALLOCATED, this.expectedBytes + (this.expectedBytes >> 2))) as NodeBuffer;
      this.view = viewOf(this.buf);
    }
    this.pos = 0;
  }

  private backToOwn(): void {
    this.buf = this.own!;
    this.own = undefined;
    this.view = viewOf(this.buf);
  }

  /** Takes back everything written after `at`. */
  rewind(at: number): void {
    this.pos = at;
  }

  /**
   * The document, optionally followed by `\n`: a view of the Buffer `begin` allocated (or of a
   * larger one, if the document outgrew it), else a new Buffer.
   */
  takeBytes(newline: boolean): Buffer {
    if (newline) this.putByte(NEWLINE);
    this.expectedBytes = Math.max(this.pos, this.expectedBytes - (this.expectedBytes >> 4));
    if (this.own !== undefined) {
      const out = this.buf.subarray(0, this.pos);
      this.backToOwn();
      return out;
    }
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.releaseLargeBuffer();
    return out;
  }

  /** The document as a string. */
  takeString(): string {
    const text = this.buf.toString('utf8', 0, this.pos);
    this.releaseLargeBuffer();
    return text;
  }

  private releaseLargeBuffer(): void {
    if (this.buf.length > MAX_KEPT_BUFFER) {
      this.buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER) as NodeBuffer;
      this.view = viewOf(this.buf);
    }
  }

  private grow(bytes: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafeSlow(size) as NodeBuffer;
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = viewOf(this.buf);
  }

  /** The bytes `write` puts in the buffer, taken back out (for caches). */
  capture(write: () => void): Uint8Array {
    const start = this.pos;
    write();
    const captured = new Uint8Array(this.buf.subarray(start, this.pos));
    this.pos = start;
    return captured;
  }

  /** A copy of what was written since `start`, left in place. */
  copyFrom(start: number): Uint8Array {
    return new Uint8Array(this.buf.subarray(start, this.pos));
  }

  putByte(byte: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = byte;
  }

  /** A native copy costs about as much as a loop over 8 bytes, so short pieces take the loop. */
  putBytes(piece: Uint8Array): void {
    const n = piece.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    if (n > 8) setBytes.call(this.buf, piece, this.pos);
    else for (let i = 0; i < n; i++) this.buf[this.pos + i] = piece[i]!;
    this.pos += n;
  }

  /**
   * Bytes `from`..`to` of what is already written, again, four at a time (copyWithin is a
   * runtime call, slower for the short pieces this copies).
   */
  putCopy(from: number, to: number): void {
    const n = to - from;
    if (this.pos + n + 4 > this.buf.length) this.grow(n + 4);
    const v = this.view;
    // Whole words may write up to 3 bytes past the copy; this.pos moves by exactly n, so later writes cover them.
    for (let i = 0; i < n; i += 4) v.setInt32(this.pos + i, v.getInt32(from + i, true), true);
    this.pos += n;
  }

  /** Text known to be ASCII (hex ids, digits), one byte per character. */
  putAscii(text: string): void {
    const n = text.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  /** Bytes `from`..`to` of `source` as lowercase hex (OTLP/JSON ids). */
  putHex(source: Uint8Array, from: number, to: number): void {
    const n = (to - from) * 2;
    if (this.pos + n > this.buf.length) this.grow(n);
    const v = this.view;
    let p = this.pos;
    for (let i = from; i < to; i++) {
      v.setUint16(p, HEX_PAIRS[source[i]!]!, true);
      p += 2;
    }
    this.pos = p;
  }

  /**
   * A JSON string literal. Plain ASCII is copied as is; anything else goes through
   * JSON.stringify, which escapes what JSON needs and writes lone surrogates as \uXXXX,
   * so its UTF-8 is lossless.
   */
  putString(text: string): void {
    const n = text.length;
    if (this.pos + n + 2 > this.buf.length) this.grow(n + 2);
    if (n >= LONG_STRING) {
      if (SLOW_PATH.test(text)) return this.putEscaped(text);
      this.buf[this.pos] = QUOTE;
      this.pos += this.buf.latin1Write(text, this.pos + 1) + 1;
      this.buf[this.pos++] = QUOTE;
      return;
    }
    const b = this.buf;
    let p = this.pos;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) return this.putEscaped(text);
      b[p++] = c;
    }
    b[p++] = QUOTE;
    this.pos = p;
  }

  private putEscaped(text: string): void {
    const literal = JSON.stringify(text);
    if (this.pos + literal.length * 3 > this.buf.length) this.grow(literal.length * 3);
    this.pos += this.buf.utf8Write(literal, this.pos);
  }

  /**
   * A JSON string literal from UTF-8 bytes (a protobuf string; `sourceView` is a DataView of
   * `source`). ASCII that JSON need not escape is copied as it is, four bytes at a time;
   * anything else is decoded (the readers refuse invalid UTF-8 before it gets here) and
   * escaped, so the result is what putString writes for the decoded text. Returns true when the
   * bytes were copied as they are: then they were ASCII, so UTF-8, and a caller that must check
   * them need not walk them again.
   */
  putUtf8(source: Uint8Array, sourceView: DataView, from: number, to: number): boolean {
    const n = to - from;
    if (this.pos + n + 2 > this.buf.length) this.grow(n + 2);
    const v = this.view;
    let p = this.pos;
    this.buf[p++] = QUOTE;
    let i = from;
    for (const words = to - 3; i < words; i += 4) {
      const w = sourceView.getInt32(i, true);
      if (needsEscape(w)) return this.putUtf8Escaped(source, from, to);
      v.setInt32(p, w, true);
      p += 4;
    }
    for (; i < to; i++) {
      const c = source[i]!;
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) return this.putUtf8Escaped(source, from, to);
      this.buf[p++] = c;
    }
    this.buf[p++] = QUOTE;
    this.pos = p;
    return true;
  }

  private putUtf8Escaped(source: Uint8Array, from: number, to: number): false {
    this.putEscaped(Buffer.from(source.buffer, source.byteOffset + from, to - from).toString('utf8'));
    return false;
  }

  /** A number as JavaScript prints it; non-negative safe integers without making a string. */
  putNumber(value: number): void {
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value)) this.putDigits(value);
    else this.putAscii(String(value));
  }

  /** Digits by int32 arithmetic, which is much cheaper than on doubles. */
  private putDigits(value: number): void {
    if (value > 0x7fffffff) return this.putAscii(String(value));
    let v = value | 0;
    let n = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) n++;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos + n;
    while (v >= 10) {
      const q = (v / 10) | 0;
      b[--p] = 48 + v - q * 10;
      v = q;
    }
    b[--p] = 48 + v;
    this.pos += n;
  }

  /** An int64 (number or bigint) as the decimal string OTLP/JSON uses for 64-bit integers. */
  putInt64String(value: number | bigint): void {
    this.putByte(QUOTE);
    if (typeof value === 'number') this.putNumber(value);
    else this.putAscii(BigInt.asIntN(64, value).toString());
    this.putByte(QUOTE);
  }

  /** OTLP/JSON writes uint64 nanoseconds as a decimal string, exactly. */
  putTime(time: HrTime): void {
    const sec = time[0];
    const nanos = time[1];
    // Normal SDK times: seconds, then the nanoseconds padded to 9 digits.
    if (sec > 0 && sec <= Number.MAX_SAFE_INTEGER && Number.isInteger(sec) && Number.isInteger(nanos) && nanos >= 0 && nanos < 1e9) {
      this.putSecondsNanos(sec, nanos);
    } else {
      this.putByte(QUOTE);
      this.putAscii(hrTimeToNanosString(time));
      this.putByte(QUOTE);
    }
  }

  /** `"<sec><nanos, 9 digits>"`, for sec > 0 and 0 <= nanos < 1e9, both integers. */
  private putSecondsNanos(sec: number, nanos: number): void {
    if (sec !== this.lastSeconds) {
      const start = this.pos;
      this.putByte(QUOTE);
      this.putDigits(sec);
      this.lastSecondsBytes = this.copyFrom(start);
      this.lastSeconds = sec;
    } else {
      const piece = this.lastSecondsBytes;
      if (this.pos + piece.length > this.buf.length) this.grow(piece.length);
      for (let i = 0; i < piece.length; i++) this.buf[this.pos + i] = piece[i]!;
      this.pos += piece.length;
    }
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const v = this.view;
    let rest = nanos | 0;
    // Digits 8..1 in pairs from the right, then the first alone.
    for (let p = this.pos + 7; p > this.pos; p -= 2) {
      const q = (rest / 100) | 0;
      v.setUint16(p, DIGIT_PAIRS[rest - q * 100]!, true);
      rest = q;
    }
    this.buf[this.pos] = 48 + rest;
    this.pos += 9;
    this.buf[this.pos++] = QUOTE;
  }

  /**
   * A protobuf fixed64 of nanoseconds as putTime writes it, from its two 32-bit halves read as
   * signed int32s (a uint32 over 2^31 is a boxed number when passed to a call V8 does not inline;
   * an int32 never is). The seconds are split as in fixed64ToHrTime, without making an HrTime.
   */
  putFixed64Time(signedLow: number, signedHigh: number): void {
    const low = signedLow >>> 0;
    const high = signedHigh >>> 0;
    const a = high >>> 16;
    const rest = a * 976710656 + (high & 0xffff) * 294967296 + low;
    const restSec = Math.floor(rest / 1e9);
    const sec = high * 4 + a * 19330 + restSec;
    if (sec === 0) {
      this.putByte(QUOTE);
      this.putDigits(rest);
      this.putByte(QUOTE);
    } else {
      this.putSecondsNanos(sec, rest - restSec * 1e9);
    }
  }

  /** A `doubleValue` AnyValue. OTLP/JSON (proto3 JSON) spells non-finite doubles as strings; -0 keeps its sign. */
  putDouble(value: number): void {
    this.putBytes(DOUBLE_VALUE);
    if (Number.isFinite(value)) {
      if (Object.is(value, -0)) this.putAscii('-0');
      else this.putFiniteDouble(value);
    } else if (value !== value) this.putAscii('"NaN"');
    else this.putAscii(value > 0 ? '"Infinity"' : '"-Infinity"');
    this.putByte(CLOSE_BRACE);
  }

  /**
   * A finite double other than -0, exactly as String(value) prints it. String() of a double runs
   * V8's shortest-digits search (~150 ns); the decimals attributes mostly hold (prices, ratios,
   * seconds) have a few fractional digits, found here with a multiply and a divide. The first k
   * with m / 10^k === value (m = value·10^k rounded) gives a decimal that reads back as value
   * (IEEE division rounds correctly) with the fewest digits; below 10^15 it is the only one of
   * its length, so it is the one ECMAScript's Number::toString picks, in fixed notation
   * (|value| ≥ 10^-6 as k ≤ 6). Anything else goes to String().
   */
  putFiniteDouble(value: number): void {
    for (let k = 0; k < POWERS_OF_TEN.length; k++) {
      const scale = POWERS_OF_TEN[k]!;
      const m = Math.round(value * scale);
      if (m / scale !== value) continue;
      if (m < MAX_SHORT && m > -MAX_SHORT) return this.putFixedPoint(m, k, scale);
      break;
    }
    this.putAscii(String(value));
  }

  /** The integer `m` (|m| < 10^15) with a decimal point `k` digits from its right. */
  private putFixedPoint(m: number, k: number, scale: number): void {
    if (m < 0) {
      this.putByte(0x2d);
      m = -m;
    }
    const whole = Math.floor(m / scale);
    this.putNumber(whole);
    if (k === 0) return;
    // Below 10^6, so int32 arithmetic.
    let fraction = (m - whole * scale) | 0;
    if (this.pos + k + 1 > this.buf.length) this.grow(k + 1);
    this.buf[this.pos] = 0x2e;
    for (let i = k; i > 0; i--) {
      const q = (fraction / 10) | 0;
      this.buf[this.pos + i] = 48 + fraction - q * 10;
      fraction = q;
    }
    this.pos += k + 1;
  }
}
