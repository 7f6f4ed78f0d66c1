import { TracepipeError } from '../../errors.js';
import { checkEnd, close, lengthEnd, open, pos, seek, skip, spanIdsProblem, varint } from './ProtoReader.js';

/**
 * The number of spans in the protobuf bytes of an `ExportTraceServiceRequest`, when
 * decodeTracesProto would decode them without an error and without rejecting a span; undefined
 * otherwise (the caller decodes them to get the exact error or partial success). It walks the
 * wire format once, checking every length, wire type, fixed-width field, nested value (up to the
 * decoder's depth limit) and span id, and allocates nothing per span, so a forwarder can pass
 * valid requests on as bytes.
 *
 * It mirrors decodeTracesProto field by field: a field the decoder reads as a scalar, string or
 * bytes fails there exactly when skipping it by wire type fails, so only sub-messages and span
 * ids need their own case here.
 */
export function scanTracesProto(bytes: Uint8Array): number | undefined {
  open(bytes);
  depth = 0;
  try {
    const end = bytes.length;
    let spans = 0;
    while (pos < end) {
      const tag = varint();
      if (tag === 0x0a) spans += resourceSpans(lengthEnd(end));
      else skip(tag, end);
    }
    return spans;
  } catch (error) {
    if (error === INVALID || (error instanceof TracepipeError && error.code === 'TRACEPIPE_INVALID_OTLP')) return undefined;
    throw error;
  } finally {
    close();
  }
}

/** Thrown (never allocated per call) to abandon the walk over a span; the entry point turns it into undefined. */
const INVALID: unique symbol = Symbol('invalid OTLP protobuf');

/** A message whose fields are all scalars or strings (Status): only its framing can be wrong. */
function flat(end: number): void {
  while (pos < end) skip(varint(), end);
  checkEnd(end);
}

/** ResourceSpans: 1 = Resource, 2 = ScopeSpans, 3 = schema_url. */
function resourceSpans(end: number): number {
  let spans = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) {
      const resourceEnd = lengthEnd(end);
      while (pos < resourceEnd) {
        const t = varint();
        if (t === 0x0a) keyValue(lengthEnd(resourceEnd));
        else skip(t, resourceEnd);
      }
      checkEnd(resourceEnd);
    } else if (tag === 0x12) spans += scopeSpans(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
  return spans;
}

/** ScopeSpans: 1 = InstrumentationScope (its attributes are field 3), 2 = Span, 3 = schema_url. */
function scopeSpans(end: number): number {
  let spans = 0;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) {
      const scopeEnd = lengthEnd(end);
      while (pos < scopeEnd) {
        const t = varint();
        if (t === 0x1a) keyValue(lengthEnd(scopeEnd));
        else skip(t, scopeEnd);
      }
      checkEnd(scopeEnd);
    } else if (tag === 0x12) {
      span(lengthEnd(end));
      spans++;
    } else skip(tag, end);
  }
  checkEnd(end);
  return spans;
}

/** A Span, including the checks of DecodeResult's idProblem (a rejected span makes the request fall back). */
function span(end: number): void {
  let traceIdAt = 0;
  let traceIdEnd = 0;
  let spanIdAt = 0;
  let spanIdEnd = 0;
  let parentLength = 0;
  while (pos < end) {
    const tag = varint();
    switch (tag) {
      case 0x0a:
        traceIdEnd = lengthEnd(end);
        traceIdAt = pos;
        seek(traceIdEnd);
        break;
      case 0x12:
        spanIdEnd = lengthEnd(end);
        spanIdAt = pos;
        seek(spanIdEnd);
        break;
      case 0x22: {
        const parentEnd = lengthEnd(end);
        parentLength = parentEnd - pos;
        seek(parentEnd);
        break;
      }
      case 0x4a:
        keyValue(lengthEnd(end));
        break;
      case 0x5a:
        event(lengthEnd(end));
        break;
      case 0x6a:
        link(lengthEnd(end));
        break;
      case 0x7a:
        flat(lengthEnd(end));
        break;
      default:
        skip(tag, end);
    }
  }
  checkEnd(end);
  if (spanIdsProblem(traceIdAt, traceIdEnd, spanIdAt, spanIdEnd, parentLength) !== undefined) throw INVALID;
}

/** Span.Event: 3 = attributes. */
function event(end: number): void {
  while (pos < end) {
    const tag = varint();
    if (tag === 0x1a) keyValue(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
}

/** Span.Link: 4 = attributes (link ids are passed on whatever their length, as the decoder does). */
function link(end: number): void {
  while (pos < end) {
    const tag = varint();
    if (tag === 0x22) keyValue(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
}

/** KeyValue: 2 = AnyValue. */
function keyValue(end: number): void {
  while (pos < end) {
    const tag = varint();
    if (tag === 0x12) anyValue(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
}

/** AnyValue: 5 = ArrayValue, 6 = KeyValueList; 4 (double) is checked like any fixed64. */
function anyValue(end: number): void {
  while (pos < end) {
    const tag = varint();
    if (tag === 0x2a) arrayValue(lengthEnd(end));
    else if (tag === 0x32) kvlistValue(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
}

/** The decoder's nesting limit for arrays and maps, counted the same way. */
const MAX_DEPTH = 100;
let depth = 0;

function arrayValue(end: number): void {
  if (++depth > MAX_DEPTH) throw INVALID;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) anyValue(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
  depth--;
}

function kvlistValue(end: number): void {
  if (++depth > MAX_DEPTH) throw INVALID;
  while (pos < end) {
    const tag = varint();
    if (tag === 0x0a) keyValue(lengthEnd(end));
    else skip(tag, end);
  }
  checkEnd(end);
  depth--;
}
