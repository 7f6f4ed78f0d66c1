import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** An attribute value as the text a `key=value` search compares with. */
export function attributeText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return JSON.stringify(value);
}

function spanHas(span: ReadableSpan, key: string, value: string): boolean {
  // Jaeger marks error spans with the tag error=true; the same search finds them here.
  if (key === 'error' && value === 'true' && span.status.code === SpanStatusCode.ERROR) return true;
  return attributeText(span.attributes[key]) === value || attributeText(span.resource.attributes[key]) === value;
}

/** True when every `[key, value]` is held by some span of the trace (as a span or resource attribute). */
export function matchesTags(spans: readonly ReadableSpan[], tags: readonly [string, string][]): boolean {
  return tags.every(([key, value]) => spans.some((span) => spanHas(span, key, value)));
}
