import type { TraceState } from '@opentelemetry/api';

let last: TraceState | undefined;
let lastText = '';

/**
 * A tracestate's W3C text, '' when there is none. The SDK's TraceState builds the string on every
 * `serialize()`, but spans share their objects (every child its parent's, every root a sampler
 * marks the sampler's one), which are immutable, so the last one's text is kept.
 */
export function traceStateText(traceState: TraceState | undefined): string {
  if (traceState === undefined) return '';
  if (traceState !== last) {
    lastText = traceState.serialize();
    last = traceState;
  }
  return lastText;
}
