import type { TraceState } from '@opentelemetry/api';

/**
 * A W3C tracestate that serializes back to exactly the text it was given. The SDK's
 * TraceState re-validates and may rewrite or drop entries; a forwarder must pass the
 * header on unchanged, so entries are only parsed when someone asks for one.
 */
export class OtlpTraceState implements TraceState {
  constructor(private readonly raw: string) {}

  get(key: string): string | undefined {
    for (const member of this.members()) {
      const eq = member.indexOf('=');
      if (eq > 0 && member.slice(0, eq).trim() === key) return member.slice(eq + 1).trim();
    }
    return undefined;
  }

  set(key: string, value: string): TraceState {
    return new OtlpTraceState([`${key}=${value}`, ...this.without(key)].join(','));
  }

  unset(key: string): TraceState {
    return new OtlpTraceState(this.without(key).join(','));
  }

  serialize(): string {
    return this.raw;
  }

  private members(): string[] {
    return this.raw.split(',').filter((m) => m.trim() !== '');
  }

  private without(key: string): string[] {
    return this.members().filter((m) => m.slice(0, m.indexOf('=')).trim() !== key);
  }
}
