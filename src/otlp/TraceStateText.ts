import type { TraceState } from '@opentelemetry/api';

/**
 * A tracestate's W3C text, '' when there is none. The SDK's TraceState builds the string on every
 * `serialize()`, but spans share their objects (every child its parent's, every root a sampler
 * marks the sampler's one), which are immutable, so the last one's text is kept: one entry, so
 * the cache is bounded by construction. Each encoder owns one.
 */
export class TraceStateText {
  private last: TraceState | undefined;
  private lastText = '';

  text(traceState: TraceState | undefined): string {
    if (traceState === undefined) return '';
    if (traceState !== this.last) {
      this.lastText = traceState.serialize();
      this.last = traceState;
    }
    return this.lastText;
  }
}
