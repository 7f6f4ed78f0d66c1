import type { Attributes, HrTime, Link } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { groupSpans } from '../groupSpans.js';
import { OtlpDouble } from '../OtlpDouble.js';
import type { OtlpScope } from '../OtlpSpan.js';
import { linkFlags, spanFlags } from '../spanFlags.js';
import { TraceStateText } from '../TraceStateText.js';
import { ProtoWriter } from './ProtoWriter.js';
import { CompactSpan } from '../../span/CompactSpan.js';
import { ANY_VALUE, EVENT, KEY_VALUE, LINK, LIST, MAX_DEPTH, RESOURCE, RESOURCE_SPANS, SCOPE, SCOPE_SPANS, SPAN, STATUS, TRACES_DATA } from '../schema.js';

function hasKeys(attributes: Attributes): boolean {
  for (const _ in attributes) return true;
  return false;
}

const MAX_INT64 = 2 ** 63;
const TWO_POW_32 = 4294967296;

/**
 * Ended spans as the protobuf bytes of an `ExportTraceServiceRequest` (the same layout as
 * `TracesData`), written straight into the encoder's own ProtoWriter: no message objects, fields
 * in field-number order, defaults left out. A nested message reserves room for its length and
 * slides its body when the length needs a different number of bytes, so the output is
 * canonical. An exporter creates one and keeps it.
 */
export class ProtoTraceEncoder {
  private readonly w = new ProtoWriter();
  private readonly traceStates = new TraceStateText();
  /**
   * Resources and scopes recur in every batch and do not change (a resource once settled): their
   * bytes are kept per object, in WeakMaps, so the cache lives only as long as those objects.
   */
  private readonly resourceCache = new WeakMap<Resource, Uint8Array>();
  private readonly scopeCache = new WeakMap<InstrumentationScope, Uint8Array>();
  private depth = 0;

  encode(spans: readonly ReadableSpan[]): Buffer {
    this.w.begin();
    this.depth = 0;
    const groups = groupSpans(spans);
    for (const group of groups) {
      const resourceSpans = this.w.openField(TRACES_DATA.RESOURCE_SPANS, 3);
      const resource = group.resource;
      this.writeCached(this.resourceCache, resource, this.writeResource, resource.asyncAttributesPending !== true);
      for (const scopeGroup of group.scopes) {
        const scopeSpans = this.w.openField(RESOURCE_SPANS.SCOPE_SPANS, 3);
        this.writeCached(this.scopeCache, scopeGroup.scope, this.writeScope, true);
        const list = scopeGroup.spans;
        for (let i = 0; i < list.length; i++) this.writeSpan(list[i]!);
        if (scopeGroup.scope.schemaUrl) this.w.writeString(SCOPE_SPANS.SCHEMA_URL, scopeGroup.scope.schemaUrl);
        this.w.close(scopeSpans, 3);
      }
      if (group.resource.schemaUrl) this.w.writeString(RESOURCE_SPANS.SCHEMA_URL, group.resource.schemaUrl);
      this.w.close(resourceSpans, 3);
    }
    return this.w.take();
  }

  /** Copies the bytes `write` produced for `key` before, or runs it (keeping a copy when `cacheable`). */
  private writeCached<K extends object>(cache: WeakMap<K, Uint8Array>, key: K, write: (this: ProtoTraceEncoder, key: K) => void, cacheable: boolean): void {
    const cached = cache.get(key);
    if (cached !== undefined) {
      this.w.writeRaw(cached);
      return;
    }
    const from = this.w.pos;
    write.call(this, key);
    if (cacheable) cache.set(key, Uint8Array.prototype.slice.call(this.w.buf, from, this.w.pos));
  }

  /** ResourceSpans.resource. */
  private writeResource(resource: Resource): void {
    const dropped = (resource as { droppedAttributesCount?: number }).droppedAttributesCount;
    if (!hasKeys(resource.attributes) && !dropped) return;
    const body = this.w.openField(RESOURCE_SPANS.RESOURCE, 2);
    this.writeAttributes(RESOURCE.ATTRIBUTES, resource.attributes);
    this.w.writeCount(RESOURCE.DROPPED_ATTRIBUTES_COUNT, dropped);
    this.w.close(body, 2);
  }

