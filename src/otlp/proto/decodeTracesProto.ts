import type { Attributes, HrTime, SpanStatus } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace';
import { recordRejection, type DecodeResult } from '../DecodeResult.js';
import { fixed64ToHrTime } from '../hrTime.js';
import { OtlpDouble } from '../OtlpDouble.js';
import { OtlpResource } from '../OtlpResource.js';
import { OtlpSpan, type OtlpLink, type OtlpScope } from '../OtlpSpan.js';
import { OtlpTraceState } from '../OtlpTraceState.js';
import { ProtoReader } from './ProtoReader.js';
import { setAttribute } from '../setAttribute.js';
import { ANY_VALUE, EVENT, KEY_VALUE, LINK, LIST, MAX_DEPTH, RESOURCE, RESOURCE_SPANS, SCOPE, SPAN, STATUS, TRACES_DATA } from '../schema.js';

/**
 * Recently decoded short ASCII strings, by a hash of their length and a few sampled bytes.
 * Attribute keys and many values repeat in every span; returning the same string instance
 * skips the native decode and lets V8 reuse the interned key when it builds each
 * attributes object. A hit is confirmed byte by byte; only ASCII strings are cached, so a
 * match is always the exact decoding.
 */
const MAX_CACHED_LENGTH = 48;
const CACHE_SIZE = 4096;

/** Position pairs [start, end) of sub-messages read after their parent's other fields. */
type Ranges = number[];

const UNSET_STATUS: SpanStatus = Object.freeze({ code: 0 });
const ZERO_TIME: HrTime = Object.freeze([0, 0]) as unknown as HrTime;

/**
 * Spans from the protobuf bytes of an `ExportTraceServiceRequest` or `TracesData` (same
 * layout). A direct wire reader: it walks the bytes once and builds OtlpSpans, with no
 * intermediate message objects (several times faster than protobufjs decode + convert).
 * Unknown fields are skipped, as protobuf requires. A span with unusable ids is
 * rejected and counted; bytes that are not a valid message throw TRACEPIPE_INVALID_OTLP.
 */
export function decodeTracesProto(bytes: Uint8Array): DecodeResult {
  return new ProtoTraceDecoder().decode(bytes);
}

/**
 * The decoder as an object that a receiver keeps, so that its string cache (CACHE_SIZE strings
 * of at most MAX_CACHED_LENGTH characters: bounded) carries over from request to request.
 */
export class ProtoTraceDecoder {
  private readonly r = new ProtoReader();
  private readonly stringCache: string[] = new Array<string>(CACHE_SIZE).fill('');
  private depth = 0;

  decode(bytes: Uint8Array): DecodeResult {
    this.r.open(bytes);
    this.depth = 0;
    const result: DecodeResult = { spans: [], rejected: 0, errors: [] };
    try {
      const end = this.r.buf.length;
      let index = 0;
      while (this.r.pos < end) {
        const tag = this.r.tag();
        if (tag === TRACES_DATA.RESOURCE_SPANS) this.resourceSpans(this.r.lengthEnd(end), index++, result);
        else this.r.skip(tag, end);
      }
    } finally {
      this.r.close();
    }
    return result;
  }

  private string(end: number): string {
    const at = this.r.bytesAt(end);
    if (this.r.pos - at <= MAX_CACHED_LENGTH) return this.shortString(at, this.r.pos);
    if (!this.r.utf8(at, this.r.pos)) this.r.fail('string field is not UTF-8');
    return this.r.buf.toString('utf8', at, this.r.pos);
  }

