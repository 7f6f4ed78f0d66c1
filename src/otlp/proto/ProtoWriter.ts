import type { HrTime } from '@opentelemetry/api';
import { hrTimeToFixed64 } from '../hrTime.js';
import { ANY_VALUE } from '../schema.js';

const INITIAL_BUFFER = 256 * 1024;

/** A huge batch grows the buffer; afterwards it is not kept around. */
const MAX_KEPT_BUFFER = 16 * 1024 * 1024;

const NIBBLE = new Int8Array(128).fill(0);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * The protobuf byte writer of the OTLP encoders: one reused buffer that grows, fields written
 * straight into it. Each encoder owns one (no module state; see JsonWriter).
 */
export class ProtoWriter {
  buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER);
  pos = 0;
  /** Signed: a uint32 over 2^31 passed on to fixed32 would be a boxed number, an int32 never is. */
  private readonly timeHalves = new Int32Array(2);

  /** Starts a message. */
  begin(): void {
    this.pos = 0;
  }

  /** The message written since `begin`, copied into a Buffer the caller keeps. */
  take(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    if (this.buf.length > MAX_KEPT_BUFFER) this.buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER);
    return out;
  }

  ensure(bytes: number): void {
    if (this.pos + bytes > this.buf.length) this.grow(bytes);
  }

  private grow(bytes: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes a nested message's tag, reserves `reserved` bytes for its length and returns where the body starts. */
  openField(tag: number, reserved: number): number {
    this.ensure(reserved + 1);
    this.buf[this.pos++] = tag;
    this.pos += reserved;
    return this.pos;
  }

  /** Writes the body's length before it, moving the body if the length takes other than `reserved` bytes. */
  close(bodyStart: number, reserved: number): void {
    const length = this.pos - bodyStart;
    const size = varintSize(length);
    let at = bodyStart - reserved;
    if (size !== reserved) {
      if (size > reserved) this.ensure(size - reserved);
      this.buf.copyWithin(at + size, bodyStart, this.pos);
      this.pos += size - reserved;
    }
    let v = length;
    while (v > 127) {
      this.buf[at++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[at] = v;
  }

  /** A uint32 varint; callers have ensured room. */
  varint(v: number): void {
    while (v > 127) {
      this.buf[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** An int64 varint from its two's-complement halves (10 bytes when negative). */
  varint64(low: number, high: number): void {
    while (high !== 0 || low > 127) {
      this.buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.buf[this.pos++] = low;
  }

  /** An enum value: int32, so a negative one is a sign-extended 10-byte varint. */
  int32(v: number): void {
    if (v >= 0) this.varint(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  fixed32(v: number): void {
    this.buf[this.pos++] = v & 255;
    this.buf[this.pos++] = (v >>> 8) & 255;
    this.buf[this.pos++] = (v >>> 16) & 255;
    this.buf[this.pos++] = v >>> 24;
  }

  writeTime(tag: number, time: HrTime): void {
    if (time[0] === 0 && time[1] === 0) return;
    this.ensure(9);
    this.buf[this.pos++] = tag;
    hrTimeToFixed64(time, this.timeHalves);
    this.fixed32(this.timeHalves[0]!);
    this.fixed32(this.timeHalves[1]!);
  }

  /** A uint32 field, left out when zero. */
  writeCount(tag: number, count: number | undefined): void {
    if (!count) return;
    this.ensure(6);
    this.buf[this.pos++] = tag;
    this.varint(count >>> 0);
  }

  /** A length-delimited UTF-8 string field. Short ASCII strings take a copying loop; the rest Buffer.write. */
  writeString(tag: number, text: string): void {
    const n = text.length;
    this.ensure(n * 3 + 6);
    this.buf[this.pos++] = tag;
    if (n < 43) {
      const lengthAt = this.pos++;
      const start = this.pos;
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) {
          this.pos = start + this.buf.write(text, start, 'utf8');
          break;
        }
        this.buf[this.pos++] = c;
      }
      this.buf[lengthAt] = this.pos - start;
      return;
    }
    const length = Buffer.byteLength(text, 'utf8');
    this.varint(length);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** A trace or span id field: hex text to raw bytes. */
  writeId(tag: number, hex: string): void {
    const n = hex.length >>> 1;
    this.ensure(n + 2);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = n;
    for (let i = 0; i < n; i++) {
      this.buf[this.pos++] = (NIBBLE[hex.charCodeAt(2 * i) & 127]! << 4) | NIBBLE[hex.charCodeAt(2 * i + 1) & 127]!;
    }
  }

  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  writeDouble(value: number): void {
    this.ensure(9);
    this.buf[this.pos++] = ANY_VALUE.DOUBLE_VALUE;
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }
}