  /** ScopeSpans.scope. */
  private writeScope(scope: OtlpScope): void {
    if (!scope.name && !scope.version && !(scope.attributes && hasKeys(scope.attributes)) && !scope.droppedAttributesCount) return;
    const body = this.w.openField(SCOPE_SPANS.SCOPE, 2);
    if (scope.name) this.w.writeString(SCOPE.NAME, scope.name);
    if (scope.version) this.w.writeString(SCOPE.VERSION, scope.version);
    if (scope.attributes !== undefined) this.writeAttributes(SCOPE.ATTRIBUTES, scope.attributes);
    this.w.writeCount(SCOPE.DROPPED_ATTRIBUTES_COUNT, scope.droppedAttributesCount);
    this.w.close(body, 2);
  }

  private writeSpan(span: ReadableSpan): void {
    const ctx = span.spanContext();
    const body = this.w.openField(SCOPE_SPANS.SPANS, 2);
    this.w.writeId(SPAN.TRACE_ID, ctx.traceId);
    this.w.writeId(SPAN.SPAN_ID, ctx.spanId);
    const traceState = this.traceStates.text(ctx.traceState);
    if (traceState) this.w.writeString(SPAN.TRACE_STATE, traceState);
    const parentId = span.parentSpanContext?.spanId;
    if (parentId) this.w.writeId(SPAN.PARENT_SPAN_ID, parentId);
    if (span.name) this.w.writeString(SPAN.NAME, span.name);
    const kind = span.kind == null ? 0 : span.kind + 1;
    if (kind !== 0) {
      this.w.ensure(11);
      this.w.buf[this.w.pos++] = SPAN.KIND;
      this.w.int32(kind);
    }
    this.w.writeTime(SPAN.START_TIME_UNIX_NANO, span.startTime);
    this.w.writeTime(SPAN.END_TIME_UNIX_NANO, span.endTime);
    if (span instanceof CompactSpan) {
      // Read from its arrays: no attributes object is built for it.
      const recorded = span.recorded;
      for (let i = 0; i < recorded.size; i++) this.writeKeyValue(SPAN.ATTRIBUTES, recorded.keyAt(i), recorded.valueAt(i));
    } else this.writeAttributes(SPAN.ATTRIBUTES, span.attributes);
    this.w.writeCount(SPAN.DROPPED_ATTRIBUTES_COUNT, span.droppedAttributesCount);
    const events = span.events;
    for (let i = 0; i < events.length; i++) this.writeEvent(events[i]!);
    this.w.writeCount(SPAN.DROPPED_EVENTS_COUNT, span.droppedEventsCount);
    const links = span.links;
    for (let i = 0; i < links.length; i++) this.writeLink(links[i]!);
    this.w.writeCount(SPAN.DROPPED_LINKS_COUNT, span.droppedLinksCount);
    const status = span.status;
    if (status.code || status.message) {
      const statusBody = this.w.openField(SPAN.STATUS, 1);
      if (status.message) this.w.writeString(STATUS.MESSAGE, status.message);
      this.w.ensure(6);
      if (status.code) {
        this.w.buf[this.w.pos++] = STATUS.CODE;
        this.w.int32(status.code);
      }
      this.w.close(statusBody, 1);
    }
    const flags = spanFlags(span);
    if (flags !== 0) {
      this.w.ensure(6);
      this.w.varint(SPAN.FLAGS); // field 16: a two-byte tag
      this.w.fixed32(flags);
    }
    this.w.close(body, 2);
  }

  private writeEvent(event: TimedEvent): void {
    const body = this.w.openField(SPAN.EVENTS, 2);
    this.w.writeTime(EVENT.TIME_UNIX_NANO, event.time);
    if (event.name) this.w.writeString(EVENT.NAME, event.name);
    if (event.attributes !== undefined) this.writeAttributes(EVENT.ATTRIBUTES, event.attributes);
    this.w.writeCount(EVENT.DROPPED_ATTRIBUTES_COUNT, event.droppedAttributesCount);
    this.w.close(body, 2);
  }

