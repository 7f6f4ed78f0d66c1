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

/** Arrays and maps nest; a limit keeps hostile input from exhausting the stack (protobuf's default is 100). */
const MAX_DEPTH = 100;

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
        const tag = this.r.varint();
        if (tag === 0x0a) this.resourceSpans(this.r.lengthEnd(end), index++, result);
        else this.r.skip(tag, end);
      }
    } finally {
      this.r.close();
    }
    return result;
  }

  private string(end: number): string {
    const at = this.r.bytesAt(end);
    return this.r.pos - at <= MAX_CACHED_LENGTH ? this.shortString(at, this.r.pos) : this.r.buf.toString('utf8', at, this.r.pos);
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
    for (let i = from; i < to; i++) if (b[i]! >= 0x80) return b.toString('utf8', from, to);
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
      const tag = this.r.varint();
      if (tag === 0x0a) {
        const headerEnd = this.r.lengthEnd(end);
        header(headerEnd);
        this.r.checkEnd(headerEnd);
      } else if (tag === 0x12) children.push(this.r.bytesAt(end), this.r.pos);
      else if (tag === 0x1a) schemaUrl = this.string(end);
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
          const t = this.r.varint();
          if (t === 0x0a) this.keyValue(this.r.lengthEnd(resourceEnd), attributes);
          else if (t === 0x10) dropped = this.r.varint();
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
          const t = this.r.varint();
          if (t === 0x0a) name = this.string(scopeEnd);
          else if (t === 0x12) version = this.string(scopeEnd);
          else if (t === 0x1a) this.keyValue(this.r.lengthEnd(scopeEnd), (attributes ??= {}));
          else if (t === 0x20) dropped = this.r.varint();
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
      const tag = this.r.varint();
      switch (tag) {
        case 0x0a:
          traceIdAt = this.r.bytesAt(end);
          traceIdEnd = this.r.pos;
          break;
        case 0x12:
          spanIdAt = this.r.bytesAt(end);
          spanIdEnd = this.r.pos;
          break;
        case 0x1a:
          traceState = this.string(end);
          break;
        case 0x22:
          parentAt = this.r.bytesAt(end);
          parentEnd = this.r.pos;
          break;
        case 0x2a:
          name = this.string(end);
          break;
        case 0x30:
          kind = this.r.varint() | 0;
          break;
        case 0x39:
          startTime = this.time(end);
          break;
        case 0x41:
          endTime = this.time(end);
          break;
        case 0x4a:
          this.keyValue(this.r.lengthEnd(end), attributes);
          break;
        case 0x50:
          droppedAttributes = this.r.varint();
          break;
        case 0x5a:
          events.push(this.event(this.r.lengthEnd(end)));
          break;
        case 0x60:
          droppedEvents = this.r.varint();
          break;
        case 0x6a:
          links.push(this.link(this.r.lengthEnd(end)));
          break;
        case 0x70:
          droppedLinks = this.r.varint();
          break;
        case 0x7a:
          status = this.spanStatus(this.r.lengthEnd(end));
          break;
        case 0x85: // field 16 (flags), this.r.fixed32
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
      const tag = this.r.varint();
      if (tag === 0x09) eventTime = this.time(end);
      else if (tag === 0x12) name = this.string(end);
      else if (tag === 0x1a) this.keyValue(this.r.lengthEnd(end), (attributes ??= {}));
      else if (tag === 0x20) dropped = this.r.varint();
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
      const tag = this.r.varint();
      switch (tag) {
        case 0x0a:
          traceId = this.hex(end);
          break;
        case 0x12:
          spanId = this.hex(end);
          break;
        case 0x1a:
          traceState = this.string(end);
          break;
        case 0x22:
          this.keyValue(this.r.lengthEnd(end), (attributes ??= {}));
          break;
        case 0x28:
          dropped = this.r.varint();
          break;
        case 0x35:
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
      const tag = this.r.varint();
      if (tag === 0x12) message = this.string(end);
      else if (tag === 0x18) code = this.r.varint() | 0;
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
      const tag = this.r.varint();
      if (tag === 0x0a) key = this.string(end);
      else if (tag === 0x12) value = this.anyValue(this.r.lengthEnd(end));
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    setAttribute(into, key, value);
  }

  /** An AnyValue's body: the member of the oneof that is set, or null for the empty value. */
  private anyValue(end: number): unknown {
    let value: unknown = null;
    while (this.r.pos < end) {
      const tag = this.r.varint();
      switch (tag) {
        case 0x0a:
          value = this.string(end);
          break;
        case 0x10:
          value = this.r.varint() !== 0;
          break;
        case 0x18:
          value = this.r.int64();
          break;
        case 0x21: {
          const d = this.r.double(end);
          value = Number.isInteger(d) ? new OtlpDouble(d) : d;
          break;
        }
        case 0x2a:
          value = this.arrayValue(this.r.lengthEnd(end));
          break;
        case 0x32:
          value = this.kvlistValue(this.r.lengthEnd(end));
          break;
        case 0x3a: {
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
      const tag = this.r.varint();
      if (tag === 0x0a) values.push(this.anyValue(this.r.lengthEnd(end)));
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
      const tag = this.r.varint();
      if (tag === 0x0a) this.keyValue(this.r.lengthEnd(end), map);
      else this.r.skip(tag, end);
    }
    this.r.checkEnd(end);
    this.depth--;
    return map;
  }
}
