import { TracepipeError } from '../../errors.js';
import {
  type Allocate,
  CLOSE_BRACE,
  COMMA,
  OPEN_BRACE,
  QUOTE,
  bytes,
  capture,
  pos as out,
  putAscii,
  putByte,
  putBytes,
  putDouble,
  putFiniteDouble,
  putFixed64Time,
  putHex,
  putInt64String,
  putCopy,
  putNumber,
  putUtf8,
  begin,
  rewind,
  takeBytes,
} from './JsonWriter.js';
import {
  buf,
  bytesAt,
  checkEnd,
  close,
  double,
  fail,
  fixed32,
  fixed64At,
  int64,
  lengthEnd,
  open,
  pos,
  restore,
  save,
  seek,
  skip,
  spanIdsProblem,
  varint,
  view,
} from '../proto/ProtoReader.js';

/**
 * OTLP/JSON `TracesData` bytes straight from protobuf `ExportTraceServiceRequest` bodies,
 * optionally followed by `\n` (a capture-file line), with no span objects in between. The
 * output is what encodeTracesJson writes for the spans decodeTracesProto would make of the same
 * bytes (same fields, order and spelling; ResourceSpans and ScopeSpans without spans are left
 * out), except that attribute lists are written as received, duplicate keys included.
 * `allocate` gives the Buffer to fill, as for encodeTracesJsonBytes. Bodies should have passed
 * scanTracesProto; bytes that are not a valid message still only throw TRACEPIPE_INVALID_OTLP.
 */
export function transcodeTracesJson(requests: readonly Uint8Array[], newline = false, allocate?: Allocate): Buffer {
  begin(allocate);
  putBytes(RESOURCE_SPANS_OPEN);
  const listStart = out;
  for (let r = 0; r < requests.length; r++) {
    try {
      putRequest(requests[r]!, listStart);
    } finally {
      close();
    }
  }
  putBytes(CLOSE_ARRAY_OBJECT);
  return takeBytes(newline);
}

/**
 * The forwarder's capture path in one pass: the OTLP/JSON of one protobuf request's
 * ResourceSpans, comma-separated with no `{"resourceSpans":[` around them (the queue keeps
 * requests, the file exporter joins them into a line), with the number of spans. Accepted
 * only when decodeTracesProto would take the request whole: every span's ids usable (the
 * decoder's rules), every field in order and read. Anything else (invalid ids, which the sender
 * must hear about in partial_success; fields out of order; bytes that are not a message) gives
 * undefined: the caller then decodes for the exact answer. Fuzz-tested against the decoder.
 */
export function transcodeResourceSpansJson(request: Uint8Array, allocate: Allocate): { json: Buffer; spanCount: number } | undefined {
  begin(allocate);
  spanCount = 0;
  checking = true;
  try {
    putRequest(request, 0);
    return { json: takeBytes(false), spanCount };
  } catch (err) {
    if (err === NEEDS_DECODER || (err instanceof TracepipeError && err.code === 'TRACEPIPE_INVALID_OTLP')) return undefined;
    throw err;
  } finally {
    checking = false;
    close();
  }
}

/**
 * The ResourceSpans of one request, each after a comma unless the output is still at
 * `listStart` (the start of the list). The caller closes the reader.
 */
function putRequest(request: Uint8Array, listStart: number): void {
  open(request);
  forgetPositions();
  depth = 0;
  const end = buf.length;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) resourceSpans(lengthEnd(end), out === listStart);
    else skip(tag, end);
  }
}

/** Set while transcodeResourceSpansJson checks what it reads; `spanCount` counts the spans written. */
let checking = false;
let spanCount = 0;
/** Thrown (and caught) to hand a checked request to the decoder. */
const NEEDS_DECODER = new Error('needs the decoder');

