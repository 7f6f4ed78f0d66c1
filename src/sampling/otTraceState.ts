import type { TraceState } from '@opentelemetry/api';
import { TraceState as W3CTraceState } from '@opentelemetry/core';
import { hex28 } from './Threshold.js';

/** The OpenTelemetry tracestate entry (`ot=th:…;rv:…`), as the probability-sampling spec defines it. */
export const OT_KEY = 'ot';
const RV = /^[0-9a-f]{14}$/;
const TH = /^[0-9a-f]{1,14}$/;

/** The value of `key:` (`rv:`, `th:`) in the `ot` entry of `traceState`, or undefined. */
function otValue(traceState: TraceState | undefined, key: string): string | undefined {
  const ot = traceState?.get(OT_KEY);
  if (ot === undefined) return undefined;
  for (const part of ot.split(';')) if (part.startsWith(key)) return part.slice(key.length);
  return undefined;
}

/**
 * The explicit randomness `rv` of an `ot` entry as [hi, lo] 28-bit halves, or undefined when
 * absent or malformed (then the trace id's bits are used).
 */
export function explicitRandomness(traceState: TraceState | undefined): [number, number] | undefined {
  const rv = otValue(traceState, 'rv:');
  return rv !== undefined && RV.test(rv) ? [hex28(rv, 0), hex28(rv, 7)] : undefined;
}

/**
 * The threshold `th` of an `ot` entry as all 14 hex digits (the trailing zeros it may leave out
 * put back, so two thresholds compare as text), or undefined when absent or malformed.
 */
export function explicitThreshold(traceState: TraceState | undefined): string | undefined {
  const th = otValue(traceState, 'th:');
  return th !== undefined && TH.test(th) ? th.padEnd(14, '0') : undefined;
}

/**
 * Returns `traceState` with the `ot` entry's `th` set to `th` (or removed when `th` is undefined),
 * keeping every other entry and every other `ot` sub-key such as `rv`.
 */
export function withThreshold(traceState: TraceState | undefined, th: string | undefined): TraceState | undefined {
  const ot = traceState?.get(OT_KEY);
  const others = ot === undefined ? [] : ot.split(';').filter((p) => p !== '' && !p.startsWith('th:'));
  const parts = th === undefined ? others : [`th:${th}`, ...others];
  const base = traceState ?? new W3CTraceState();
  if (parts.length === 0) return ot === undefined ? traceState : base.unset(OT_KEY);
  return base.set(OT_KEY, parts.join(';'));
}
