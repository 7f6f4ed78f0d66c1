import {
  type Context,
  type ContextManager,
  isSpanContextValid,
  type Span,
  type SpanContext,
  type SpanOptions,
  trace,
  TraceFlags,
  type Tracer,
  type TraceState,
} from '@opentelemetry/api';
import { type InstrumentationScope, isTracingSuppressed } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { SpanLimits } from '@opentelemetry/sdk-trace';
import { CompactSpan } from '../span/CompactSpan.js';
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
  /**
   * Set when sampled spans are CompactSpans built by the tracer itself (no span processor of the
   * user's needs the SDK's span); undefined: the SDK tracer builds them and runs the processors.
   */
  compact: CompactSpanTarget | undefined;
}

/** What every CompactSpan of a pipeline shares: decided once, when the pipeline is built. */
export interface CompactSpanTarget {
  /** The same resolved limits the SDK provider has. */
  readonly limits: SpanLimits;
  /** The SDK provider's resource. */
  readonly resource: Resource;
  /** Where an ended span goes: the export queue's processor. */
  readonly onEnd: (span: CompactSpan) => void;
}

/**
 * The tracer users get. It decides the unsampled cases itself, before the SDK runs, and answers
 * them with a `LazySpan` (no ids, no recording span, no processor calls). A span that will be
 * sampled is a `CompactSpan` it builds itself, or, when the user has span processors of their own,
 * the SDK tracer's span. The decisions are exactly those of ParentBased(PerMillionSampler):
 * sampled parent -> sampled, unsampled parent -> not, root -> randomness >= threshold, where a
 * root's randomness is drawn here and is the low 56 bits of its trace id (preset into the id
 * generator when the SDK makes the span, so the SDK's own sampler call agrees).
 */
export class SamplingTracer implements Tracer {
  private readonly never: boolean;
  private readonly always: boolean;
  private readonly compact: CompactSpanTarget | undefined;
  private readonly rootTraceState: TraceState | undefined;

  /** `scope`: the SDK tracer's own instrumentation scope, so both kinds of span group alike. */
  constructor(
    private readonly sdk: Tracer,
    private readonly shared: SamplingTracerShared,
    private readonly scope: InstrumentationScope,
  ) {
    this.never = shared.root.threshold.never;
    this.always = shared.root.ratePerMillion === 1_000_000;
    this.compact = shared.compact;
    this.rootTraceState = shared.root.sampledTraceState;
  }

  /**
   * Kept under V8's inlining limit (460 bytecode bytes) on purpose: inlined into the caller, the
   * unsampled cases (a root that cannot be sampled, a child of a lazy span) let V8 drop the
   * `LazySpan` allocation of a span that never escapes, as it does for the no-op API's span.
   * Everything else is decided in `startDecided`.
   */
  startSpan(name: string, options?: SpanOptions, context?: Context): Span {
    const ctx = context ?? this.shared.contextManager.active();
    if (isTracingSuppressed(ctx)) return this.sdk.startSpan(name, options, ctx);
    const parent = options !== undefined && options.root === true ? undefined : trace.getSpan(ctx);
    if (parent === undefined ? this.never || this.shared.stopped : parent instanceof LazySpan) {
      const shared = this.shared;
      if (parent === undefined && shared.onUnsampledRoot !== undefined && !shared.stopped) this.warnUnsampledRoot();
      shared.stats.notSampled++;
      return new LazySpan(shared.pool, parent as LazySpan | undefined, undefined, -1, 0);
    }
    return this.startDecided(name, options, ctx, parent);
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

  /** The cases the inlined fast path leaves: a non-lazy parent, or a root at a rate above 0. */
  private startDecided(name: string, options: SpanOptions | undefined, ctx: Context, parent: Span | undefined): Span {
    const shared = this.shared;
    if (parent !== undefined) {
      const pc = parent.spanContext();
      // A recording span always has a valid context: skip the regex validation on the common path.
      if (parent.isRecording() || isSpanContextValid(pc)) {
        if ((pc.traceFlags & TraceFlags.SAMPLED) === 0 || shared.stopped) {
          shared.stats.notSampled++;
          return new LazySpan(shared.pool, undefined, pc, -1, 0);
        }
        shared.stats.sampled++;
        const random = pc.traceFlags & TRACE_FLAG_RANDOM;
        if (this.compact !== undefined) return this.compactSpan(name, options, pc.traceId, pc.traceState, random, pc);
        return withTraceFlags(this.sdk.startSpan(name, options, ctx), random);
      }
      if (pc.traceState !== undefined && !shared.stopped) return this.counted(withTraceFlags(this.sdk.startSpan(name, options, ctx), TRACE_FLAG_RANDOM));
      if (this.never || shared.stopped) {
        if (shared.onUnsampledRoot !== undefined && !shared.stopped) this.warnUnsampledRoot();
        shared.stats.notSampled++;
        return new LazySpan(shared.pool, undefined, undefined, -1, 0);
      }
    }
    if (this.always) {
      shared.stats.sampled++;
      if (this.compact !== undefined) return this.compactSpan(name, options, shared.pool.randomTraceId(), this.rootTraceState, TRACE_FLAG_RANDOM, undefined);
      return withTraceFlags(this.sdk.startSpan(name, options, ctx), TRACE_FLAG_RANDOM);
    }
    const hi = shared.pool.bits28();
    const lo = shared.pool.bits28();
    if (!shared.root.acceptsRandomness(hi, lo)) {
      shared.stats.notSampled++;
      return new LazySpan(shared.pool, undefined, undefined, hi, lo);
    }
    shared.stats.sampled++;
    if (this.compact !== undefined) return this.compactSpan(name, options, shared.pool.traceId(hi, lo), this.rootTraceState, TRACE_FLAG_RANDOM, undefined);
    shared.ids.preset(hi, lo);
    const span = this.sdk.startSpan(name, options, ctx);
    shared.ids.clear();
    return withTraceFlags(span, TRACE_FLAG_RANDOM);
  }

  /**
   * A sampled span built here instead of by the SDK tracer, with what the SDK would give it: a new
   * span id, the trace id and tracestate (the parent's, or a root's with its `th`), the sampled
   * flag plus the random one, the pipeline's limits and resource and this tracer's scope.
   */
  private compactSpan(
    name: string,
    options: SpanOptions | undefined,
    traceId: string,
    traceState: TraceState | undefined,
    flags: number,
    parent: SpanContext | undefined,
  ): CompactSpan {
    const target = this.compact!;
    const spanContext: SpanContext = { traceId, spanId: this.shared.pool.spanId(), traceFlags: TraceFlags.SAMPLED | flags, traceState };
    return new CompactSpan({
      spanContext,
      parentSpanContext: parent,
      name,
      kind: options?.kind,
      startTime: options?.startTime,
      links: options?.links,
      attributes: options?.attributes,
      limits: target.limits,
      resource: target.resource,
      scope: this.scope,
      onEnd: target.onEnd,
    });
  }

  /** The first new root at rate 0: the provider's one-time warning, then never again. */
  private warnUnsampledRoot(): void {
    this.shared.onUnsampledRoot!();
    this.shared.onUnsampledRoot = undefined;
  }

  /** Counts a span the SDK decided on by itself (rare: an invalid parent that carries a tracestate). */
  private counted(span: Span): Span {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) this.shared.stats.sampled++;
    else this.shared.stats.notSampled++;
    return span;
  }
}