const RESOURCE_SPANS_OPEN = bytes('{"resourceSpans":[');
const CLOSE_ARRAY_OBJECT = bytes(']}');
const RESOURCE_OPEN = bytes('{"resource":{');
const SCOPE_SPANS = bytes('"scopeSpans":[');
const SCOPE_OPEN = bytes('{"scope":{');
const SPANS = bytes('"spans":[');
const CLOSE_BRACE_COMMA = bytes('},');
const SCHEMA_URL = field('schemaUrl');
const NAME = field('name');
const VERSION = field('version');
const ATTRIBUTES = field('attributes', '[');
const DROPPED_ATTRIBUTES = field('droppedAttributesCount');
const TRACE_ID = bytes('{"traceId":"');
const SPAN_ID = bytes('","spanId":"');
const TRACE_STATE = field('traceState');
const PARENT_SPAN_ID = bytes(',"parentSpanId":"');
const FLAGS = field('flags');
const KIND = field('kind');
const START_TIME = field('startTimeUnixNano');
const END_TIME = field('endTimeUnixNano');
const TIME = field('timeUnixNano');
const EVENTS = field('events', '[');
const DROPPED_EVENTS = field('droppedEventsCount');
const LINKS = field('links', '[');
const DROPPED_LINKS = field('droppedLinksCount');
const STATUS = bytes(',"status":{');
const STATUS_MESSAGE = field('message');
const STATUS_CODE = field('code');
const KEY = bytes('{"key":');
const VALUE = bytes('{"value":');
const COMMA_VALUE = bytes(',"value":');
const STRING_VALUE = bytes('{"stringValue":');
const INT_VALUE = bytes('{"intValue":');
const TRUE_VALUE = bytes('{"boolValue":true}');
const FALSE_VALUE = bytes('{"boolValue":false}');
const BYTES_VALUE = bytes('{"bytesValue":"');
const QUOTE_BRACE = bytes('"}');
const EMPTY_VALUE = bytes('{}');
const EMPTY_ARRAY = bytes('{"arrayValue":{}}');
const ARRAY_OPEN = bytes('{"arrayValue":{"values":[');
const EMPTY_KVLIST = bytes('{"kvlistValue":{}}');
const KVLIST_OPEN = bytes('{"kvlistValue":{"values":[');
const CLOSE_VALUES = bytes(']}}');

/** A field's name as written first in its object, and after another field. */
interface Field {
  readonly bare: Uint8Array;
  readonly comma: Uint8Array;
}

function field(name: string, open = ''): Field {
  return { bare: bytes(`"${name}":${open}`), comma: bytes(`,"${name}":${open}`) };
}

/** Writes a field's name as the object's next field. */
function putField(piece: Field, first: boolean): void {
  putBytes(first ? piece.bare : piece.comma);
}

/**
 * One ResourceSpans (ends at `end`), after a comma unless it is the list's first. The
 * resource and schema URL are written around the scopes wherever they sit in the message;
 * nothing is left when no scope has a span.
 */
function resourceSpans(end: number, first: boolean): void {
  const start = pos;
  const mark = out;
  if (!first) putByte(COMMA);
  putBytes(RESOURCE_OPEN);
  const headerStart = out;
  let schemaAt = -1;
  let dropped = 0;
  let listOpen = false;
  // The resource's fields (a message field that occurs twice is merged, as protobuf requires).
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) {
      const resourceEnd = lengthEnd(end);
      while (pos < resourceEnd) {
        const t = varint();
        if (t === 0x0a) {
          listOpen = openListOrComma(listOpen, true);
          keyValue(lengthEnd(resourceEnd));
        } else if (t === 0x10) dropped = varint();
        else skip(t, resourceEnd);
      }
      checkEnd(resourceEnd);
    } else if (tag === 0x1a) schemaAt = stringAt(end);
    else skip(tag, end);
  }
  checkEnd(end);
  if (listOpen) putByte(CLOSE_BRACKET);
  closeHeader(countField(DROPPED_ATTRIBUTES, dropped, !listOpen), headerStart - RESOURCE_OPEN.length, SCOPE_SPANS);
  const scopesStart = out;
  seek(start);
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) scopeSpans(lengthEnd(end), out === scopesStart);
    else skip(tag, end);
  }
  if (out === scopesStart) return forgetAndRewind(mark);
  closeList(schemaAt);
}

const CLOSE_BRACKET = 0x5d;

/**
 * Ends the resource or scope that opens a ResourceSpans or ScopeSpans (written from `opening`):
 * left out, as the encoder leaves an empty one out, when it got no field; then the key of the
 * children's list.
 */
function closeHeader(empty: boolean, opening: number, children: Uint8Array): void {
  if (empty) {
    rewind(opening);
    putByte(OPEN_BRACE);
  } else {
    putBytes(CLOSE_BRACE_COMMA);
  }
  putBytes(children);
}

function forgetAndRewind(mark: number): void {
  forgetPositions();
  rewind(mark);
}

/** Opens an attribute list as an object's first field (or puts the comma before its next KeyValue). Returns true. */
function openListOrComma(open: boolean, first: boolean): boolean {
  if (open) putByte(COMMA);
  else putField(ATTRIBUTES, first);
  return true;
}

/** `]`, the schema URL if there is one (a string's position, or -1), `}`. */
function closeList(schemaAt: number): void {
  putByte(CLOSE_BRACKET);
  if (schemaAt >= 0) {
    const at = pos;
    seek(schemaAt);
    const stringEnd = lengthEnd(buf.length);
    if (stringEnd > pos) {
      putBytes(SCHEMA_URL.comma);
      putUtf8(buf, view, pos, stringEnd);
    }
    seek(at);
  }
  putByte(CLOSE_BRACE);
}

