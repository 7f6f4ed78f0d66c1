import type { IdGenerator } from '@opentelemetry/sdk-trace';
import type { RandomPool } from './RandomPool.js';

/**
 * The SDK's id source. The tracer's fast path draws a root's 56 random bits before the SDK is
 * involved; when that root is sampled it presets them here, so the trace id the SDK then asks
 * for carries exactly those bits and the SDK's own sampler call reaches the same decision.
 */
export class PresetIdGenerator implements IdGenerator {
  private hi = -1;
  private lo = 0;

  constructor(private readonly pool: RandomPool) {}

  /** The next generateTraceId() (and only that one) will end in these 56 bits. */
  preset(hi: number, lo: number): void {
    this.hi = hi;
    this.lo = lo;
  }

  /** Forgets an unused preset, e.g. when the SDK took a path that needed no new trace id. */
  clear(): void {
    this.hi = -1;
  }

  generateTraceId(): string {
    if (this.hi < 0) return this.pool.randomTraceId();
    const id = this.pool.traceId(this.hi, this.lo);
    this.hi = -1;
    return id;
  }

  generateSpanId(): string {
    return this.pool.spanId();
  }
}
