import { type Attributes, type AttributeValue, diag } from '@opentelemetry/api';
import { isAttributeValue } from '@opentelemetry/core';

/**
 * The span limits attributes follow, as the SDK resolves them from its configuration and
 * OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT / OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT (falling back to the
 * OTEL_ATTRIBUTE_* ones); undefined means no limit, as in the SDK's `SpanLimits`.
 */
export interface AttributeLimits {
  readonly attributeCountLimit?: number;
  readonly attributeValueLengthLimit?: number;
}

/** Above this many keys a Map finds an existing key; below it a scan of the keys array is faster. */
const SCAN_LIMIT = 16;

/**
 * A span's attributes in one array of alternating keys and values instead of an object per span,
 * with the SDK span's rules exactly (`SpanImpl.setAttribute`): null and undefined values are
 * ignored; an empty key or a value that is not an attribute value is refused with the SDK's diag
 * warning; once `attributeCountLimit` keys are held a new key is dropped and counted, while an
 * existing key is still updated in place (keeping its position); strings, and the strings of an
 * array, are cut to `attributeValueLengthLimit` characters; arrays are copied, so a caller's later
 * change to its array does not reach the span. `clear()` makes it reusable for another span.
 */
export class SpanAttributes {
  /** key 0, value 0, key 1, value 1, …: one backing store to grow instead of two. */
  private readonly entries: Array<string | AttributeValue> = [];
  /** Attributes refused by the count limit (the SDK's droppedAttributesCount). */
  dropped = 0;
  /** Entry position by key, built once there are more keys than a scan handles well. */
  private index: Map<string, number> | undefined;
  /**
   * The shared limits object, read when setting: copied into fields, an unlimited (Infinity)
   * limit would be a number boxed for every span.
   */
  constructor(private readonly limits: AttributeLimits) {}

  get size(): number {
    return this.entries.length >> 1;
  }

  keyAt(i: number): string {
    return this.entries[2 * i] as string;
  }

  valueAt(i: number): AttributeValue {
    return this.entries[2 * i + 1] as AttributeValue;
  }

  set(key: string, value: AttributeValue | undefined): void {
    if (value == null) return;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return;
    }
    const at = this.find(key);
    if (at < 0 && this.size >= (this.limits.attributeCountLimit ?? Infinity)) {
      this.dropped++;
      return;
    }
    const stored = truncateAttributeValue(value, this.limits.attributeValueLengthLimit ?? 0);
    if (at >= 0) {
      this.entries[at + 1] = stored;
      return;
    }
    this.entries.push(key, stored);
    if (this.index !== undefined) this.index.set(key, this.entries.length - 2);
    else if (this.size > SCAN_LIMIT) {
      this.index = new Map();
      for (let i = 0; i < this.entries.length; i += 2) this.index.set(this.entries[i] as string, i);
    }
  }

  /** Each own property of `attributes`, in order, as `set` would take it. */
  setAll(attributes: Attributes): void {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.set(key, attributes[key]);
    }
  }

  /** The object form (the SDK's `ReadableSpan.attributes`), for whoever needs one. */
  toAttributes(): Attributes {
    const out: Attributes = {};
    const entries = this.entries;
    for (let i = 0; i < entries.length; i += 2) out[entries[i] as string] = entries[i + 1] as AttributeValue;
    return out;
  }

  /** Drops the key index once nothing more will be set (the span ended): a queued span need not carry it. */
  dropIndex(): void {
    this.index = undefined;
  }

  clear(): void {
    this.entries.length = 0;
    this.dropped = 0;
    this.index = undefined;
  }

  /** The entry position of `key`'s key, or -1. */
  private find(key: string): number {
    if (this.index !== undefined) return this.index.get(key) ?? -1;
    const entries = this.entries;
    for (let i = 0; i < entries.length; i += 2) if (entries[i] === key) return i;
    return -1;
  }
}

/**
 * The SDK span's `_truncateToSize`: a string, or each string of an array, cut to `limit` characters;
 * an array always copied; a limit that is not positive warned about (as the SDK does) and not applied.
 */
export function truncateAttributeValue(value: AttributeValue, limit: number): AttributeValue {
  if (limit <= 0) {
    diag.warn(`Attribute value limit must be positive, got ${limit}`);
    return value;
  }
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (Array.isArray(value)) {
    return (value as unknown[]).map((v) => (typeof v === 'string' && v.length > limit ? v.substring(0, limit) : v)) as AttributeValue;
  }
  return value;
}