  private writeLink(link: Link): void {
    const ctx = link.context;
    const body = this.w.openField(SPAN.LINKS, 2);
    this.w.writeId(LINK.TRACE_ID, ctx.traceId);
    this.w.writeId(LINK.SPAN_ID, ctx.spanId);
    const traceState = this.traceStates.text(ctx.traceState);
    if (traceState) this.w.writeString(LINK.TRACE_STATE, traceState);
    if (link.attributes !== undefined) this.writeAttributes(LINK.ATTRIBUTES, link.attributes);
    this.w.writeCount(LINK.DROPPED_ATTRIBUTES_COUNT, link.droppedAttributesCount);
    const flags = linkFlags(link);
    if (flags !== 0) {
      this.w.ensure(5);
      this.w.buf[this.w.pos++] = LINK.FLAGS;
      this.w.fixed32(flags);
    }
    this.w.close(body, 2);
  }

  private writeAttributes(tag: number, attributes: Attributes): void {
    for (const key in attributes) this.writeKeyValue(tag, key, attributes[key]);
  }

  private writeKeyValue(tag: number, key: string, value: unknown): void {
    const body = this.w.openField(tag, 1);
    if (key !== '') this.w.writeString(KEY_VALUE.KEY, key);
    const valueBody = this.w.openField(KEY_VALUE.VALUE, 1);
    this.writeAnyValue(value);
    this.w.close(valueBody, 1);
    this.w.close(body, 1);
  }

  /** The body of an AnyValue; the same mapping as JsonTraceEncoder. */
  private writeAnyValue(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.w.writeString(ANY_VALUE.STRING_VALUE, value);
        return;
      case 'number':
        this.writeNumber(value);
        return;
      case 'boolean':
        this.w.ensure(2);
        this.w.buf[this.w.pos++] = ANY_VALUE.BOOL_VALUE;
        this.w.buf[this.w.pos++] = value ? 1 : 0;
        return;
      case 'bigint': {
        const v = BigInt.asUintN(64, value);
        this.w.ensure(11);
        this.w.buf[this.w.pos++] = ANY_VALUE.INT_VALUE;
        this.w.varint64(Number(v & 0xffffffffn), Number(v >> 32n));
        return;
      }
      case 'object':
        if (value === null) return;
        if (value instanceof Uint8Array) {
          this.w.ensure(6);
          this.w.buf[this.w.pos++] = ANY_VALUE.BYTES_VALUE;
          this.w.varint(value.length);
          this.w.writeRaw(value);
          return;
        }
        if (value instanceof OtlpDouble) {
          this.w.writeDouble(value.value);
          return;
        }
        if (this.depth >= MAX_DEPTH) return; // the empty value
        this.depth++;
        if (Array.isArray(value)) this.writeArray(value);
        else this.writeKvlist(value as Record<string, unknown>);
        this.depth--;
        return;
      default:
        return;
    }
  }

  private writeArray(values: readonly unknown[]): void {
    const body = this.w.openField(ANY_VALUE.ARRAY_VALUE, 1);
    for (let i = 0; i < values.length; i++) {
      const element = this.w.openField(LIST.VALUES, 1);
      this.writeAnyValue(values[i]);
      this.w.close(element, 1);
    }
    this.w.close(body, 1);
  }

  private writeKvlist(map: Record<string, unknown>): void {
    const body = this.w.openField(ANY_VALUE.KVLIST_VALUE, 1);
    for (const key of Object.keys(map)) this.writeKeyValue(LIST.VALUES, key, map[key]);
    this.w.close(body, 1);
  }

  private writeNumber(value: number): void {
    if (Number.isInteger(value) && value < MAX_INT64 && value >= -MAX_INT64) {
      this.w.ensure(11);
      this.w.buf[this.w.pos++] = ANY_VALUE.INT_VALUE;
      if (value >= 0 && value < TWO_POW_32) this.w.varint(value);
      else if (Number.isSafeInteger(value)) this.w.varint64(value >>> 0, Math.floor(value / TWO_POW_32) >>> 0);
      else {
        const v = BigInt.asUintN(64, BigInt(value));
        this.w.varint64(Number(v & 0xffffffffn), Number(v >> 32n));
      }
      return;
    }
    this.w.writeDouble(value);
  }
}