  private shortString(from: number, to: number): string {
    const length = to - from;
    if (length === 0) return '';
    const b = this.r.buf;
    let hash = Math.imul(length ^ b[from]!, 0x01000193);
    hash = Math.imul(hash ^ b[to - 1]!, 0x01000193);
    hash = Math.imul(hash ^ b[from + (length >> 1)]!, 0x01000193);
    hash = Math.imul(hash ^ b[from + (length >> 2)]!, 0x01000193);
    hash = Math.imul(hash ^ b[to - 1 - (length >> 2)]!, 0x01000193);
    const slot = (hash ^ (hash >>> 13)) & (CACHE_SIZE - 1);
    const cached = this.stringCache[slot]!;
    if (cached.length === length) {
      let i = 0;
      while (i < length && cached.charCodeAt(i) === b[from + i]) i++;
      if (i === length) return cached;
    }
    for (let i = from; i < to; i++) {
      if (b[i]! < 0x80) continue;
      if (!this.r.utf8(from, to)) this.r.fail('string field is not UTF-8');
      return b.toString('utf8', from, to);
    }
    const text = b.latin1Slice(from, to);
    this.stringCache[slot] = text;
    return text;
  }

  private time(end: number): HrTime {
    const at = this.r.fixed64At(end);
    return fixed64ToHrTime(this.r.view.getUint32(at, true), this.r.view.getUint32(at + 4, true));
  }

