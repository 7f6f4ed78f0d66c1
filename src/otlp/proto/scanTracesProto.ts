import { TracepipeError } from '../../errors.js';
import { ANY_VALUE, EVENT, KEY_VALUE, LINK, LIST, MAX_DEPTH, RESOURCE, RESOURCE_SPANS, SCOPE, SCOPE_SPANS, SPAN, STATUS, TRACES_DATA } from '../schema.js';
import { ProtoReader } from './ProtoReader.js';

/** Thrown (never allocated per call) to abandon the walk over a span; the entry point turns it into undefined. */
const INVALID: unique symbol = Symbol('invalid OTLP protobuf');

/**
 * The number of spans in the protobuf bytes of an `ExportTraceServiceRequest`, when
 * decodeTracesProto would decode them without an error and without rejecting a span; undefined
 * otherwise (the caller decodes them to get the exact error or partial success). It walks the
 * wire format once, checking every tag (no field number 0), length, wire type, fixed-width field,
 * string (UTF-8), nested value (up to the decoder's depth limit) and span id, and allocates
 * nothing per span, so a forwarder can pass valid requests on as bytes: bytes it accepts are
 * bytes a protobuf decoder downstream accepts too. Each call walks with a reader of its own.
 *
 * It mirrors decodeTracesProto field by field: a field the decoder reads as a scalar or bytes
 * fails there exactly when skipping it by wire type fails, so only sub-messages, strings and
 * span ids need their own case here. A property test holds the two (and protobufjs) to it.
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
        const tag = this.r.tag();
        if (tag === TRACES_DATA.RESOURCE_SPANS) spans += this.resourceSpans(this.r.lengthEnd(end));
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

  private resourceSpans(end: number): number {
    let spans = 0;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === RESOURCE_SPANS.RESOURCE) {
        const resourceEnd = this.r.lengthEnd(end);
        while (this.r.pos < resourceEnd) {
          const t = this.r.tag();
          if (t === RESOURCE.ATTRIBUTES) this.keyValue(this.r.lengthEnd(resourceEnd));
          else this.r.skip(t, resourceEnd);
        }
        this.r.checkEnd(resourceEnd);
      } else if (tag === RESOURCE_SPANS.SCOPE_SPANS) spans += this.scopeSpans(this.r.lengthEnd(end));
      else if (tag === RESOURCE_SPANS.SCHEMA_URL) this.r.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    return spans;
  }

  private scopeSpans(end: number): number {
    let spans = 0;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === SCOPE_SPANS.SCOPE) {
        const scopeEnd = this.r.lengthEnd(end);
        while (this.r.pos < scopeEnd) {
          const t = this.r.tag();
          if (t === SCOPE.ATTRIBUTES) this.keyValue(this.r.lengthEnd(scopeEnd));
          else if (t === SCOPE.NAME || t === SCOPE.VERSION) this.r.stringAt(scopeEnd);
          else this.r.skip(t, scopeEnd);
        }
        this.r.checkEnd(scopeEnd);
      } else if (tag === SCOPE_SPANS.SPANS) {
        this.span(this.r.lengthEnd(end));
        spans++;
      } else if (tag === SCOPE_SPANS.SCHEMA_URL) this.r.stringAt(end);
      else this.r.skip(tag, end);
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
      const tag = this.r.tag();
      switch (tag) {
        case SPAN.TRACE_ID:
          traceIdEnd = this.r.lengthEnd(end);
          traceIdAt = this.r.pos;
          this.r.seek(traceIdEnd);
          break;
        case SPAN.SPAN_ID:
          spanIdEnd = this.r.lengthEnd(end);
          spanIdAt = this.r.pos;
          this.r.seek(spanIdEnd);
          break;
        case SPAN.PARENT_SPAN_ID: {
          const parentEnd = this.r.lengthEnd(end);
          parentLength = parentEnd - this.r.pos;
          this.r.seek(parentEnd);
          break;
        }
        case SPAN.TRACE_STATE:
        case SPAN.NAME:
          this.r.stringAt(end);
          break;
        case SPAN.ATTRIBUTES:
          this.keyValue(this.r.lengthEnd(end));
          break;
        case SPAN.EVENTS:
          this.event(this.r.lengthEnd(end));
          break;
        case SPAN.LINKS:
          this.link(this.r.lengthEnd(end));
          break;
        case SPAN.STATUS:
          this.status(this.r.lengthEnd(end));
          break;
        default:
          this.r.skip(tag, end);
      }
    }
    this.r.checkEnd(end);
    if (this.r.spanIdsProblem(traceIdAt, traceIdEnd, spanIdAt, spanIdEnd, parentLength) !== undefined) throw INVALID;
  }

  private status(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === STATUS.MESSAGE) this.r.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  private event(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === EVENT.ATTRIBUTES) this.keyValue(this.r.lengthEnd(end));
      else if (tag === EVENT.NAME) this.r.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  /** Link ids are passed on whatever their length, as the decoder does. */
  private link(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === LINK.ATTRIBUTES) this.keyValue(this.r.lengthEnd(end));
      else if (tag === LINK.TRACE_STATE) this.r.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  private keyValue(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === KEY_VALUE.VALUE) this.anyValue(this.r.lengthEnd(end));
      else if (tag === KEY_VALUE.KEY) this.r.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  /** A double is checked like any fixed64. */
  private anyValue(end: number): void {
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === ANY_VALUE.ARRAY_VALUE) this.list(this.r.lengthEnd(end), false);
      else if (tag === ANY_VALUE.KVLIST_VALUE) this.list(this.r.lengthEnd(end), true);
      else if (tag === ANY_VALUE.STRING_VALUE) this.r.stringAt(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
  }

  /** An ArrayValue (AnyValues) or a KeyValueList (KeyValues), nested no deeper than the decoder takes. */
  private list(end: number, keyValues: boolean): void {
    if (++this.depth > MAX_DEPTH) throw INVALID;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag !== LIST.VALUES) this.r.skip(tag, end);
      else if (keyValues) this.keyValue(this.r.lengthEnd(end));
      else this.anyValue(this.r.lengthEnd(end));
    }
    this.r.checkEnd(end);
    this.depth--;
  }
}
