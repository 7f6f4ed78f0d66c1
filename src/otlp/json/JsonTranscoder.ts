import { TracepipeError } from '../../errors.js';
import { type Allocate, CLOSE_BRACE, COMMA, JsonWriter, OPEN_BRACE, QUOTE, bytes } from './JsonWriter.js';
import { ProtoReader } from '../proto/ProtoReader.js';
import { ANY_VALUE, EVENT, JSON_KEY, KEY_VALUE, LINK, LIST, MAX_DEPTH, RESOURCE, RESOURCE_SPANS, SCOPE, SCOPE_SPANS, SPAN, STATUS as STATUS_FIELDS, TRACES_DATA } from '../schema.js';

/** Thrown (and caught) to hand a checked request to the decoder. */
const NEEDS_DECODER = new Error('needs the decoder');

const RESOURCE_OPEN = bytes(`{"${JSON_KEY.resource}":{`);
const SCOPE_SPANS_KEY = bytes(`"${JSON_KEY.scope_spans}":[`);
const SCOPE_OPEN = bytes(`{"${JSON_KEY.scope}":{`);
const SPANS = bytes(`"${JSON_KEY.spans}":[`);
const CLOSE_BRACE_COMMA = bytes('},');
const SCHEMA_URL = field(JSON_KEY.schema_url);
const NAME = field(JSON_KEY.name);
const VERSION = field(JSON_KEY.version);
const ATTRIBUTES = field(JSON_KEY.attributes, '[');
const DROPPED_ATTRIBUTES = field(JSON_KEY.dropped_attributes_count);
const TRACE_ID = bytes(`{"${JSON_KEY.trace_id}":"`);
const SPAN_ID = bytes(`","${JSON_KEY.span_id}":"`);
const TRACE_STATE = field(JSON_KEY.trace_state);
const PARENT_SPAN_ID = bytes(`,"${JSON_KEY.parent_span_id}":"`);
const FLAGS = field(JSON_KEY.flags);
const KIND = field(JSON_KEY.kind);
const START_TIME = field(JSON_KEY.start_time_unix_nano);
const END_TIME = field(JSON_KEY.end_time_unix_nano);
const TIME = field(JSON_KEY.time_unix_nano);
const EVENTS = field(JSON_KEY.events, '[');
const DROPPED_EVENTS = field(JSON_KEY.dropped_events_count);
const LINKS = field(JSON_KEY.links, '[');
const DROPPED_LINKS = field(JSON_KEY.dropped_links_count);
const STATUS = bytes(`,"${JSON_KEY.status}":{`);
const STATUS_MESSAGE = field(JSON_KEY.message);
const STATUS_CODE = field(JSON_KEY.code);
const KEY = bytes(`{"${JSON_KEY.key}":`);
const VALUE = bytes(`{"${JSON_KEY.value}":`);
const COMMA_VALUE = bytes(`,"${JSON_KEY.value}":`);
const STRING_VALUE = bytes(`{"${JSON_KEY.string_value}":`);
const INT_VALUE = bytes(`{"${JSON_KEY.int_value}":`);
const TRUE_VALUE = bytes(`{"${JSON_KEY.bool_value}":true}`);
const FALSE_VALUE = bytes(`{"${JSON_KEY.bool_value}":false}`);
const BYTES_VALUE = bytes(`{"${JSON_KEY.bytes_value}":"`);
const QUOTE_BRACE = bytes('"}');
const EMPTY_VALUE = bytes('{}');
const EMPTY_ARRAY = bytes(`{"${JSON_KEY.array_value}":{}}`);
const ARRAY_OPEN = bytes(`{"${JSON_KEY.array_value}":{"${JSON_KEY.values}":[`);
const EMPTY_KVLIST = bytes(`{"${JSON_KEY.kvlist_value}":{}}`);
const KVLIST_OPEN = bytes(`{"${JSON_KEY.kvlist_value}":{"${JSON_KEY.values}":[`);
const CLOSE_VALUES = bytes(']}}');

/** A field's name as written first in its object, and after another field. */
interface Field {
  readonly bare: Uint8Array;
  readonly comma: Uint8Array;
}

function field(name: string, open = ''): Field {
  return { bare: bytes(`"${name}":${open}`), comma: bytes(`,"${name}":${open}`) };
}

const CLOSE_BRACKET = 0x5d;

/** What a message's known tags are, for reading it in field order (see nextTag). */
const UNKNOWN = 0;
const SINGULAR = 1;
const REPEATED = 2;
/** A member of a oneof: only the last one set counts. */
const ONEOF = 3;

function tagKinds(kinds: readonly (readonly [number, number])[]): Uint8Array {
  const table = new Uint8Array(256);
  for (const [tag, kind] of kinds) table[tag] = kind;
  return table;
}

