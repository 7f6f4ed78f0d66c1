import { TracepipeError } from '../../errors.js';
import { idProblem } from '../DecodeResult.js';

/**
 * The protobuf wire reader the OTLP decoders share: one message at a time, walked in place.
 * Reading is synchronous, so module-level state is safe; other modules read `buf` and `pos`
 * (live bindings) and move `pos` only through these functions. Every read is bounds-checked:
 * bytes that are not a valid message throw TRACEPIPE_INVALID_OTLP, never read past the end.
 */

/** Node's Buffer has this method on every version we support; @types/node does not declare it. */
type NodeBuffer = Buffer & { latin1Slice(start: number, end: number): string };

const EMPTY = Buffer.alloc(0) as NodeBuffer;
const EMPTY_VIEW = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
export let buf: NodeBuffer = EMPTY;
/** The same bytes, for reading four at a time. */
export let view = EMPTY_VIEW;
export let pos = 0;

/** Starts reading `bytes`; `close` lets go of them. */
export function open(bytes: Uint8Array): void {
  buf = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as NodeBuffer;
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  pos = 0;
}

export function close(): void {
  buf = EMPTY;
  view = EMPTY_VIEW;
}

/** Where the reader is, to come back to after reading other bytes (a message rewritten in order). */
export interface ReaderState {
  readonly buf: NodeBuffer;
  readonly view: DataView;
  readonly pos: number;
}

export function save(): ReaderState {
  return { buf, view, pos };
}

export function restore(state: ReaderState): void {
  buf = state.buf;
  view = state.view;
  pos = state.pos;
}

export function seek(at: number): void {
  pos = at;
}

export function fail(message: string): never {
  throw new TracepipeError('TRACEPIPE_INVALID_OTLP', `invalid OTLP protobuf: ${message} at byte ${pos}`);
}

/** A varint's low 32 bits (enough for tags, lengths, enums and uint32 counts). */
export function varint(): number {
  // Tags and most lengths and counts take one byte.
  const first = buf[pos];
  if (first !== undefined && first < 0x80) {
    pos++;
    return first;
  }
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= buf.length) fail('truncated varint');
    const c = buf[pos++]!;
    if (shift < 32) value |= (c & 0x7f) << shift;
    if (c < 0x80) return value >>> 0;
  }
  return fail('varint longer than 10 bytes');
}

/** An int64 varint: a number when it is exactly representable, else a bigint. */
export function int64(): number | bigint {
  let low = 0;
  let high = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= buf.length) fail('truncated varint');
    const c = buf[pos++]!;
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
  return fail('varint longer than 10 bytes');
}

/** Reads a length and returns where that field ends, checking it stays inside `end`. */
export function lengthEnd(end: number): number {
  const length = varint();
  const fieldEnd = pos + length;
  if (fieldEnd > end) fail('length runs past the end of its message');
  return fieldEnd;
}

/** Steps over a length-delimited field and returns where its bytes start; `pos` is left where they end. */
export function bytesAt(end: number): number {
  const fieldEnd = lengthEnd(end);
  const at = pos;
  pos = fieldEnd;
  return at;
}

/** Steps over a field this reader does not use, as protobuf requires of unknown fields. */
export function skip(tag: number, end: number): void {
  switch (tag & 7) {
    case 0:
      varint();
      break;
    case 1:
      pos += 8;
      break;
    case 2:
      pos = lengthEnd(end);
      break;
    case 5:
      pos += 4;
      break;
    default:
      fail(`unsupported wire type ${tag & 7} (field ${tag >>> 3})`);
  }
  if (pos > end) fail('field runs past the end of its message');
}

export function fixed32(end: number): number {
  if (pos + 4 > end) fail('truncated fixed32');
  const v = view.getUint32(pos, true);
  pos += 4;
  return v;
}

/** Checks a fixed64 is there and returns where it starts (read its halves from `view`). */
export function fixed64At(end: number): number {
  if (pos + 8 > end) fail('truncated fixed64');
  const at = pos;
  pos += 8;
  return at;
}

export function double(end: number): number {
  if (pos + 8 > end) fail('truncated double');
  const d = view.getFloat64(pos, true);
  pos += 8;
  return d;
}

export function checkEnd(end: number): void {
  if (pos !== end) fail('message runs past its length');
}

/** True when bytes `from`..`to` are all zero (an unset id). */
function allZero(from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Why a span's ids, at these byte ranges of what is being read (the parent's by its length),
 * make it unusable, by the rules every decoder shares (idProblem); undefined when they are fine.
 */
export function spanIdsProblem(traceIdAt: number, traceIdEnd: number, spanIdAt: number, spanIdEnd: number, parentBytes: number): string | undefined {
  return idProblem(traceIdEnd - traceIdAt, allZero(traceIdAt, traceIdEnd), spanIdEnd - spanIdAt, allZero(spanIdAt, spanIdEnd), parentBytes);
}
