import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { PipelineStats, Transport } from '../diagnostics/PipelineStats.js';
import type { DecodeResult } from '../encoding/DecodeResult.js';
import { decodeTracesJson } from '../encoding/decodeTracesJson.js';
import { decodeTracesProto } from '../encoding/decodeTracesProto.js';
import { TracepipeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { estimateSpanBytes } from '../pipeline/estimateSpanBytes.js';

/** Where accepted spans go: the forwarder's bounded queue. `false` means full (or shut down). */
export interface SpanQueue {
  offer(spans: ReadableSpan[], bytes: number): boolean;
  /** Bytes held now, against `queueMaxBytes`. */
  readonly bytes: number;
}

export type IntakeResult =
  /** Queued; `rejected` spans (invalid ids...) were dropped and are reported in `partial_success`. */
  | { kind: 'accepted'; rejected: number; message: string }
  /** The request does not decode: nothing was queued. */
  | { kind: 'invalid'; message: string }
  /** The queue is full: nothing was queued, the sender keeps the spans and retries. */
  | { kind: 'full' };

export interface SpanIntakeOptions {
  queue: SpanQueue;
  /** The queue's byte budget, to refuse cheaply when a request cannot fit. */
  queueMaxBytes: number;
  stats: PipelineStats;
  logger: Logger;
  /** Attribute that records who sent each span; undefined leaves spans untouched. */
  tagSenderAttribute: string | undefined;
}

/** How long a refused sender is asked to wait (Retry-After, google.rpc.RetryInfo) before retrying. */
export const RETRY_DELAY_MS = 1000;

/**
 * The part of the receiver both transports share: decode, tag, queue, count. A request is
 * queued whole or not at all, so a sender is never told "accepted" for spans that are then
 * dropped. `received` counts spans the forwarder took responsibility for (queued).
 */
export class SpanIntake {
  private readonly queue: SpanQueue;
  private readonly queueMaxBytes: number;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  readonly tagSenderAttribute: string | undefined;
  private fullSince = 0;

  constructor(options: SpanIntakeOptions) {
    this.queue = options.queue;
    this.queueMaxBytes = options.queueMaxBytes;
    this.stats = options.stats;
    this.logger = options.logger;
    this.tagSenderAttribute = options.tagSenderAttribute;
  }

  /**
   * False when a body of `wireBytes` certainly cannot be queued now: decoded spans take more
   * memory than their encoding, so such a request is refused without reading or decoding it,
   * which keeps an overloaded forwarder from spending its CPU on work it will throw away.
   */
  hasRoomFor(wireBytes: number): boolean {
    return this.queue.bytes + wireBytes <= this.queueMaxBytes;
  }

  acceptProto(body: Uint8Array, transport: Transport, sender: string | undefined): IntakeResult {
    if (!this.hasRoomFor(body.length)) return this.full();
    return this.accept(() => decodeTracesProto(body), transport, sender);
  }

  acceptJson(body: Buffer, transport: Transport, sender: string | undefined): IntakeResult {
    if (!this.hasRoomFor(body.length)) return this.full();
    return this.accept(() => decodeTracesJson(body.toString('utf8')), transport, sender);
  }

  /** Refuses a request for lack of room, logging once per burst of refusals. */
  full(): IntakeResult {
    if (this.fullSince === 0) {
      this.fullSince = Date.now();
      this.logger.warn('forwarder queue is full: refusing requests until it drains (senders retry)');
    }
    return { kind: 'full' };
  }

  private accept(decode: () => DecodeResult, transport: Transport, sender: string | undefined): IntakeResult {
    let decoded: DecodeResult;
    try {
      decoded = decode();
    } catch (err) {
      if (err instanceof TracepipeError && err.code === 'TRACEPIPE_INVALID_OTLP') return { kind: 'invalid', message: err.message };
      throw err;
    }
    const { spans, rejected, errors } = decoded;
    if (spans.length > 0) {
      if (sender !== undefined && this.tagSenderAttribute !== undefined) {
        for (const span of spans) span.attributes[this.tagSenderAttribute] = sender;
      }
      // Charged at their estimated heap size: decoded spans hold several times their wire size.
      let bytes = 0;
      for (let i = 0; i < spans.length; i++) bytes += estimateSpanBytes(spans[i]!);
      if (!this.queue.offer(spans, bytes)) return this.full();
      this.noteNotFull();
      this.stats.received[transport] += spans.length;
    }
    if (rejected > 0) this.stats.drop('invalid', rejected);
    return { kind: 'accepted', rejected, message: summarize(rejected, errors) };
  }

  private noteNotFull(): void {
    if (this.fullSince !== 0) {
      this.logger.info('forwarder queue accepts requests again', { refusedForMs: Date.now() - this.fullSince });
      this.fullSince = 0;
    }
  }
}

/** `partial_success.error_message`: the exact count, and the first few reasons the decoder kept. */
function summarize(rejected: number, errors: string[]): string {
  if (rejected === 0) return '';
  const more = rejected - errors.length;
  return `${rejected} span(s) rejected: ${errors.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}