const SPAN_TAGS = tagKinds([
  [SPAN.TRACE_ID, SINGULAR], [SPAN.SPAN_ID, SINGULAR], [SPAN.TRACE_STATE, SINGULAR], [SPAN.PARENT_SPAN_ID, SINGULAR],
  [SPAN.NAME, SINGULAR], [SPAN.KIND, SINGULAR], [SPAN.START_TIME_UNIX_NANO, SINGULAR], [SPAN.END_TIME_UNIX_NANO, SINGULAR],
  [SPAN.ATTRIBUTES, REPEATED], [SPAN.DROPPED_ATTRIBUTES_COUNT, SINGULAR], [SPAN.EVENTS, REPEATED], [SPAN.DROPPED_EVENTS_COUNT, SINGULAR],
  [SPAN.LINKS, REPEATED], [SPAN.DROPPED_LINKS_COUNT, SINGULAR], [SPAN.STATUS, SINGULAR], [SPAN.FLAGS, SINGULAR],
]);
const EVENT_TAGS = tagKinds([[EVENT.TIME_UNIX_NANO, SINGULAR], [EVENT.NAME, SINGULAR], [EVENT.ATTRIBUTES, REPEATED], [EVENT.DROPPED_ATTRIBUTES_COUNT, SINGULAR]]);
const LINK_TAGS = tagKinds([
  [LINK.TRACE_ID, SINGULAR], [LINK.SPAN_ID, SINGULAR], [LINK.TRACE_STATE, SINGULAR],
  [LINK.ATTRIBUTES, REPEATED], [LINK.DROPPED_ATTRIBUTES_COUNT, SINGULAR], [LINK.FLAGS, SINGULAR],
]);
const ANY_VALUE_TAGS = tagKinds(Object.values(ANY_VALUE).map((tag) => [tag, ONEOF]));

/**
 * The n-th attribute of a span (or event) is very often byte for byte the n-th attribute of
 * the span before (same route, host, port, user agent…). Both are in the request being read,
 * and the JSON written for the earlier one is still in the output, so a match is one
 * comparison of input bytes and one copy within the output. Positions are per request and
 * forgotten whenever the output is taken back.
 */
const POSITIONS = 32;
const SPAN_POSITIONS = 0;
const EVENT_POSITIONS = POSITIONS;

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
const TYPE_OPENINGS = [bytes(`{"${JSON_KEY.string_value}":`), bytes(`{"${JSON_KEY.int_value}":"`), bytes(`{"${JSON_KEY.double_value}":`)];

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

const CLOSE_VALUE = bytes('}}');
const QUOTE_CLOSE_VALUE = bytes('"}}');

const KIND_FIELD: readonly Uint8Array[] = Array.from({ length: 6 }, (_, kind) => bytes(`,"${JSON_KEY.kind}":` + kind));
const FLAGS_FIELD: readonly Uint8Array[] = Array.from({ length: 0x400 }, (_, flags) => bytes(`,"${JSON_KEY.flags}":` + flags));

const SPAN_ID_CLOSED = bytes(`","${JSON_KEY.span_id}":""`);

/**
 * Protobuf OTLP requests to OTLP/JSON in one pass. The forwarder (and whoever else transcodes)
 * creates one and keeps it: it owns its reader, its writer and its caches, all bounded by
 * construction (POSITIONS attribute positions; KEY_SLOTS key prefixes of at most MAX_CACHED_KEY
 * bytes: about 1024 × 3 × 150 bytes at most, and a colliding key takes a slot over).
 */
export class JsonTranscoder {
  private readonly r = new ProtoReader();
  private readonly w = new JsonWriter();
  /** The spans written by the current transcodeResourceSpans. */
  private spanCount = 0;
  private readonly seenFrom = new Int32Array(2 * POSITIONS).fill(-1);
  private readonly seenTo = new Int32Array(2 * POSITIONS);
  private readonly writtenFrom = new Int32Array(2 * POSITIONS);
  private readonly writtenTo = new Int32Array(2 * POSITIONS);
  /** The cached keys' bytes, padded to whole 32-bit words for comparing four at a time. */
  private slotKey: Int32Array[] = new Array<Int32Array>(KEY_SLOTS).fill(new Int32Array(0));
  private readonly slotKeyLength = new Int32Array(KEY_SLOTS).fill(-1);
  private slotPrefixes: Uint8Array[][] = new Array<Uint8Array[]>(KEY_SLOTS).fill([]);
  private depth = 0;

  /**
   * The forwarder's capture path in one pass: the OTLP/JSON of one protobuf request's
   * ResourceSpans, comma-separated with no `{"resourceSpans":[` around them (the queue keeps
   * requests, the file exporter joins them into a line), with the number of spans. Accepted
   * only when decodeTracesProto would take the request whole: every span's ids usable (the
   * decoder's rules), every field in order and read. Anything else (invalid ids, which the sender
   * must hear about in partial_success; fields out of order; bytes that are not a message) gives
   * undefined: the caller then decodes for the exact answer. Fuzz-tested against the decoder.
   */
  transcodeResourceSpans(request: Uint8Array, allocate: Allocate): { json: Buffer; spanCount: number } | undefined {
    this.w.begin(allocate);
    this.spanCount = 0;
    try {
      this.putRequest(request);
      return { json: this.w.takeBytes(false), spanCount: this.spanCount };
    } catch (err) {
      if (err === NEEDS_DECODER || (err instanceof TracepipeError && err.code === 'TRACEPIPE_INVALID_OTLP')) return undefined;
      throw err;
    } finally {
      this.r.close();
    }
  }

