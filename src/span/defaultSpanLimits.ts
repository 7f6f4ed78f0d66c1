import type { SpanLimits } from '@opentelemetry/sdk-trace';

/**
 * The span limits where neither `tracing_service.span_limits` nor an OTEL_SPAN_* variable sets one:
 * the SDK TracerProvider's own defaults (sdk-trace 2.x: 128 attributes, events, links and
 * attributes per event and per link; no value length limit).
 */
export const DEFAULT_SPAN_LIMITS: Readonly<Required<SpanLimits>> = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
});
