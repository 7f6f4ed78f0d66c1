import {
  type Context,
  type ContextManager,
  isSpanContextValid,
  type Span,
  type SpanOptions,
  trace,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { PipelineStats } from '../stats/PipelineStats.js';
import { LazySpan } from './LazySpan.js';
import type { PerMillionSampler } from './PerMillionSampler.js';
import type { PresetIdGenerator } from './PresetIdGenerator.js';
import type { RandomPool } from './RandomPool.js';
import { TRACE_FLAG_RANDOM, withTraceFlags } from './traceFlagRandom.js';

/** What the tracer shares with the provider that made it. */
export interface SamplingTracerShared {
  /** The decision for roots; the SDK tracer's sampler must be ParentBased over this same sampler. */
  root: PerMillionSampler;
  ids: PresetIdGenerator;
  pool: RandomPool;
  contextManager: ContextManager;
  stats: PipelineStats;
  /** Set once the pipeline has shut down: every later span is a lazy, unsampled one. */
  stopped: boolean;
  /**
   * Called at the first new root while the rate is 0, then cleared: the provider warns when no
   * span has had a sampled parent yet, since then nothing at all is being exported.
   */
  onUnsampledRoot: (() => void) | undefined;
}

/**
 * The tracer users get. It decides the unsampled cases itself, before the SDK runs, and answers
 * them with a `LazySpan` (no ids, no recording span, no processor calls); only spans that will be
 * sampled are handed to the SDK tracer. The decisions are exactly those of
 * ParentBased(PerMillionSampler): sampled parent -> sampled, unsampled parent -> not, root ->
 * randomness >= threshold, where a root's randomness is drawn here and preset into the id
 * generator so the SDK's trace id carries it.
 */
export class SamplingTracer implements Tracer {
  private readonly never: boolean;
  private readonly always: boolean;

  constructor(
    private readonly sdk: Tracer,
    private readonly shared: SamplingTracerShared,
  ) {
    this.never = shared.root.threshold.never;
    this.always = shared.root.ratePerMillion === 1_000_000;
  }

  startSpan(name: string, options?: SpanOptions, context?: Context): Span {
    const shared = this.shared;
    const ctx = context ?? shared.contextManager.active();
    if (isTracingSuppressed(ctx)) return this.sdk.startSpan(name, options, ctx);
    const parent = options !== undefined && options.root === true ? undefined : trace.getSpan(ctx);
    if (parent instanceof LazySpan) {
      shared.stats.notSampled++;
      return new LazySpan(shared.pool, parent, undefined, -1, 0);
    }
    if (parent !== undefined) {
      const pc = parent.spanContext();
      // A recording span always has a valid context: skip the regex validation on the common path.
      if (parent.isRecording() || isSpanContextValid(pc)) {
        if ((pc.traceFlags & TraceFlags.SAMPLED) === 0 || shared.stopped) {
          shared.stats.notSampled++;
          return new LazySpan(shared.pool, undefined, pc, -1, 0);
        }
        shared.stats.sampled++;
        return withTraceFlags(this.sdk.startSpan(name, options, ctx), pc.traceFlags & TRACE_FLAG_RANDOM);
      }
      if (pc.traceState !== undefined && !shared.stopped) return this.counted(withTraceFlags(this.sdk.startSpan(name, options, ctx), TRACE_FLAG_RANDOM));
    }
    if (this.never || shared.stopped) {
      if (shared.onUnsampledRoot !== undefined && !shared.stopped) {
        shared.onUnsampledRoot();
        shared.onUnsampledRoot = undefined;
      }
      shared.stats.notSampled++;
      return new LazySpan(shared.pool, undefined, undefined, -1, 0);
    }
    if (this.always) {
      shared.stats.sampled++;
      return withTraceFlags(this.sdk.startSpan(name, options, ctx), TRACE_FLAG_RANDOM);
    }
    const hi = shared.pool.bits28();
    const lo = shared.pool.bits28();
    if (!shared.root.acceptsRandomness(hi, lo)) {
      shared.stats.notSampled++;
      return new LazySpan(shared.pool, undefined, undefined, hi, lo);
    }
    shared.stats.sampled++;
    shared.ids.preset(hi, lo);
    const span = this.sdk.startSpan(name, options, ctx);
    shared.ids.clear();
    return withTraceFlags(span, TRACE_FLAG_RANDOM);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    a: F | SpanOptions,
    b?: F | Context,
    c?: F,
  ): ReturnType<F> | undefined {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (typeof a === 'function') fn = a;
    else if (typeof b === 'function') {
      options = a;
      fn = b;
    } else if (typeof c === 'function') {
      options = a;
      ctx = b;
      fn = c;
    } else return undefined;
    const manager = this.shared.contextManager;
    const parent = ctx ?? manager.active();
    const span = this.startSpan(name, options, parent);
    return manager.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }

  /** Counts a span the SDK decided on by itself (rare: an invalid parent that carries a tracestate). */
  private counted(span: Span): Span {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) this.shared.stats.sampled++;
    else this.shared.stats.notSampled++;
    return span;
  }
}
