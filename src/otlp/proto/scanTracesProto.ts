import { TracepipeError } from '../../errors.js';
import { ProtoReader } from './ProtoReader.js';

/** Thrown (never allocated per call) to abandon the walk over a span; the entry point turns it into undefined. */
const INVALID: unique symbol = Symbol('invalid OTLP protobuf');

/** The decoder's nesting limit for arrays and maps, counted the same way. */
const MAX_DEPTH = 100;

/**
 * The number of spans in the protobuf bytes of an `ExportTraceServiceRequest`, when
 * decodeTracesProto would decode them without an error and without rejecting a span; undefined
 * otherwise (the caller decodes them to get the exact error or partial success). It walks the
 * wire format once, checking every length, wire type, fixed-width field, nested value (up to the
 * decoder's depth limit) and span id, and allocates nothing per span, so a forwarder can pass
 * valid requests on as bytes. Each call walks with a reader of its own.
 *
 * It mirrors decodeTracesProto field by field: a field the decoder reads as a scalar, string or
 * bytes fails there exactly when skipping it by wire type fails, so only sub-messages and span
 * ids need their own case here.
 */
export function scanTracesProto(bytes: Uint8Array): number | undefined {
  return new ProtoScan().scan(bytes);
}

/** One walk over one request. */
class ProtoScan {
  private readonly r = new ProtoReader();
  private depth = 0;

  scan(bytes: Uint8Array): number | undefined {
    this.r.open(bytes);
    this.depth = 0;
    try {
      const end = bytes.length;
      let spans = 0;
      while (this.r.pos < end) {
        const tag = this.r.varint();
        if (tag === 0x0a) spans += this.resourceSpans(this.r.lengthEnd(end));
        else this.r.skip(tag, end);
      }
      return spans;
    } catch (error) {
      if (error === INVALID || (error instanceof TracepipeError && error.code === 'TRACEPIPE_INVALID_OTLP')) return undefined;
      throw error;
    } finally {
      this.r.close();
    }
  }

  /** A message whose fields are all scalars or strings (Status): only its framing can be wrong. */
  private flat(end: number): void {
    while (this.r.pos < end) this.r.skip(this.r.varint(), end);
    this.r.checkEnd(end);
  }

  /** ResourceSpans: 1 = Resource, 2 = ScopeSpans, 3 = schema_url. */
  private resourceSpans(end: number): number {
    let spans = 0;
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x0a) {
        const resourceEnd = this.r.lengthEnd(end);
        while (this.r.pos < resourceEnd) {
          const t = this.r.varint();
          if (t === 0x0a) this.keyValue(this.r.lengthEnd(resourceEnd));
          else this.r.skip(t, resourceEnd);
        }
        this.r.checkEnd(resourceEnd);
      } else if (tag === 0x12) spans += this.scopeSpans(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    return spans;
  }

  /** ScopeSpans: 1 = InstrumentationScope (its attributes are field 3), 2 = Span, 3 = schema_url. */
  private scopeSpans(end: number): number {
    let spans = 0;
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x0a) {
        const scopeEnd = this.r.lengthEnd(end);
        while (this.r.pos < scopeEnd) {
          const t = this.r.varint();
          if (t === 0x1a) this.keyValue(this.r.lengthEnd(scopeEnd));
          else this.r.skip(t, scopeEnd);
        }
        this.r.checkEnd(scopeEnd);
      } else if (tag === 0x12) {
        this.span(this.r.lengthEnd(end));
        spans++;
      } else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    return spans;
  }

  /** A Span, including the checks of DecodeResult's idProblem (a rejected span makes the request fall back). */
  private span(end: number): void {
    let traceIdAt = 0;
    let traceIdEnd = 0;
    let spanIdAt = 0;
    let spanIdEnd = 0;
    let parentLength = 0;
    while (this.r.pos < end) {
      const tag = this.r.varint();
      switch (tag) {
        case 0x0a:
          traceIdEnd = this.r.lengthEnd(end);
          traceIdAt = this.r.pos;
          this.r.seek(traceIdEnd);
          break;
        case 0x12:
          spanIdEnd = this.r.lengthEnd(end);
          spanIdAt = this.r.pos;
          this.r.seek(spanIdEnd);
          break;
        case 0x22: {
          const parentEnd = this.r.lengthEnd(end);
          parentLength = parentEnd - this.r.pos;
          this.r.seek(parentEnd);
          break;
        }
        case 0x4a:
          this.keyValue(this.r.lengthEnd(end));
          break;
        case 0x5a:
          this.event(this.r.lengthEnd(end));
          break;
        case 0x6a:
          this.link(this.r.lengthEnd(end));
          break;
        case 0x7a:
          this.flat(this.r.lengthEnd(end));
          break;
        default:
          this.r.skip(tag, end);
      }
    }
    this.r.checkEnd(end);
    if (this.r.spanIdsProblem(traceIdAt, traceIdEnd, spanIdAt, spanIdEnd, parentLength) !== undefined) throw INVALID;
  }

  /** Span.Event: 3 = attributes. */
  private event(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x1a) this.keyValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  /** Span.Link: 4 = attributes (link ids are passed on whatever their length, as the decoder does). */
  private link(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x22) this.keyValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  /** KeyValue: 2 = AnyValue. */
  private keyValue(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x12) this.anyValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  /** AnyValue: 5 = ArrayValue, 6 = KeyValueList; 4 (double) is checked like any fixed64. */
  private anyValue(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x2a) this.arrayValue(this.r.lengthEnd(end));
      else if (tag === 0x32) this.kvlistValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  private arrayValue(end: number): void {
    if (++this.depth > MAX_DEPTH) throw INVALID;
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x0a) this.anyValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    this.depth--;
  }

  private kvlistValue(end: number): void {
    if (++this.depth > MAX_DEPTH) throw INVALID;
    while (this.r.pos < end) {
      const tag = this.r.varint();
      if (tag === 0x0a) this.keyValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    this.depth--;
  }
}
