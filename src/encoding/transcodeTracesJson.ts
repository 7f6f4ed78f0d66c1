import {
  CLOSE_BRACE,
  COMMA,
  OPEN_BRACE,
  QUOTE,
  bytes,
  pos as out,
  putAscii,
  putByte,
  putBytes,
  putDouble,
  putFixed64Time,
  putHex,
  putInt64String,
  putNumber,
  putUtf8,
  reset,
  rewind,
  takeBytes,
} from './jsonWriter.js';
import { buf, bytesAt, checkEnd, close, double, fail, fixed32, fixed64At, int64, lengthEnd, open, pos, seek, skip, varint } from './protoReader.js';

/**
 * OTLP/JSON `TracesData` bytes straight from protobuf `ExportTraceServiceRequest` bodies,
 * optionally followed by `\n` (a capture-file line): the forwarder's path from a received
 * request to a capture file, with no span objects in between. The output is what
 * encodeTracesJson writes for the spans decodeTracesProto would make of the same bytes
 * (same fields, order and spelling; ResourceSpans and ScopeSpans without spans are left
 * out), except that attribute lists are written as received, duplicate keys included.
 * Bodies should have passed scanTracesProto; bytes that are not a valid message still only
 * throw TRACEPIPE_INVALID_OTLP.
 */
export function transcodeTracesJson(requests: readonly Uint8Array[], newline = false): Buffer {
  reset();
  putBytes(RESOURCE_SPANS_OPEN);
  const listStart = out;
  for (let r = 0; r < requests.length; r++) {
    open(requests[r]!);
    depth = 0;
    try {
      const end = buf.length;
      while (pos < end) {
        const tag = varint();
        if (tag === 0x0a) resourceSpans(lengthEnd(end), out === listStart);
        else skip(tag, end);
      }
    } finally {
      close();
    }
  }
  putBytes(CLOSE_ARRAY_OBJECT);
  return takeBytes(newline);
}

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
  const fieldFirst = countField(DROPPED_ATTRIBUTES, dropped, !listOpen);
  if (fieldFirst) {
    rewind(headerStart - RESOURCE_OPEN.length);
    putByte(OPEN_BRACE);
  } else {
    putBytes(CLOSE_BRACE_COMMA);
  }
  putBytes(SCOPE_SPANS);
  const scopesStart = out;
  seek(start);
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) scopeSpans(lengthEnd(end), out === scopesStart);
    else skip(tag, end);
  }
  if (out === scopesStart) return rewind(mark);
  closeList(schemaAt);
}

const CLOSE_BRACKET = 0x5d;

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
      putUtf8(buf, pos, stringEnd);
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
  fieldFirst = countField(DROPPED_ATTRIBUTES, dropped, fieldFirst);
  if (fieldFirst) {
    rewind(headerStart - SCOPE_OPEN.length);
    putByte(OPEN_BRACE);
  } else {
    putBytes(CLOSE_BRACE_COMMA);
  }
  putBytes(SPANS);
  const spansStart = out;
  seek(start);
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) span(lengthEnd(end), out === spansStart);
    else skip(tag, end);
  }
  if (out === spansStart) return rewind(mark);
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
  putUtf8(buf, from, stringEnd);
  return false;
}

function countField(piece: Field, count: number, first: boolean): boolean {
  if (count === 0) return first;
  putField(piece, first);
  putNumber(count);
  return false;
}

/** One KeyValue: `{"key":…,"value":…}`, the key left out when empty (as encodeTracesJson does). */
function keyValue(end: number): void {
  let keyFrom = 0;
  let keyTo = 0;
  let valueAt = -1;
  let valueEnd = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) {
      keyFrom = bytesAt(end);
      keyTo = pos;
    } else if (tag === 0x12) {
      valueEnd = lengthEnd(end);
      valueAt = pos;
      seek(valueEnd);
    } else skip(tag, end);
  }
  checkEnd(end);
  if (keyTo === keyFrom) {
    putBytes(VALUE);
  } else {
    putBytes(KEY);
    putUtf8(buf, keyFrom, keyTo);
    putBytes(COMMA_VALUE);
  }
  if (valueAt < 0) putBytes(EMPTY_VALUE);
  else {
    seek(valueAt);
    anyValue(valueEnd);
  }
  putByte(CLOSE_BRACE);
  seek(end);
}

/** Arrays and maps nest; decodeTracesProto's limit, so both accept the same input. */
const MAX_DEPTH = 100;
let depth = 0;