/** Where a string field's length starts, stepping over it. */
function stringAt(end: number): number {
  const at = pos;
  bytesAt(end);
  return at;
}

function scopeSpans(end: number, first: boolean): void {
  const start = pos;
  const mark = out;
  if (!first) putByte(COMMA);
  putBytes(SCOPE_OPEN);
  const headerStart = out;
  let schemaAt = -1;
  let nameAt = -1;
  let versionAt = -1;
  let dropped = 0;
  let hasAttributes = false;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) {
      const scopeEnd = lengthEnd(end);
      while (pos < scopeEnd) {
        const t = varint();
        if (t === 0x0a) nameAt = stringAt(scopeEnd);
        else if (t === 0x12) versionAt = stringAt(scopeEnd);
        else if (t === 0x20) dropped = varint();
        else {
          hasAttributes ||= t === 0x1a;
          skip(t, scopeEnd);
        }
      }
      checkEnd(scopeEnd);
    } else if (tag === 0x1a) schemaAt = stringAt(end);
    else skip(tag, end);
  }
  checkEnd(end);
  let fieldFirst = stringField(NAME, nameAt, true);
  fieldFirst = stringField(VERSION, versionAt, fieldFirst);
  if (hasAttributes) {
    // The attributes of every occurrence of the scope field, in order (occurrences merge).
    seek(start);
    let listOpen = false;
    while (pos < end) {
      const tag = varint();
      if (tag !== 0x0a) {
        skip(tag, end);
        continue;
      }
      const scopeEnd = lengthEnd(end);
      while (pos < scopeEnd) {
        const t = varint();
        if (t === 0x1a) {
          listOpen = openListOrComma(listOpen, fieldFirst);
          keyValue(lengthEnd(scopeEnd));
        } else skip(t, scopeEnd);
      }
    }
    putByte(CLOSE_BRACKET);
    fieldFirst = false;
  }
  closeHeader(countField(DROPPED_ATTRIBUTES, dropped, fieldFirst), headerStart - SCOPE_OPEN.length, SPANS);
  const spansStart = out;
  seek(start);
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) span(lengthEnd(end), out === spansStart);
    else skip(tag, end);
  }
  if (out === spansStart) return forgetAndRewind(mark);
  closeList(schemaAt);
}

/** A string field from its position (see stringAt), left out when unset or empty. Returns whether the object is still empty. */
function stringField(piece: Field, at: number, first: boolean): boolean {
  if (at < 0) return first;
  const back = pos;
  seek(at);
  const stringEnd = lengthEnd(buf.length);
  const from = pos;
  seek(back);
  if (stringEnd === from) return first;
  putField(piece, first);
  putUtf8(buf, view, from, stringEnd);
  return false;
}

function countField(piece: Field, count: number, first: boolean): boolean {
  if (count === 0) return first;
  putField(piece, first);
  putNumber(count);
  return false;
}

/** What a message's known tags are, for reading it in field order (see inFieldOrder). */
const UNKNOWN = 0;
const SINGULAR = 1;
const REPEATED = 2;
/** A member of a oneof: only the last one set counts. */
const ONEOF = 3;

function tagKinds(kinds: Record<number, number>): Uint8Array {
  const table = new Uint8Array(256);
  for (const [tag, kind] of Object.entries(kinds)) table[Number(tag)] = kind;
  return table;
}

const SPAN_TAGS = tagKinds({
  0x0a: SINGULAR, 0x12: SINGULAR, 0x1a: SINGULAR, 0x22: SINGULAR, 0x2a: SINGULAR, 0x30: SINGULAR, 0x39: SINGULAR, 0x41: SINGULAR,
  0x4a: REPEATED, 0x50: SINGULAR, 0x5a: REPEATED, 0x60: SINGULAR, 0x6a: REPEATED, 0x70: SINGULAR, 0x7a: SINGULAR, 0x85: SINGULAR,
});
const EVENT_TAGS = tagKinds({ 0x09: SINGULAR, 0x12: SINGULAR, 0x1a: REPEATED, 0x20: SINGULAR });
const LINK_TAGS = tagKinds({ 0x0a: SINGULAR, 0x12: SINGULAR, 0x1a: SINGULAR, 0x22: REPEATED, 0x28: SINGULAR, 0x35: SINGULAR });
const KEY_VALUE_TAGS = tagKinds({ 0x0a: SINGULAR, 0x12: SINGULAR });
const ANY_VALUE_TAGS = tagKinds({ 0x0a: ONEOF, 0x10: ONEOF, 0x18: ONEOF, 0x21: ONEOF, 0x2a: ONEOF, 0x32: ONEOF, 0x3a: ONEOF });
const STATUS_TAGS = tagKinds({ 0x12: SINGULAR, 0x18: SINGULAR });