  /**
   * The layout ResourceSpans and ScopeSpans share: 1 = the resource or scope (read by `header`,
   * which gets where it ends), 2 = the children (their ranges go into `children`, read later,
   * once the header is known), 3 = schema_url, which this returns.
   */
  private envelope(end: number, header: (headerEnd: number) => void, children: Ranges): string {
    let schemaUrl = '';
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === RESOURCE_SPANS.RESOURCE) {
        const headerEnd = this.r.lengthEnd(end);
        header(headerEnd);
        this.r.checkEnd(headerEnd);
      } else if (tag === RESOURCE_SPANS.SCOPE_SPANS) children.push(this.r.bytesAt(end), this.r.pos);
      else if (tag === RESOURCE_SPANS.SCHEMA_URL) schemaUrl = this.string(end);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    return schemaUrl;
  }

  private resourceSpans(end: number, index: number, result: DecodeResult): void {
    const attributes: Attributes = {};
    let dropped = 0;
    const scopes: Ranges = [];
    const schemaUrl = this.envelope(
      end,
      (resourceEnd) => {
        while (this.r.pos < resourceEnd) {
          const t = this.r.tag();
          if (t === RESOURCE.ATTRIBUTES) this.keyValue(this.r.lengthEnd(resourceEnd), attributes);
          else if (t === RESOURCE.DROPPED_ATTRIBUTES_COUNT) dropped = this.r.varint();
          else this.r.skip(t, resourceEnd);
        }
      },
      scopes,
    );
    const resource = new OtlpResource(attributes, schemaUrl || undefined, dropped);
    for (let i = 0; i < scopes.length; i += 2) {
      this.r.seek(scopes[i]!);
      this.scopeSpans(scopes[i + 1]!, resource, index, i >> 1, result);
    }
    this.r.seek(end);
  }

  private scopeSpans(end: number, resource: OtlpResource, r: number, s: number, result: DecodeResult): void {
    let name = '';
    let version = '';
    let attributes: Attributes | undefined;
    let dropped = 0;
    const spans: Ranges = [];
    const schemaUrl = this.envelope(
      end,
      (scopeEnd) => {
        while (this.r.pos < scopeEnd) {
          const t = this.r.tag();
          if (t === SCOPE.NAME) name = this.string(scopeEnd);
          else if (t === SCOPE.VERSION) version = this.string(scopeEnd);
          else if (t === SCOPE.ATTRIBUTES) this.keyValue(this.r.lengthEnd(scopeEnd), (attributes ??= {}));
          else if (t === SCOPE.DROPPED_ATTRIBUTES_COUNT) dropped = this.r.varint();
          else this.r.skip(t, scopeEnd);
        }
      },
      spans,
    );
    const scope: OtlpScope = {
      name,
      version: version || undefined,
      schemaUrl: schemaUrl || undefined,
      attributes,
      droppedAttributesCount: dropped,
    };
    for (let i = 0; i < spans.length; i += 2) {
      this.r.seek(spans[i]!);
      this.span(spans[i + 1]!, resource, scope, result, r, s, i >> 1);
    }
    this.r.seek(end);
  }

  private span(
    end: number,
    resource: OtlpResource,
    scope: OtlpScope,
    result: DecodeResult,
    r: number,
    s: number,
    index: number,
  ): void {
    let traceIdAt = 0;
    let traceIdEnd = 0;
    let spanIdAt = 0;
    let spanIdEnd = 0;
    let parentAt = 0;
    let parentEnd = 0;
    let traceState = '';
    let flags = 0;
    let name = '';
    let kind = 0;
    let startTime = ZERO_TIME;
    let endTime = ZERO_TIME;
    const attributes: Attributes = {};
    let droppedAttributes = 0;
    const events: TimedEvent[] = [];
    let droppedEvents = 0;
    const links: OtlpLink[] = [];
    let droppedLinks = 0;
    let status = UNSET_STATUS;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      switch (tag) {
        case SPAN.TRACE_ID:
          traceIdAt = this.r.bytesAt(end);
          traceIdEnd = this.r.pos;
          break;
        case SPAN.SPAN_ID:
          spanIdAt = this.r.bytesAt(end);
          spanIdEnd = this.r.pos;
          break;
        case SPAN.TRACE_STATE:
          traceState = this.string(end);
          break;
        case SPAN.PARENT_SPAN_ID:
          parentAt = this.r.bytesAt(end);
          parentEnd = this.r.pos;
          break;
        case SPAN.NAME:
          name = this.string(end);
          break;
        case SPAN.KIND:
          kind = this.r.varint() | 0;
          break;
        case SPAN.START_TIME_UNIX_NANO:
          startTime = this.time(end);
          break;
        case SPAN.END_TIME_UNIX_NANO:
          endTime = this.time(end);
          break;
        case SPAN.ATTRIBUTES:
          this.keyValue(this.r.lengthEnd(end), attributes);
          break;
        case SPAN.DROPPED_ATTRIBUTES_COUNT:
          droppedAttributes = this.r.varint();
          break;
        case SPAN.EVENTS:
          events.push(this.event(this.r.lengthEnd(end)));
          break;
        case SPAN.DROPPED_EVENTS_COUNT:
          droppedEvents = this.r.varint();
          break;
        case SPAN.LINKS:
          links.push(this.link(this.r.lengthEnd(end)));
          break;
        case SPAN.DROPPED_LINKS_COUNT:
          droppedLinks = this.r.varint();
          break;
        case SPAN.STATUS:
          status = this.spanStatus(this.r.lengthEnd(end));
          break;
        case SPAN.FLAGS:
          flags = this.r.fixed32(end);
          break;
        default:
          this.r.skip(tag, end);
      }
    }
    this.r.checkEnd(end);
    const problem = this.r.spanIdsProblem(traceIdAt, traceIdEnd, spanIdAt, spanIdEnd, parentEnd - parentAt);
    if (problem !== undefined) {
      recordRejection(result, `resource_spans[${r}].scope_spans[${s}].spans[${index}]: ${problem}`);
      return;
    }
    result.spans.push(
      new OtlpSpan({
        traceId: this.r.buf.toString('hex', traceIdAt, traceIdEnd),
        spanId: this.r.buf.toString('hex', spanIdAt, spanIdEnd),
        parentSpanId: parentEnd === parentAt ? '' : this.r.buf.toString('hex', parentAt, parentEnd),
        traceState: traceState === '' ? undefined : new OtlpTraceState(traceState),
        flags,
        name,
        kind: kind - 1,
        startTime,
        endTime,
        attributes,
        droppedAttributesCount: droppedAttributes,
        events,
        droppedEventsCount: droppedEvents,
        links,
        droppedLinksCount: droppedLinks,
        status,
        resource,
        instrumentationScope: scope,
      }),
    );
  }

  private event(end: number): TimedEvent {
    let eventTime = ZERO_TIME;
    let name = '';
    let attributes: Attributes | undefined;
    let dropped = 0;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === EVENT.TIME_UNIX_NANO) eventTime = this.time(end);
      else if (tag === EVENT.NAME) name = this.string(end);
      else if (tag === EVENT.ATTRIBUTES) this.keyValue(this.r.lengthEnd(end), (attributes ??= {}));
      else if (tag === EVENT.DROPPED_ATTRIBUTES_COUNT) dropped = this.r.varint();
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    return { time: eventTime, name, attributes: attributes ?? {}, droppedAttributesCount: dropped };
  }

  private link(end: number): OtlpLink {
    let traceId = '';
    let spanId = '';
    let traceState = '';
    let attributes: Attributes | undefined;
    let dropped = 0;
    let flags = 0;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      switch (tag) {
        case LINK.TRACE_ID:
          traceId = this.hex(end);
          break;
        case LINK.SPAN_ID:
          spanId = this.hex(end);
          break;
        case LINK.TRACE_STATE:
          traceState = this.string(end);
          break;
        case LINK.ATTRIBUTES:
          this.keyValue(this.r.lengthEnd(end), (attributes ??= {}));
          break;
        case LINK.DROPPED_ATTRIBUTES_COUNT:
          dropped = this.r.varint();
          break;
        case LINK.FLAGS:
          flags = this.r.fixed32(end);
          break;
        default:
          this.r.skip(tag, end);
      }
    }
    this.r.checkEnd(end);
    return {
      context: {
        traceId,
        spanId,
        traceFlags: flags & 0xff,
        isRemote: (flags & 0x200) !== 0,
        traceState: traceState === '' ? undefined : new OtlpTraceState(traceState),
      },
      attributes: attributes ?? {},
      droppedAttributesCount: dropped,
      flags,
    };
  }

  private hex(end: number): string {
    const at = this.r.bytesAt(end);
    return this.r.buf.toString('hex', at, this.r.pos);
  }

  private spanStatus(end: number): SpanStatus {
    let message = '';
    let code = 0;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === STATUS.MESSAGE) message = this.string(end);
      else if (tag === STATUS.CODE) code = this.r.varint() | 0;
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    return message === '' ? { code } : { code, message };
  }

  /** One KeyValue into `into` (a later duplicate key wins, as in a JS object). */
  private keyValue(end: number, into: Record<string, unknown>): void {
    let key = '';
    let value: unknown = null;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === KEY_VALUE.KEY) key = this.string(end);
      else if (tag === KEY_VALUE.VALUE) value = this.anyValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    setAttribute(into, key, value);
  }

  /** An AnyValue's body: the member of the oneof that is set, or null for the empty value. */
  private anyValue(end: number): unknown {
    let value: unknown = null;
    while (this.r.pos < end) {
      const tag = this.r.tag();
      switch (tag) {
        case ANY_VALUE.STRING_VALUE:
          value = this.string(end);
          break;
        case ANY_VALUE.BOOL_VALUE:
          value = this.r.varint() !== 0;
          break;
        case ANY_VALUE.INT_VALUE:
          value = this.r.int64();
          break;
        case ANY_VALUE.DOUBLE_VALUE: {
          const d = this.r.double(end);
          value = Number.isInteger(d) ? new OtlpDouble(d) : d;
          break;
        }
        case ANY_VALUE.ARRAY_VALUE:
          value = this.arrayValue(this.r.lengthEnd(end));
          break;
        case ANY_VALUE.KVLIST_VALUE:
          value = this.kvlistValue(this.r.lengthEnd(end));
          break;
        case ANY_VALUE.BYTES_VALUE: {
          const at = this.r.bytesAt(end);
          value = new Uint8Array(this.r.buf.subarray(at, this.r.pos));
          break;
        }
        default:
          this.r.skip(tag, end);
      }
    }
    this.r.checkEnd(end);
    return value;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.r.fail(`values nested more than ${MAX_DEPTH} deep`);
  }

  private arrayValue(end: number): unknown[] {
    this.enter();
    const values: unknown[] = [];
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === LIST.VALUES) values.push(this.anyValue(this.r.lengthEnd(end)));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    this.depth--;
    return values;
  }

  private kvlistValue(end: number): Record<string, unknown> {
    this.enter();
    const map: Record<string, unknown> = {};
    while (this.r.pos < end) {
      const tag = this.r.tag();
      if (tag === LIST.VALUES) this.keyValue(this.r.lengthEnd(end), map);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    this.depth--;
    return map;
  }
}