/** An AnyValue: the member of the oneof set last (protobuf's rule), or `{}` for none. */
function anyValue(end: number): void {
  let memberAt = -1;
  let memberTag = 0;
  while (pos < end) {
    const at = pos;
    const tag = varint();
    if (tag === 0x0a || tag === 0x10 || tag === 0x18 || tag === 0x21 || tag === 0x2a || tag === 0x32 || tag === 0x3a) {
      memberAt = at;
      memberTag = tag;
    }
    skip(tag, end);
  }
  checkEnd(end);
  if (memberAt < 0) return putBytes(EMPTY_VALUE);
  seek(memberAt);
  varint();
  switch (memberTag) {
    case 0x0a: {
      const from = bytesAt(end);
      putBytes(STRING_VALUE);
      putUtf8(buf, from, pos);
      putByte(CLOSE_BRACE);
      break;
    }
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
  }
  seek(end);
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

/**
 * One Span, in encodeTracesJson's field order whatever the order on the wire. A first pass
 * notes where each field is (the last occurrence wins, as protobuf requires); repeated
 * fields are then read in a second walk that starts at the first of them.
 */
function span(end: number, first: boolean): void {
  let traceIdAt = 0;
  let traceIdEnd = 0;
  let spanIdAt = 0;
  let spanIdEnd = 0;
  let traceStateAt = -1;
  let parentAt = 0;
  let parentEnd = 0;
  let nameAt = -1;
  let kind = 0;
  let startAt = -1;
  let endAt = -1;
  let attributesAt = -1;
  let droppedAttributes = 0;
  let eventsAt = -1;
  let droppedEvents = 0;
  let linksAt = -1;
  let droppedLinks = 0;
  let statusAt = -1;
  let statusEnd = 0;
  let flags = 0;
  while (pos < end) {
    const at = pos;
    const tag = varint();
    switch (tag) {
      case 0x0a:
        traceIdAt = bytesAt(end);
        traceIdEnd = pos;
        break;
      case 0x12:
        spanIdAt = bytesAt(end);
        spanIdEnd = pos;
        break;
      case 0x1a:
        traceStateAt = stringAt(end);
        break;
      case 0x22:
        parentAt = bytesAt(end);
        parentEnd = pos;
        break;
      case 0x2a:
        nameAt = stringAt(end);
        break;
      case 0x30:
        kind = varint() | 0;
        break;
      case 0x39:
        startAt = fixed64At(end);
        break;
      case 0x41:
        endAt = fixed64At(end);
        break;
      case 0x4a:
        if (attributesAt < 0) attributesAt = at;
        bytesAt(end);
        break;
      case 0x50:
        droppedAttributes = varint();
        break;
      case 0x5a:
        if (eventsAt < 0) eventsAt = at;
        bytesAt(end);
        break;
      case 0x60:
        droppedEvents = varint();
        break;
      case 0x6a:
        if (linksAt < 0) linksAt = at;
        bytesAt(end);
        break;
      case 0x70:
        droppedLinks = varint();
        break;
      case 0x7a:
        statusEnd = lengthEnd(end);
        statusAt = pos;
        seek(statusEnd);
        break;
      case 0x85:
        flags = fixed32(end);
        break;
      default:
        skip(tag, end);
    }
  }
  checkEnd(end);
  if (!first) putByte(COMMA);
  putBytes(TRACE_ID);
  putHex(buf, traceIdAt, traceIdEnd);
  putBytes(SPAN_ID);
  putHex(buf, spanIdAt, spanIdEnd);
  putByte(QUOTE);
  stringField(TRACE_STATE, traceStateAt, false);
  if (parentEnd > parentAt) {
    putBytes(PARENT_SPAN_ID);
    putHex(buf, parentAt, parentEnd);
    putByte(QUOTE);
  }
  putFlags(flags);
  stringField(NAME, nameAt, false);
  if (kind !== 0) {
    if (kind > 0 && kind < KIND_FIELD.length) putBytes(KIND_FIELD[kind]!);
    else {
      putBytes(KIND.comma);
      putNumber(kind);
    }
  }
  timeField(START_TIME, startAt, false);
  timeField(END_TIME, endAt, false);
  if (attributesAt >= 0) repeated(attributesAt, end, 0x4a, ATTRIBUTES, keyValue);
  countField(DROPPED_ATTRIBUTES, droppedAttributes, false);
  if (eventsAt >= 0) repeated(eventsAt, end, 0x5a, EVENTS, event);
  countField(DROPPED_EVENTS, droppedEvents, false);
  if (linksAt >= 0) repeated(linksAt, end, 0x6a, LINKS, link);
  countField(DROPPED_LINKS, droppedLinks, false);
  if (statusAt >= 0) status(statusAt, statusEnd);
  putByte(CLOSE_BRACE);
  seek(end);
}

/** A fixed64 time from its position, left out when unset or zero. */
function timeField(piece: Field, at: number, first: boolean): boolean {
  if (at < 0) return first;
  const low = buf.readUInt32LE(at);
  const high = buf.readUInt32LE(at + 4);
  if (low === 0 && high === 0) return first;
  putField(piece, first);
  putFixed64Time(low, high);
  return false;
}

/** `piece` and every occurrence of the repeated message field `tag` from `from` on, then `]`. */
function repeated(from: number, end: number, tag: number, piece: Field, write: (itemEnd: number) => void): void {
  seek(from);
  putBytes(piece.comma);
  let any = false;
  while (pos < end) {
    const t = varint();
    if (t !== tag) {
      skip(t, end);
      continue;
    }
    const itemEnd = lengthEnd(end);
    if (any) putByte(COMMA);
    any = true;
    write(itemEnd);
    seek(itemEnd);
  }
  putByte(CLOSE_BRACKET);
}

function event(end: number): void {
  let timeAt = -1;
  let nameAt = -1;
  let attributesAt = -1;
  let dropped = 0;
  while (pos < end) {
    const at = pos;
    const tag = varint();
    if (tag === 0x09) timeAt = fixed64At(end);
    else if (tag === 0x12) nameAt = stringAt(end);
    else if (tag === 0x1a) {
      if (attributesAt < 0) attributesAt = at;
      bytesAt(end);
    } else if (tag === 0x20) dropped = varint();
    else skip(tag, end);
  }
  checkEnd(end);
  putByte(OPEN_BRACE);
  let first = timeField(TIME, timeAt, true);
  first = stringField(NAME, nameAt, first);
  if (attributesAt >= 0) {
    putField(ATTRIBUTES, first);
    first = false;
    repeatedItems(attributesAt, end, 0x1a);
  }
  countField(DROPPED_ATTRIBUTES, dropped, first);
  putByte(CLOSE_BRACE);
}

/** The KeyValues of repeated field `tag` from `from` on, then `]` (the list is already open). */
function repeatedItems(from: number, end: number, tag: number): void {
  seek(from);
  let any = false;
  while (pos < end) {
    const t = varint();
    if (t !== tag) {
      skip(t, end);
      continue;
    }
    const itemEnd = lengthEnd(end);
    if (any) putByte(COMMA);
    any = true;
    keyValue(itemEnd);
  }
  putByte(CLOSE_BRACKET);
}

function link(end: number): void {
  let traceIdAt = 0;
  let traceIdEnd = 0;
  let spanIdAt = 0;
  let spanIdEnd = 0;
  let traceStateAt = -1;
  let attributesAt = -1;
  let dropped = 0;
  let flags = 0;
  while (pos < end) {
    const at = pos;
    const tag = varint();
    switch (tag) {
      case 0x0a:
        traceIdAt = bytesAt(end);
        traceIdEnd = pos;
        break;
      case 0x12:
        spanIdAt = bytesAt(end);
        spanIdEnd = pos;
        break;
      case 0x1a:
        traceStateAt = stringAt(end);
        break;
      case 0x22:
        if (attributesAt < 0) attributesAt = at;
        bytesAt(end);
        break;
      case 0x28:
        dropped = varint();
        break;
      case 0x35:
        flags = fixed32(end);
        break;
      default:
        skip(tag, end);
    }
  }
  checkEnd(end);
  putBytes(TRACE_ID);
  putHex(buf, traceIdAt, traceIdEnd);
  putBytes(SPAN_ID);
  putHex(buf, spanIdAt, spanIdEnd);
  putByte(QUOTE);
  stringField(TRACE_STATE, traceStateAt, false);
  if (attributesAt >= 0) {
    putBytes(ATTRIBUTES.comma);
    repeatedItems(attributesAt, end, 0x22);
  }
  countField(DROPPED_ATTRIBUTES, dropped, false);
  putFlags(flags);
  putByte(CLOSE_BRACE);
}

function status(from: number, end: number): void {
  seek(from);
  let messageAt = -1;
  let code = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) messageAt = stringAt(end);
    else if (tag === 0x18) code = varint() | 0;
    else skip(tag, end);
  }
  checkEnd(end);
  const mark = out;
  putBytes(STATUS);
  let first = stringField(STATUS_MESSAGE, messageAt, true);
  if (code !== 0) {
    putField(STATUS_CODE, first);
    putNumber(code);
    first = false;
  }
  if (first) return rewind(mark);
  putByte(CLOSE_BRACE);
}