/**
 * Every encoder we know writes fields in field-number order, each singular field once, so the
 * message writers below translate in one pass and give up (returning false) on anything else.
 * This runs `write` instead over a copy of the message (from `from` to `end`) that is in that
 * order: known fields sorted by number, only the last occurrence of a singular field or oneof
 * member kept (decodeTracesProto's "last one wins"), unknown fields left out.
 */
function inFieldOrder(from: number, end: number, kinds: Uint8Array, write: (end: number) => boolean): void {
  seek(from);
  const fields: { tag: number; at: number; to: number }[] = [];
  let lastOneof = -1;
  while (pos < end) {
    const at = pos;
    const tag = varint();
    skip(tag, end);
    const kind = tag < 256 ? kinds[tag]! : UNKNOWN;
    if (kind === UNKNOWN) continue;
    if (kind === SINGULAR) {
      const earlier = fields.findIndex((f) => f.tag === tag);
      if (earlier >= 0) fields.splice(earlier, 1);
    } else if (kind === ONEOF) {
      if (lastOneof >= 0) fields.splice(lastOneof, 1);
      lastOneof = fields.length;
    }
    fields.push({ tag, at, to: pos });
  }
  checkEnd(end);
  fields.sort((a, b) => (a.tag >>> 3) - (b.tag >>> 3) || a.at - b.at);
  const copy = Buffer.concat(fields.map((f) => buf.subarray(f.at, f.to)));
  const outer = save();
  open(copy);
  forgetPositions();
  try {
    if (!write(copy.length)) fail('cannot order fields');
  } finally {
    restore(outer);
    forgetPositions();
  }
  seek(end);
}

/**
 * After a one-pass writer gave up on a message (from `from` to `end`, its JSON begun at
 * `mark`): the message again, through inFieldOrder. The writers are called directly on the
 * hot path, each from its own call site, so that V8 can inline them.
 */
function retryInFieldOrder(from: number, end: number, mark: number, kinds: Uint8Array, write: (end: number) => boolean): void {
  // Rewriting drops fields the decoder would still check, so a checked request goes to the decoder.
  if (checking) throw NEEDS_DECODER;
  rewind(mark);
  forgetPositions();
  inFieldOrder(from, end, kinds, write);
}

/** A string field's value at `pos`, as an object's next field unless empty. Returns whether it wrote it. */
function stringValue(piece: Field, first: boolean, end: number): boolean {
  const from = bytesAt(end);
  if (from === pos) return false;
  putField(piece, first);
  putUtf8(buf, view, from, pos);
  return true;
}

/** A fixed64 time at `pos`, as an object's next field unless zero. Returns whether it wrote it. */
function timeValue(piece: Field, first: boolean, end: number): boolean {
  const at = fixed64At(end);
  const low = view.getInt32(at, true);
  const high = view.getInt32(at + 4, true);
  if (low === 0 && high === 0) return false;
  putField(piece, first);
  putFixed64Time(low, high);
  return true;
}

/** One KeyValue: `{"key":…,"value":…}`, the key left out when empty (as encodeTracesJson does). */
function keyValue(end: number): void {
  const from = pos;
  const mark = out;
  if (!keyValueInOrder(end)) retryInFieldOrder(from, end, mark, KEY_VALUE_TAGS, keyValueInOrder);
}

function keyValueInOrder(end: number): boolean {
  if (buf[pos] === 0x0a && commonKeyValue(end)) return true;
  let last = 0;
  let valueWritten = false;
  let keyWritten = false;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) {
      if (last !== 0) return false;
      const from = bytesAt(end);
      if (from !== pos) {
        putBytes(KEY);
        putUtf8(buf, view, from, pos);
        putBytes(COMMA_VALUE);
        keyWritten = true;
      }
      last = 1;
    } else if (tag === 0x12) {
      if (last === 2) return false;
      if (!keyWritten) putBytes(VALUE);
      keyWritten = true;
      anyValue(lengthEnd(end));
      valueWritten = true;
      last = 2;
    } else skip(tag, end);
  }
  checkEnd(end);
  if (!keyWritten) putBytes(VALUE);
  if (!valueWritten) putBytes(EMPTY_VALUE);
  putByte(CLOSE_BRACE);
  return true;
}