  /**
   * A protobuf string as a JSON string. What transcodeResourceSpans accepts must be what the
   * decoder takes, which refuses strings that are not UTF-8, so it checks them: only those the
   * writer did not copy as plain ASCII, so most strings are walked once.
   */
  private putUtf8(from: number, to: number): void {
    if (!this.w.putUtf8(this.r.buf, this.r.view, from, to) && !this.r.utf8(from, to)) throw NEEDS_DECODER;
  }

  /** The ResourceSpans of one request, comma-separated. The caller closes the reader. */
  private putRequest(request: Uint8Array): void {
    this.r.open(request);
    this.forgetPositions();
    this.depth = 0;
    const end = this.r.buf.length;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === TRACES_DATA.RESOURCE_SPANS) this.resourceSpans(this.r.lengthEnd(end), this.w.pos === 0);
      else this.r.skip(tag, end);
    }
  }

  /** Writes a field's name as the object's next field. */
  private putField(piece: Field, first: boolean): void {
    this.w.putBytes(first ? piece.bare : piece.comma);
  }

  /**
   * One ResourceSpans (ends at `end`), after a comma unless it is the list's first. The
   * resource and schema URL are written around the scopes wherever they sit in the message;
   * nothing is left when no scope has a span.
   */
  private resourceSpans(end: number, first: boolean): void {
    const start = this.r.pos;
    const mark = this.w.pos;
    if (!first) this.w.putByte(COMMA);
    this.w.putBytes(RESOURCE_OPEN);
    const headerStart = this.w.pos;
    let schemaAt = -1;
    let dropped = 0;
    let listOpen = false;
    // The resource's fields (a message field that occurs twice is merged, as protobuf requires).
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === RESOURCE_SPANS.RESOURCE) {
        const resourceEnd = this.r.lengthEnd(end);
        while (this.r.pos < resourceEnd) {
          const t = this.r.tag();
          if (t === RESOURCE.ATTRIBUTES) {
            listOpen = this.openListOrComma(listOpen, true);
            this.keyValue(this.r.lengthEnd(resourceEnd));
          } else if (t === RESOURCE.DROPPED_ATTRIBUTES_COUNT) dropped = this.r.varint();
          else this.r.skip(t, resourceEnd);
        }
        this.r.checkEnd(resourceEnd);
      } else if (tag === RESOURCE_SPANS.SCHEMA_URL) schemaAt = this.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    if (listOpen) this.w.putByte(CLOSE_BRACKET);
    this.closeHeader(this.countField(DROPPED_ATTRIBUTES, dropped, !listOpen), headerStart - RESOURCE_OPEN.length, SCOPE_SPANS_KEY);
    const scopesStart = this.w.pos;
    this.r.seek(start);
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === RESOURCE_SPANS.SCOPE_SPANS) this.scopeSpans(this.r.lengthEnd(end), this.w.pos === scopesStart);
      else this.r.skip(tag, end);
    }
    if (this.w.pos === scopesStart) return this.forgetAndRewind(mark);
    this.closeList(schemaAt);
  }

  /**
   * Ends the resource or scope that opens a ResourceSpans or ScopeSpans (written from `opening`):
   * left out, as the encoder leaves an empty one out, when it got no field; then the key of the
   * children's list.
   */
  private closeHeader(empty: boolean, opening: number, children: Uint8Array): void {
    if (empty) {
      this.w.rewind(opening);
      this.w.putByte(OPEN_BRACE);
    } else {
      this.w.putBytes(CLOSE_BRACE_COMMA);
    }
    this.w.putBytes(children);
  }

  private forgetAndRewind(mark: number): void {
    this.forgetPositions();
    this.w.rewind(mark);
  }

  /** Opens an attribute list as an object's first field (or puts the comma before its next KeyValue). Returns true. */
  private openListOrComma(open: boolean, first: boolean): boolean {
    if (open) this.w.putByte(COMMA);
    else this.putField(ATTRIBUTES, first);
    return true;
  }

  /** `]`, the schema URL if there is one (a string's position, or -1), `}`. */
  private closeList(schemaAt: number): void {
    this.w.putByte(CLOSE_BRACKET);
    if (schemaAt >= 0) {
      const at = this.r.pos;
      this.r.seek(schemaAt);
      const stringEnd = this.r.lengthEnd(this.r.buf.length);
      if (stringEnd > this.r.pos) {
        this.w.putBytes(SCHEMA_URL.comma);
        this.putUtf8(this.r.pos, stringEnd);
      }
      this.r.seek(at);
    }
    this.w.putByte(CLOSE_BRACE);
  }

  /** Where a string field's length starts, stepping over it. */
  private stringAt(end: number): number {
    const at = this.r.pos;
    const from = this.r.bytesAt(end);
    // Checked here too: a string of a resource or scope without spans is never written.
    if (!this.r.utf8(from, this.r.pos)) throw NEEDS_DECODER;
    return at;
  }

  private scopeSpans(end: number, first: boolean): void {
    const start = this.r.pos;
    const mark = this.w.pos;
    if (!first) this.w.putByte(COMMA);
    this.w.putBytes(SCOPE_OPEN);
    const headerStart = this.w.pos;
    let schemaAt = -1;
    let nameAt = -1;
    let versionAt = -1;
    let dropped = 0;
    let hasAttributes = false;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === SCOPE_SPANS.SCOPE) {
        const scopeEnd = this.r.lengthEnd(end);
        while (this.r.pos < scopeEnd) {
          const t = this.r.tag();
          if (t === SCOPE.NAME) nameAt = this.stringAt(scopeEnd);
          else if (t === SCOPE.VERSION) versionAt = this.stringAt(scopeEnd);
          else if (t === SCOPE.DROPPED_ATTRIBUTES_COUNT) dropped = this.r.varint();
          else {
            hasAttributes ||= t === SCOPE.ATTRIBUTES;
            this.r.skip(t, scopeEnd);
          }
        }
        this.r.checkEnd(scopeEnd);
      } else if (tag === SCOPE_SPANS.SCHEMA_URL) schemaAt = this.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    let fieldFirst = this.stringField(NAME, nameAt, true);
    fieldFirst = this.stringField(VERSION, versionAt, fieldFirst);
    if (hasAttributes) {
      // The attributes of every occurrence of the scope field, in order (occurrences merge).
      this.r.seek(start);
      let listOpen = false;
      while (this.r.pos < end) {
        const tag = this.r.tag();
        if (tag !== SCOPE_SPANS.SCOPE) {
          this.r.skip(tag, end);
          continue;
        }
        const scopeEnd = this.r.lengthEnd(end);
        while (this.r.pos < scopeEnd) {
          const t = this.r.tag();
          if (t === SCOPE.ATTRIBUTES) {
            listOpen = this.openListOrComma(listOpen, fieldFirst);
            this.keyValue(this.r.lengthEnd(scopeEnd));
          } else this.r.skip(t, scopeEnd);
        }
      }
      this.w.putByte(CLOSE_BRACKET);
      fieldFirst = false;
    }
    this.closeHeader(this.countField(DROPPED_ATTRIBUTES, dropped, fieldFirst), headerStart - SCOPE_OPEN.length, SPANS);
    const spansStart = this.w.pos;
    this.r.seek(start);
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === SCOPE_SPANS.SPANS) this.span(this.r.lengthEnd(end), this.w.pos === spansStart);
      else this.r.skip(tag, end);
    }
    if (this.w.pos === spansStart) return this.forgetAndRewind(mark);
    this.closeList(schemaAt);
  }

  /** A string field from its position (see stringAt), left out when unset or empty. Returns whether the object is still empty. */
  private stringField(piece: Field, at: number, first: boolean): boolean {
    if (at < 0) return first;
    const back = this.r.pos;
    this.r.seek(at);
    const stringEnd = this.r.lengthEnd(this.r.buf.length);
    const from = this.r.pos;
    this.r.seek(back);
    if (stringEnd === from) return first;
    this.putField(piece, first);
    this.putUtf8(from, stringEnd);
    return false;
  }

  private countField(piece: Field, count: number, first: boolean): boolean {
    if (count === 0) return first;
    this.putField(piece, first);
    this.w.putNumber(count);
    return false;
  }

  /**
   * Every encoder we know writes fields in field-number order, each singular field once, so the
   * message writers below translate in one pass and give up (returning false) on anything else:
   * such a request goes to the decoder, which takes the last occurrence of a field or oneof member.
   */
  private inOrderOrDecoder(written: boolean): void {
    if (!written) throw NEEDS_DECODER;
  }

  /** A string field's value at `pos`, as an object's next field unless empty. Returns whether it wrote it. */
  private stringValue(piece: Field, first: boolean, end: number): boolean {
    const from = this.r.bytesAt(end);
    if (from === this.r.pos) return false;
    this.putField(piece, first);
    this.putUtf8(from, this.r.pos);
    return true;
  }

  /** A fixed64 time at `pos`, as an object's next field unless zero. Returns whether it wrote it. */
  private timeValue(piece: Field, first: boolean, end: number): boolean {
    const at = this.r.fixed64At(end);
    const low = this.r.view.getInt32(at, true);
    const high = this.r.view.getInt32(at + 4, true);
    if (low === 0 && high === 0) return false;
    this.putField(piece, first);
    this.w.putFixed64Time(low, high);
    return true;
  }

  /** One KeyValue: `{"key":…,"value":…}`, the key left out when empty (as JsonTraceEncoder does). */
  private keyValue(end: number): void {
    this.inOrderOrDecoder(this.keyValueInOrder(end));
  }

  private keyValueInOrder(end: number): boolean {
    if (this.r.buf[this.r.pos] === KEY_VALUE.KEY && this.commonKeyValue(end)) return true;
    let last = 0;
    let valueWritten = false;
    let keyWritten = false;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === KEY_VALUE.KEY) {
        if (last !== 0) return false;
        const from = this.r.bytesAt(end);
        if (from !== this.r.pos) {
          this.w.putBytes(KEY);
          this.putUtf8(from, this.r.pos);
          this.w.putBytes(COMMA_VALUE);
          keyWritten = true;
        }
        last = 1;
      } else if (tag === KEY_VALUE.VALUE) {
        if (last === 2) return false;
        if (!keyWritten) this.w.putBytes(VALUE);
        keyWritten = true;
        this.anyValue(this.r.lengthEnd(end));
        valueWritten = true;
        last = 2;
      } else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    if (!keyWritten) this.w.putBytes(VALUE);
    if (!valueWritten) this.w.putBytes(EMPTY_VALUE);
    this.w.putByte(CLOSE_BRACE);
    return true;
  }

  private forgetPositions(): void {
    this.seenFrom.fill(-1);
  }

  /** A KeyValue that may repeat the one at the same `position` of the previous list. */
  private keyValueAt(end: number, position: number): void {
    const from = this.r.pos;
    if (position >= this.seenFrom.length) return this.keyValue(end);
    const seen = this.seenFrom[position]!;
    if (seen >= 0 && this.seenTo[position]! - seen === end - from && this.sameBytes(seen, from, end - from)) {
      this.w.putCopy(this.writtenFrom[position]!, this.writtenTo[position]!);
      return this.r.seek(end);
    }
    const at = this.w.pos;
    this.keyValue(end);
    this.seenFrom[position] = from;
    this.seenTo[position] = end;
    this.writtenFrom[position] = at;
    this.writtenTo[position] = this.w.pos;
  }

  /** Whether the `n` bytes at `a` and at `b` of the request are the same, compared four at a time. */
  private sameBytes(a: number, b: number, n: number): boolean {
    const v = this.r.view;
    let i = 0;
    for (const words = n - 3; i < words; i += 4) if (v.getInt32(a + i, true) !== v.getInt32(b + i, true)) return false;
    for (; i < n; i++) if (this.r.buf[a + i] !== this.r.buf[b + i]) return false;
    return true;
  }

  private keyPrefix(from: number, to: number, type: number): Uint8Array {
    const n = to - from;
    const b = this.r.buf;
    const slot = (Math.imul(n, 0x9e3779b1) ^ b[from]! ^ (b[to - 1]! << 7) ^ (b[from + (n >> 1)]! << 2)) & (KEY_SLOTS - 1);
    if (this.slotKeyLength[slot] === n && this.sameKey(this.slotKey[slot]!, from, n)) return this.slotPrefixes[slot]![type]!;
    return this.cacheKeyPrefixes(from, to, slot)[type]!;
  }

  /**
   * A key's prefixes, made and put in its slot. Apart from keyPrefix because a closure over
   * `from` and `to` there would have every call allocate their context, hit or miss.
   */
  private cacheKeyPrefixes(from: number, to: number, slot: number): Uint8Array[] {
    const n = to - from;
    const keyJson = this.w.capture(() => {
      this.w.putBytes(KEY);
      this.putUtf8(from, to);
      this.w.putBytes(COMMA_VALUE);
    });
    const prefixes = TYPE_OPENINGS.map((opening) => concatBytes(keyJson, opening));
    // putUtf8 has checked the key is UTF-8.
    if (n <= MAX_CACHED_KEY) {
      const words = new Int32Array((n + 3) >> 2);
      new Uint8Array(words.buffer).set(this.r.buf.subarray(from, to));
      this.slotKey[slot] = words;
      this.slotKeyLength[slot] = n;
      this.slotPrefixes[slot] = prefixes;
    }
    return prefixes;
  }

  /** Whether the `n` key bytes at `from` are `words` (whose padding past `n` is zero). */
  private sameKey(words: Int32Array, from: number, n: number): boolean {
    const v = this.r.view;
    let w = 0;
    let i = from;
    for (const whole = from + (n & ~3); i < whole; i += 4) if (words[w++] !== v.getInt32(i, true)) return false;
    if (i === from + n) return true;
    // The last partial word, byte by byte.
    let last = 0;
    for (let k = 0; i < from + n; i++, k += 8) last |= this.r.buf[i]! << k;
    return words[w] === last;
  }

  /**
   * The common KeyValue in one go: a non-empty key, then a value holding only a string, an
   * int or a double. Anything else leaves the reader where it was, writes nothing and returns false.
   */
  private commonKeyValue(end: number): boolean {
    const start = this.r.pos;
    this.r.seek(start + 1);
    const keyEnd = this.r.lengthEnd(end);
    const keyFrom = this.r.pos;
    if (keyEnd === keyFrom || keyEnd >= end || this.r.buf[keyEnd] !== KEY_VALUE.VALUE) return this.notCommon(start);
    this.r.seek(keyEnd + 1);
    const valueEnd = this.r.lengthEnd(end);
    const member = this.r.buf[this.r.pos];
    if (valueEnd !== end || this.r.pos === valueEnd) return this.notCommon(start);
    this.r.seek(this.r.pos + 1);
    if (member === ANY_VALUE.STRING_VALUE) {
      const from = this.r.bytesAt(valueEnd);
      if (this.r.pos !== valueEnd) return this.notCommon(start);
      this.w.putBytes(this.keyPrefix(keyFrom, keyEnd, STRING));
      this.putUtf8(from, this.r.pos);
      this.w.putBytes(CLOSE_VALUE);
    } else if (member === ANY_VALUE.INT_VALUE) {
      const value = this.r.int64();
      if (this.r.pos !== valueEnd) return this.notCommon(start);
      this.w.putBytes(this.keyPrefix(keyFrom, keyEnd, INT));
      if (typeof value === 'number') this.w.putNumber(value);
      else this.w.putAscii(value.toString());
      this.w.putBytes(QUOTE_CLOSE_VALUE);
    } else if (member === ANY_VALUE.DOUBLE_VALUE) {
      if (valueEnd - this.r.pos !== 8) return this.notCommon(start);
      const value = this.r.double(valueEnd);
      if (!Number.isFinite(value) || Object.is(value, -0)) return this.notCommon(start);
      this.w.putBytes(this.keyPrefix(keyFrom, keyEnd, DOUBLE));
      this.w.putFiniteDouble(value);
      this.w.putBytes(CLOSE_VALUE);
    } else return this.notCommon(start);
    return true;
  }

  private notCommon(start: number): false {
    this.r.seek(start);
    return false;
  }

  /** An AnyValue: its one member, or `{}` when none is set. */
  private anyValue(end: number): void {
    this.inOrderOrDecoder(this.anyValueInOrder(end));
  }

  private anyValueInOrder(end: number): boolean {
    let written = false;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag < 256 && ANY_VALUE_TAGS[tag] === ONEOF) {
        if (written) return false;
        written = true;
      }
      switch (tag) {
        case ANY_VALUE.STRING_VALUE:
          this.w.putBytes(STRING_VALUE);
          this.putUtf8(this.r.bytesAt(end), this.r.pos);
          this.w.putByte(CLOSE_BRACE);
          break;
        case ANY_VALUE.BOOL_VALUE:
          this.w.putBytes(this.r.varint() !== 0 ? TRUE_VALUE : FALSE_VALUE);
          break;
        case ANY_VALUE.INT_VALUE:
          this.w.putBytes(INT_VALUE);
          this.w.putInt64String(this.r.int64());
          this.w.putByte(CLOSE_BRACE);
          break;
        case ANY_VALUE.DOUBLE_VALUE:
          this.w.putDouble(this.r.double(end));
          break;
        case ANY_VALUE.ARRAY_VALUE:
          this.list(this.r.lengthEnd(end), ARRAY_OPEN, EMPTY_ARRAY, false);
          break;
        case ANY_VALUE.KVLIST_VALUE:
          this.list(this.r.lengthEnd(end), KVLIST_OPEN, EMPTY_KVLIST, true);
          break;
        case ANY_VALUE.BYTES_VALUE: {
          const from = this.r.bytesAt(end);
          this.w.putBytes(BYTES_VALUE);
          this.w.putAscii(this.r.buf.toString('base64', from, this.r.pos));
          this.w.putBytes(QUOTE_BRACE);
          break;
        }
        default:
          this.r.skip(tag, end);
      }
    }
    this.r.checkEnd(end);
    if (!written) this.w.putBytes(EMPTY_VALUE);
    return true;
  }

  /** An ArrayValue (AnyValues) or KeyValueList (KeyValues): field 1 repeated. */
  private list(end: number, open: Uint8Array, empty: Uint8Array, keyValues: boolean): void {
    if (++this.depth > MAX_DEPTH) this.r.fail(`values nested more than ${MAX_DEPTH} deep`);
    const mark = this.w.pos;
    this.w.putBytes(open);
    const itemsStart = this.w.pos;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag !== LIST.VALUES) {
        this.r.skip(tag, end);
        continue;
      }
      const itemEnd = this.r.lengthEnd(end);
      if (this.w.pos !== itemsStart) this.w.putByte(COMMA);
      if (keyValues) this.keyValue(itemEnd);
      else this.anyValue(itemEnd);
    }
    this.r.checkEnd(end);
    this.depth--;
    if (this.w.pos === itemsStart) {
      this.w.rewind(mark);
      return this.w.putBytes(empty);
    }
    this.w.putBytes(CLOSE_VALUES);
  }

  private putFlags(flags: number): void {
    if (flags === 0) return;
    if (flags < FLAGS_FIELD.length) return this.w.putBytes(FLAGS_FIELD[flags]!);
    this.w.putBytes(FLAGS.comma);
    this.w.putNumber(flags);
  }

  private span(end: number, first: boolean): void {
    this.spanCount++;
    if (!first) this.w.putByte(COMMA);
    this.inOrderOrDecoder(this.spanInOrder(end));
  }

  /**
   * One Span in one pass, as JsonTraceEncoder writes it: the fields in field-number order,
   * defaults left out, the ids always there. `list` is the repeated field whose JSON array is
   * open (attributes, events or links), closed when another field comes.
   */
  private spanInOrder(end: number): boolean {
    this.w.putBytes(TRACE_ID);
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
    while ((tag = this.nextTag(end, SPAN_TAGS, last)) > 0) {
      const field = tag >>> 3;
      if (list !== 0 && field !== list) {
        this.w.putByte(CLOSE_BRACKET);
        list = 0;
      }
      if (last < 2 && field > 2) this.w.putBytes(SPAN_ID_CLOSED);
      switch (tag) {
        case SPAN.TRACE_ID:
          traceIdAt = this.r.bytesAt(end);
          traceIdEnd = this.r.pos;
          this.w.putHex(this.r.buf, traceIdAt, this.r.pos);
          break;
        case SPAN.SPAN_ID:
          spanIdAt = this.r.bytesAt(end);
          spanIdEnd = this.r.pos;
          this.w.putBytes(SPAN_ID);
          this.w.putHex(this.r.buf, spanIdAt, this.r.pos);
          this.w.putByte(QUOTE);
          break;
        case SPAN.TRACE_STATE:
          this.stringValue(TRACE_STATE, false, end);
          break;
        case SPAN.PARENT_SPAN_ID: {
          const from = this.r.bytesAt(end);
          parentBytes = this.r.pos - from;
          if (from === this.r.pos) break;
          this.w.putBytes(PARENT_SPAN_ID);
          this.w.putHex(this.r.buf, from, this.r.pos);
          this.w.putByte(QUOTE);
          break;
        }
        case SPAN.NAME:
          this.stringValue(NAME, false, end);
          break;
        case SPAN.KIND: {
          const kindValue = this.r.varint() | 0;
          if (kindValue === 0) break;
          if (kindValue > 0 && kindValue < KIND_FIELD.length) this.w.putBytes(KIND_FIELD[kindValue]!);
          else {
            this.w.putBytes(KIND.comma);
            this.w.putNumber(kindValue);
          }
          break;
        }
        case SPAN.START_TIME_UNIX_NANO:
          this.timeValue(START_TIME, false, end);
          break;
        case SPAN.END_TIME_UNIX_NANO:
          this.timeValue(END_TIME, false, end);
          break;
        case SPAN.ATTRIBUTES:
          list = this.openOrNext(list, field, ATTRIBUTES);
          this.keyValueAt(this.r.lengthEnd(end), SPAN_POSITIONS + attribute++);
          break;
        case SPAN.EVENTS:
          list = this.openOrNext(list, field, EVENTS);
          this.event(this.r.lengthEnd(end));
          break;
        case SPAN.LINKS:
          list = this.openOrNext(list, field, LINKS);
          this.link(this.r.lengthEnd(end));
          break;
        case SPAN.DROPPED_ATTRIBUTES_COUNT:
          this.countField(DROPPED_ATTRIBUTES, this.r.varint(), false);
          break;
        case SPAN.DROPPED_EVENTS_COUNT:
          this.countField(DROPPED_EVENTS, this.r.varint(), false);
          break;
        case SPAN.DROPPED_LINKS_COUNT:
          this.countField(DROPPED_LINKS, this.r.varint(), false);
          break;
        case SPAN.STATUS:
          this.status(this.r.lengthEnd(end));
          break;
        case SPAN.FLAGS:
          flags = this.r.fixed32(end);
          break;
      }
      last = field;
    }
    if (tag < 0) return false;
    this.r.checkEnd(end);
    // Any problem is the decoder's to report, in partial_success.
    if (this.r.spanIdsProblem(traceIdAt, traceIdEnd, spanIdAt, spanIdEnd, parentBytes) !== undefined) throw NEEDS_DECODER;
    if (list !== 0) this.w.putByte(CLOSE_BRACKET);
    if (last < 2) this.w.putBytes(SPAN_ID_CLOSED);
    this.putFlags(flags);
    this.w.putByte(CLOSE_BRACE);
    return true;
  }

  /**
   * The next known field's tag in a message read in field order (unknown fields are stepped over),
   * 0 at `end`, or -1 when it breaks the order: a field before field `last`, or a singular field again.
   */
  private nextTag(end: number, kinds: Uint8Array, last: number): number {
    while (this.r.pos < end) {
      const tag = this.r.tag();
      const kind = tag < 256 ? kinds[tag]! : UNKNOWN;
      if (kind === UNKNOWN) {
        this.r.skip(tag, end);
        continue;
      }
      const field = tag >>> 3;
      return field < last || (field === last && kind !== REPEATED) ? -1 : tag;
    }
    return 0;
  }

  /** Opens the JSON array of repeated field `field` or puts the comma before its next item; returns the open list. */
  private openOrNext(open: number, field: number, piece: Field): number {
    if (open === field) this.w.putByte(COMMA);
    else this.w.putBytes(piece.comma);
    return field;
  }

  private event(end: number): void {
    this.inOrderOrDecoder(this.eventInOrder(end));
  }

  private eventInOrder(end: number): boolean {
    this.w.putByte(OPEN_BRACE);
    let attribute = 0;
    let last = 0;
    let first = true;
    let listOpen = false;
    let tag: number;
    while ((tag = this.nextTag(end, EVENT_TAGS, last)) > 0) {
      const field = tag >>> 3;
      if (listOpen && field !== 3) {
        this.w.putByte(CLOSE_BRACKET);
        listOpen = false;
      }
      if (tag === EVENT.TIME_UNIX_NANO) {
        if (this.timeValue(TIME, first, end)) first = false;
      } else if (tag === EVENT.NAME) {
        if (this.stringValue(NAME, first, end)) first = false;
      } else if (tag === EVENT.ATTRIBUTES) {
        if (listOpen) this.w.putByte(COMMA);
        else this.putField(ATTRIBUTES, first);
        listOpen = true;
        first = false;
        this.keyValueAt(this.r.lengthEnd(end), EVENT_POSITIONS + attribute++);
      } else first = this.countField(DROPPED_ATTRIBUTES, this.r.varint(), first);
      last = field;
    }
    if (tag < 0) return false;
    this.r.checkEnd(end);
    if (listOpen) this.w.putByte(CLOSE_BRACKET);
    this.w.putByte(CLOSE_BRACE);
    return true;
  }

  private link(end: number): void {
    this.inOrderOrDecoder(this.linkInOrder(end));
  }

  private linkInOrder(end: number): boolean {
    this.w.putBytes(TRACE_ID);
    let last = 0;
    let listOpen = false;
    let flags = 0;
    let tag: number;
    while ((tag = this.nextTag(end, LINK_TAGS, last)) > 0) {
      const field = tag >>> 3;
      if (listOpen && field !== 4) {
        this.w.putByte(CLOSE_BRACKET);
        listOpen = false;
      }
      if (last < 2 && field > 2) this.w.putBytes(SPAN_ID_CLOSED);
      switch (tag) {
        case LINK.TRACE_ID: {
          const from = this.r.bytesAt(end);
          this.w.putHex(this.r.buf, from, this.r.pos);
          break;
        }
        case LINK.SPAN_ID: {
          const from = this.r.bytesAt(end);
          this.w.putBytes(SPAN_ID);
          this.w.putHex(this.r.buf, from, this.r.pos);
          this.w.putByte(QUOTE);
          break;
        }
        case LINK.TRACE_STATE:
          this.stringValue(TRACE_STATE, false, end);
          break;
        case LINK.ATTRIBUTES:
          if (listOpen) this.w.putByte(COMMA);
          else this.w.putBytes(ATTRIBUTES.comma);
          listOpen = true;
          this.keyValue(this.r.lengthEnd(end));
          break;
        case LINK.DROPPED_ATTRIBUTES_COUNT:
          this.countField(DROPPED_ATTRIBUTES, this.r.varint(), false);
          break;
        case LINK.FLAGS:
          flags = this.r.fixed32(end);
          break;
      }
      last = field;
    }
    if (tag < 0) return false;
    this.r.checkEnd(end);
    if (listOpen) this.w.putByte(CLOSE_BRACKET);
    if (last < 2) this.w.putBytes(SPAN_ID_CLOSED);
    this.putFlags(flags);
    this.w.putByte(CLOSE_BRACE);
    return true;
  }

  /** `,"status":{…}`, left out when both its fields are defaults. */
  private status(end: number): void {
    const mark = this.w.pos;
    this.w.putBytes(STATUS);
    const fieldsStart = this.w.pos;
    this.inOrderOrDecoder(this.statusInOrder(end));
    if (this.w.pos === fieldsStart) return this.w.rewind(mark);
    this.w.putByte(CLOSE_BRACE);
  }

  private statusInOrder(end: number): boolean {
    let last = 0;
    let first = true;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === STATUS_FIELDS.MESSAGE) {
        if (last !== 0) return false;
        if (this.stringValue(STATUS_MESSAGE, first, end)) first = false;
        last = 2;
      } else if (tag === STATUS_FIELDS.CODE) {
        if (last === 3) return false;
        first = this.countField(STATUS_CODE, this.r.varint() | 0, first);
        last = 3;
      } else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    return true;
  }
}