/**
 * The n-th attribute of a span (or event) is very often byte for byte the n-th attribute of
 * the span before (same route, host, port, user agent…). Both are in the request being read,
 * and the JSON written for the earlier one is still in the output, so a match is one
 * comparison of input bytes and one copy within the output. Positions are per request and
 * forgotten whenever the output is taken back or the reader moves to other bytes.
 */
const POSITIONS = 32;
const SPAN_POSITIONS = 0;
const EVENT_POSITIONS = POSITIONS;
const seenFrom = new Int32Array(2 * POSITIONS).fill(-1);
const seenTo = new Int32Array(2 * POSITIONS);
const writtenFrom = new Int32Array(2 * POSITIONS);
const writtenTo = new Int32Array(2 * POSITIONS);

function forgetPositions(): void {
  seenFrom.fill(-1);
}

/** A KeyValue that may repeat the one at the same `position` of the previous list. */
function keyValueAt(end: number, position: number): void {
  const from = pos;
  if (position >= seenFrom.length) return keyValue(end);
  const seen = seenFrom[position]!;
  if (seen >= 0 && seenTo[position]! - seen === end - from && sameBytes(seen, from, end - from)) {
    putCopy(writtenFrom[position]!, writtenTo[position]!);
    return seek(end);
  }
  const at = out;
  keyValue(end);
  seenFrom[position] = from;
  seenTo[position] = end;
  writtenFrom[position] = at;
  writtenTo[position] = out;
}

/** Whether the `n` bytes at `a` and at `b` of the request are the same, compared four at a time. */
function sameBytes(a: number, b: number, n: number): boolean {
  const v = view;
  let i = 0;
  for (const words = n - 3; i < words; i += 4) if (v.getInt32(a + i, true) !== v.getInt32(b + i, true)) return false;
  for (; i < n; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

const STRING = 0;
const INT = 1;
const DOUBLE = 2;

/**
 * Per attribute key, the JSON up to the value for the common value types:
 * `{"key":"k","value":{"stringValue":`, `…{"intValue":"`, `…{"doubleValue":`. Keys repeat in
 * every span, so this replaces three copies and a scan of the key with one copy. Slots are
 * found by a hash of the key's length and three of its bytes and confirmed by comparing the
 * whole key; a colliding key takes the slot over.
 */
const KEY_SLOTS = 1024;
const MAX_CACHED_KEY = 128;
/** The cached keys' bytes, padded to whole 32-bit words for comparing four at a time. */
const slotKey: Int32Array[] = new Array<Int32Array>(KEY_SLOTS).fill(new Int32Array(0));
const slotKeyLength = new Int32Array(KEY_SLOTS).fill(-1);
const slotPrefixes: Uint8Array[][] = new Array<Uint8Array[]>(KEY_SLOTS).fill([]);
const TYPE_OPENINGS = [bytes('{"stringValue":'), bytes('{"intValue":"'), bytes('{"doubleValue":')];

function keyPrefix(from: number, to: number, type: number): Uint8Array {
  const n = to - from;
  const b = buf;
  const slot = (Math.imul(n, 0x9e3779b1) ^ b[from]! ^ (b[to - 1]! << 7) ^ (b[from + (n >> 1)]! << 2)) & (KEY_SLOTS - 1);
  if (slotKeyLength[slot] === n && sameKey(slotKey[slot]!, from, n)) return slotPrefixes[slot]![type]!;
  return cacheKeyPrefixes(from, to, slot)[type]!;
}

/**
 * A key's prefixes, made and put in its slot. Apart from keyPrefix because a closure over
 * `from` and `to` there would have every call allocate their context, hit or miss.
 */
function cacheKeyPrefixes(from: number, to: number, slot: number): Uint8Array[] {
  const n = to - from;
  const keyJson = capture(() => {
    putBytes(KEY);
    putUtf8(buf, view, from, to);
    putBytes(COMMA_VALUE);
  });
  const prefixes = TYPE_OPENINGS.map((opening) => concatBytes(keyJson, opening));
  if (n <= MAX_CACHED_KEY) {
    const words = new Int32Array((n + 3) >> 2);
    new Uint8Array(words.buffer).set(buf.subarray(from, to));
    slotKey[slot] = words;
    slotKeyLength[slot] = n;
    slotPrefixes[slot] = prefixes;
  }
  return prefixes;
}

/** Whether the `n` key bytes at `from` are `words` (whose padding past `n` is zero). */
function sameKey(words: Int32Array, from: number, n: number): boolean {
  const v = view;
  let w = 0;
  let i = from;
  for (const whole = from + (n & ~3); i < whole; i += 4) if (words[w++] !== v.getInt32(i, true)) return false;
  if (i === from + n) return true;
  // The last partial word, byte by byte.
  let last = 0;
  for (let k = 0; i < from + n; i++, k += 8) last |= buf[i]! << k;
  return words[w] === last;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

const CLOSE_VALUE = bytes('}}');
const QUOTE_CLOSE_VALUE = bytes('"}}');

/**
 * The common KeyValue in one go: a non-empty key, then a value holding only a string, an
 * int or a double. Anything else leaves the reader where it was, writes nothing and returns false.
 */
function commonKeyValue(end: number): boolean {
  const start = pos;
  seek(start + 1);
  const keyEnd = lengthEnd(end);
  const keyFrom = pos;
  if (keyEnd === keyFrom || keyEnd >= end || buf[keyEnd] !== 0x12) return notCommon(start);
  seek(keyEnd + 1);
  const valueEnd = lengthEnd(end);
  const member = buf[pos];
  if (valueEnd !== end || pos === valueEnd) return notCommon(start);
  seek(pos + 1);
  if (member === 0x0a) {
    const from = bytesAt(valueEnd);
    if (pos !== valueEnd) return notCommon(start);
    putBytes(keyPrefix(keyFrom, keyEnd, STRING));
    putUtf8(buf, view, from, pos);
    putBytes(CLOSE_VALUE);
  } else if (member === 0x18) {
    const value = int64();
    if (pos !== valueEnd) return notCommon(start);
    putBytes(keyPrefix(keyFrom, keyEnd, INT));
    if (typeof value === 'number') putNumber(value);
    else putAscii(value.toString());
    putBytes(QUOTE_CLOSE_VALUE);
  } else if (member === 0x21) {
    if (valueEnd - pos !== 8) return notCommon(start);
    const value = double(valueEnd);
    if (!Number.isFinite(value) || Object.is(value, -0)) return notCommon(start);
    putBytes(keyPrefix(keyFrom, keyEnd, DOUBLE));
    putFiniteDouble(value);
    putBytes(CLOSE_VALUE);
  } else return notCommon(start);
  return true;
}

function notCommon(start: number): false {
  seek(start);
  return false;
}

/** Arrays and maps nest; decodeTracesProto's limit, so both accept the same input. */
const MAX_DEPTH = 100;
let depth = 0;

/** An AnyValue: its one member, or `{}` when none is set. */
function anyValue(end: number): void {
  const from = pos;
  const mark = out;
  if (!anyValueInOrder(end)) retryInFieldOrder(from, end, mark, ANY_VALUE_TAGS, anyValueInOrder);
}

function anyValueInOrder(end: number): boolean {
  let written = false;
  while (pos < end) {
    const tag = varint();
    if (tag < 256 && ANY_VALUE_TAGS[tag] === ONEOF) {
      if (written) return false;
      written = true;
    }
    switch (tag) {
      case 0x0a:
        putBytes(STRING_VALUE);
        putUtf8(buf, view, bytesAt(end), pos);
        putByte(CLOSE_BRACE);
        break;
      case 0x10:
        putBytes(varint() !== 0 ? TRUE_VALUE : FALSE_VALUE);
        break;
      case 0x18:
        putBytes(INT_VALUE);
        putInt64String(int64());
        putByte(CLOSE_BRACE);
        break;
      case 0x21:
        putDouble(double(end));
        break;
      case 0x2a:
        list(lengthEnd(end), ARRAY_OPEN, EMPTY_ARRAY, false);
        break;
      case 0x32:
        list(lengthEnd(end), KVLIST_OPEN, EMPTY_KVLIST, true);
        break;
      case 0x3a: {
        const from = bytesAt(end);
        putBytes(BYTES_VALUE);
        putAscii(buf.toString('base64', from, pos));
        putBytes(QUOTE_BRACE);
        break;
      }
      default:
        skip(tag, end);
    }
  }
  checkEnd(end);
  if (!written) putBytes(EMPTY_VALUE);
  return true;
}

/** An ArrayValue (AnyValues) or KeyValueList (KeyValues): field 1 repeated. */
function list(end: number, open: Uint8Array, empty: Uint8Array, keyValues: boolean): void {
  if (++depth > MAX_DEPTH) fail(`values nested more than ${MAX_DEPTH} deep`);
  const mark = out;
  putBytes(open);
  const itemsStart = out;
  while (pos < end) {
    const tag = varint();
    if (tag !== 0x0a) {
      skip(tag, end);
      continue;
    }
    const itemEnd = lengthEnd(end);
    if (out !== itemsStart) putByte(COMMA);
    if (keyValues) keyValue(itemEnd);
    else anyValue(itemEnd);
  }
  checkEnd(end);
  depth--;
  if (out === itemsStart) {
    rewind(mark);
    return putBytes(empty);
  }
  putBytes(CLOSE_VALUES);
}

const KIND_FIELD: readonly Uint8Array[] = Array.from({ length: 6 }, (_, kind) => bytes(',"kind":' + kind));
const FLAGS_FIELD: readonly Uint8Array[] = Array.from({ length: 0x400 }, (_, flags) => bytes(',"flags":' + flags));

function putFlags(flags: number): void {
  if (flags === 0) return;
  if (flags < FLAGS_FIELD.length) return putBytes(FLAGS_FIELD[flags]!);
  putBytes(FLAGS.comma);
  putNumber(flags);
}

function span(end: number, first: boolean): void {
  spanCount++;
  if (!first) putByte(COMMA);
  const from = pos;
  const mark = out;
  if (!spanInOrder(end)) retryInFieldOrder(from, end, mark, SPAN_TAGS, spanInOrder);
}

/**
 * One Span in one pass, as encodeTracesJson writes it: the fields in field-number order,
 * defaults left out, the ids always there. `list` is the repeated field whose JSON array is
 * open (attributes, events or links), closed when another field comes.
 */
function spanInOrder(end: number): boolean {
  putBytes(TRACE_ID);
  let last = 0;
  let list = 0;
  let flags = 0;
  let traceIdAt = 0;
  let traceIdEnd = 0;
  let spanIdAt = 0;
  let spanIdEnd = 0;
  let parentBytes = 0;
  let attribute = 0;
  let tag: number;
  while ((tag = nextTag(end, SPAN_TAGS, last)) > 0) {
    const field = tag >>> 3;
    if (list !== 0 && field !== list) {
      putByte(CLOSE_BRACKET);
      list = 0;
    }
    if (last < 2 && field > 2) putBytes(SPAN_ID_CLOSED);
    switch (tag) {
      case 0x0a:
        traceIdAt = bytesAt(end);
        traceIdEnd = pos;
        putHex(buf, traceIdAt, pos);
        break;
      case 0x12:
        spanIdAt = bytesAt(end);
        spanIdEnd = pos;
        putBytes(SPAN_ID);
        putHex(buf, spanIdAt, pos);
        putByte(QUOTE);
        break;
      case 0x1a:
        stringValue(TRACE_STATE, false, end);
        break;
      case 0x22: {
        const from = bytesAt(end);
        parentBytes = pos - from;
        if (from === pos) break;
        putBytes(PARENT_SPAN_ID);
        putHex(buf, from, pos);
        putByte(QUOTE);
        break;
      }
      case 0x2a:
        stringValue(NAME, false, end);
        break;
      case 0x30: {
        const kindValue = varint() | 0;
        if (kindValue === 0) break;
        if (kindValue > 0 && kindValue < KIND_FIELD.length) putBytes(KIND_FIELD[kindValue]!);
        else {
          putBytes(KIND.comma);
          putNumber(kindValue);
        }
        break;
      }
      case 0x39:
        timeValue(START_TIME, false, end);
        break;
      case 0x41:
        timeValue(END_TIME, false, end);
        break;
      case 0x4a:
        list = openOrNext(list, field, ATTRIBUTES);
        keyValueAt(lengthEnd(end), SPAN_POSITIONS + attribute++);
        break;
      case 0x5a:
        list = openOrNext(list, field, EVENTS);
        event(lengthEnd(end));
        break;
      case 0x6a:
        list = openOrNext(list, field, LINKS);
        link(lengthEnd(end));
        break;
      case 0x50:
        countField(DROPPED_ATTRIBUTES, varint(), false);
        break;
      case 0x60:
        countField(DROPPED_EVENTS, varint(), false);
        break;
      case 0x70:
        countField(DROPPED_LINKS, varint(), false);
        break;
      case 0x7a:
        status(lengthEnd(end));
        break;
      case 0x85:
        flags = fixed32(end);
        break;
    }
    last = field;
  }
  if (tag < 0) return false;
  checkEnd(end);
  // Any problem is the decoder's to report, in partial_success.
  if (checking && spanIdsProblem(traceIdAt, traceIdEnd, spanIdAt, spanIdEnd, parentBytes) !== undefined) throw NEEDS_DECODER;
  if (list !== 0) putByte(CLOSE_BRACKET);
  if (last < 2) putBytes(SPAN_ID_CLOSED);
  putFlags(flags);
  putByte(CLOSE_BRACE);
  return true;
}

const SPAN_ID_CLOSED = bytes('","spanId":""');

/**
 * The next known field's tag in a message read in field order (unknown fields are stepped over),
 * 0 at `end`, or -1 when it breaks the order: a field before field `last`, or a singular field again.
 */
function nextTag(end: number, kinds: Uint8Array, last: number): number {
  while (pos < end) {
    const tag = varint();
    const kind = tag < 256 ? kinds[tag]! : UNKNOWN;
    if (kind === UNKNOWN) {
      skip(tag, end);
      continue;
    }
    const field = tag >>> 3;
    return field < last || (field === last && kind !== REPEATED) ? -1 : tag;
  }
  return 0;
}

/** Opens the JSON array of repeated field `field` or puts the comma before its next item; returns the open list. */
function openOrNext(open: number, field: number, piece: Field): number {
  if (open === field) putByte(COMMA);
  else putBytes(piece.comma);
  return field;
}

function event(end: number): void {
  const from = pos;
  const mark = out;
  if (!eventInOrder(end)) retryInFieldOrder(from, end, mark, EVENT_TAGS, eventInOrder);
}

function eventInOrder(end: number): boolean {
  putByte(OPEN_BRACE);
  let attribute = 0;
  let last = 0;
  let first = true;
  let listOpen = false;
  let tag: number;
  while ((tag = nextTag(end, EVENT_TAGS, last)) > 0) {
    const field = tag >>> 3;
    if (listOpen && field !== 3) {
      putByte(CLOSE_BRACKET);
      listOpen = false;
    }
    if (tag === 0x09) {
      if (timeValue(TIME, first, end)) first = false;
    } else if (tag === 0x12) {
      if (stringValue(NAME, first, end)) first = false;
    } else if (tag === 0x1a) {
      if (listOpen) putByte(COMMA);
      else putField(ATTRIBUTES, first);
      listOpen = true;
      first = false;
      keyValueAt(lengthEnd(end), EVENT_POSITIONS + attribute++);
    } else first = countField(DROPPED_ATTRIBUTES, varint(), first);
    last = field;
  }
  if (tag < 0) return false;
  checkEnd(end);
  if (listOpen) putByte(CLOSE_BRACKET);
  putByte(CLOSE_BRACE);
  return true;
}

function link(end: number): void {
  const from = pos;
  const mark = out;
  if (!linkInOrder(end)) retryInFieldOrder(from, end, mark, LINK_TAGS, linkInOrder);
}

function linkInOrder(end: number): boolean {
  putBytes(TRACE_ID);
  let last = 0;
  let listOpen = false;
  let flags = 0;
  let tag: number;
  while ((tag = nextTag(end, LINK_TAGS, last)) > 0) {
    const field = tag >>> 3;
    if (listOpen && field !== 4) {
      putByte(CLOSE_BRACKET);
      listOpen = false;
    }
    if (last < 2 && field > 2) putBytes(SPAN_ID_CLOSED);
    switch (tag) {
      case 0x0a: {
        const from = bytesAt(end);
        putHex(buf, from, pos);
        break;
      }
      case 0x12: {
        const from = bytesAt(end);
        putBytes(SPAN_ID);
        putHex(buf, from, pos);
        putByte(QUOTE);
        break;
      }
      case 0x1a:
        stringValue(TRACE_STATE, false, end);
        break;
      case 0x22:
        if (listOpen) putByte(COMMA);
        else putBytes(ATTRIBUTES.comma);
        listOpen = true;
        keyValue(lengthEnd(end));
        break;
      case 0x28:
        countField(DROPPED_ATTRIBUTES, varint(), false);
        break;
      case 0x35:
        flags = fixed32(end);
        break;
    }
    last = field;
  }
  if (tag < 0) return false;
  checkEnd(end);
  if (listOpen) putByte(CLOSE_BRACKET);
  if (last < 2) putBytes(SPAN_ID_CLOSED);
  putFlags(flags);
  putByte(CLOSE_BRACE);
  return true;
}

/** `,"status":{…}`, left out when both its fields are defaults. */
function status(end: number): void {
  const mark = out;
  putBytes(STATUS);
  const fieldsStart = out;
  const from = pos;
  if (!statusInOrder(end)) retryInFieldOrder(from, end, fieldsStart, STATUS_TAGS, statusInOrder);
  if (out === fieldsStart) return rewind(mark);
  putByte(CLOSE_BRACE);
}

function statusInOrder(end: number): boolean {
  let last = 0;
  let first = true;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) {
      if (last !== 0) return false;
      if (stringValue(STATUS_MESSAGE, first, end)) first = false;
      last = 2;
    } else if (tag === 0x18) {
      if (last === 3) return false;
      first = countField(STATUS_CODE, varint() | 0, first);
      last = 3;
    } else skip(tag, end);
  }
  checkEnd(end);
  return true;
}
