import type { PipelineStats, Transport } from '../diagnostics/PipelineStats.js';
import type { DecodeResult } from '../encoding/DecodeResult.js';
import { decodeTracesJson } from '../encoding/decodeTracesJson.js';
import { decodeTracesProto } from '../encoding/decodeTracesProto.js';
import { encodeResourceSpansJson } from '../encoding/encodeTracesJson.js';
import { encodeTracesProto } from '../encoding/encodeTracesProto.js';
import type { Allocate } from '../encoding/jsonWriter.js';
import type { OtlpSpan } from '../encoding/OtlpSpan.js';
import { scanTracesProto } from '../encoding/scanTracesProto.js';
import { transcodeResourceSpansJson } from '../encoding/transcodeTracesJson.js';
import { TracepipeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ForwardingSampler } from '../sampling/ForwardingSampler.js';

/**
 * Where accepted spans go: the forwarder's bounded queue, which holds them as requests in their
 * exporter's form (protobuf `ExportTraceServiceRequest` bodies, or OTLP/JSON ResourceSpans for
 * capture files), each charged the bytes it holds. `false` means full (or shut down).
 */
export interface SpanQueue {
  offerEncoded(request: Uint8Array, spanCount: number, bytes: number): boolean;
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
  /** Samples the spans again before they are queued; undefined honours the senders' decisions. */
  sampler?: ForwardingSampler | undefined;
  /**
   * Queue OTLP/JSON (ResourceSpans, as transcodeResourceSpansJson writes them) in Buffers from
   * `allocate`, for an exporter that writes JSON (capture files); protobuf when undefined.
   */
  json?: { allocate: Allocate } | undefined;
  /**
   * Also given every span once it is queued (the live trace viewer, `serve --ui`). When set,
   * every request takes the decode path, as with tagging and sampling.
   */
  observer?: ((spans: readonly OtlpSpan[]) => void) | undefined;
}

/** How long a refused sender is asked to wait (Retry-After, google.rpc.RetryInfo) before retrying. */
export const RETRY_DELAY_MS = 1000;

/**
 * The part of the receiver both transports share: check, tag, queue, count. A request is
 * queued whole or not at all, so a sender is never told "accepted" for spans that are then
 * dropped. `received` counts spans the forwarder took responsibility for (queued).
 *
 * Spans are queued as protobuf, charged at their size in bytes. A protobuf request that
 * scanTracesProto finds entirely valid, when no sender tag is to be added and no sampler is set,
 * is queued as it came (no span objects are built). Anything else (JSON, tagging, sampling, a
 * request with invalid spans or that does not decode) is decoded for its spans and exact errors,
 * sampled, tagged, and re-encoded. Spans sampled out are accepted (the sender did nothing wrong)
 * and counted in `sampledOut`.
 *
 * For an exporter that writes OTLP/JSON, requests are queued in that form instead, charged at
 * the memory they hold: a valid protobuf request is checked and transcoded in one pass
 * (transcodeResourceSpansJson, which takes only what the decoder would take whole), the rest
 * decoded as above and encoded to JSON.
 */
export class SpanIntake {
  private readonly queue: SpanQueue;
  private readonly queueMaxBytes: number;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  readonly tagSenderAttribute: string | undefined;
  private readonly sampler: ForwardingSampler | undefined;
  private readonly json: { allocate: Allocate } | undefined;
  private readonly observer: ((spans: readonly OtlpSpan[]) => void) | undefined;
  private readonly bytesPerWireByte: number;
  private fullSince = 0;

  constructor(options: SpanIntakeOptions) {
    this.queue = options.queue;
    this.queueMaxBytes = options.queueMaxBytes;
    this.stats = options.stats;
    this.logger = options.logger;
    this.tagSenderAttribute = options.tagSenderAttribute;
    this.sampler = options.sampler;
    this.json = options.json;
    this.observer = options.observer;
    this.bytesPerWireByte = options.json === undefined ? 1 : JSON_PER_WIRE_BYTE;
  }

  /**
   * False when a body of `wireBytes` cannot be queued now, so it is refused without reading or
   * decoding it, which keeps an overloaded forwarder from spending its CPU on work it will throw
   * away. Exact for protobuf queued as protobuf; a JSON body re-encodes smaller, so near a full
   * queue one may be refused a little early, which only makes its sender retry. Queued as
   * OTLP/JSON, a request takes about JSON_PER_WIRE_BYTE times its wire size (a guess: the queue
   * itself has the last word).
   */
  hasRoomFor(wireBytes: number): boolean {
    return this.queue.bytes + wireBytes * this.bytesPerWireByte <= this.queueMaxBytes;
  }

  acceptProto(body: Uint8Array, transport: Transport, sender: string | undefined): IntakeResult {
    if (!this.hasRoomFor(body.length)) return this.full();
    if (this.sampler === undefined && this.observer === undefined && (sender === undefined || this.tagSenderAttribute === undefined)) {
      if (this.json !== undefined) {
        const transcoded = transcodeResourceSpansJson(body, this.json.allocate);
        if (transcoded !== undefined) {
          const { json, spanCount } = transcoded;
          if (spanCount > 0 && !this.enqueue(json, spanCount, json.buffer.byteLength, transport)) return this.full();
          return ALL_ACCEPTED;
        }
        return this.accept(() => decodeTracesProto(body), transport, sender);
      }
      const count = scanTracesProto(body);
      if (count !== undefined) {
        if (count > 0) {
          const request = ownBytes(body);
          if (!this.enqueue(request, count, request.buffer.byteLength, transport)) return this.full();
        }
        return ALL_ACCEPTED;
      }
    }
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

  /** The slow path: decode for the spans and the exact errors, tag, then queue the valid spans re-encoded. */
  private accept(decode: () => DecodeResult, transport: Transport, sender: string | undefined): IntakeResult {
    let decoded: DecodeResult;
    try {
      decoded = decode();
    } catch (err) {
      if (err instanceof TracepipeError && err.code === 'TRACEPIPE_INVALID_OTLP') return { kind: 'invalid', message: err.message };
      throw err;
    }
    const { rejected, errors } = decoded;
    const spans = this.sampler === undefined ? decoded.spans : this.sample(this.sampler, decoded.spans);
    if (spans.length > 0) {
      if (sender !== undefined && this.tagSenderAttribute !== undefined) {
        for (const span of spans) span.attributes[this.tagSenderAttribute] = sender;
      }
      const request = this.encode(spans);
      const bytes = this.json === undefined ? request.byteLength : request.buffer.byteLength;
      if (!this.enqueue(request, spans.length, bytes, transport)) return this.full();
      this.observer?.(spans);
    }
    if (rejected > 0) this.stats.drop('invalid', rejected);
    return rejected === 0 ? ALL_ACCEPTED : { kind: 'accepted', rejected, message: summarize(rejected, errors) };
  }

  /** The spans `sampler` keeps; the others are counted as sampled out. */
  private sample(sampler: ForwardingSampler, spans: OtlpSpan[]): OtlpSpan[] {
    const kept = spans.filter((span) => sampler.keep(span));
    this.stats.sampledOut += spans.length - kept.length;
    return kept;
  }

  /** Decoded spans in the queue's format: protobuf, or the inside of an OTLP/JSON resourceSpans list. */
  private encode(spans: OtlpSpan[]): Uint8Array {
    if (this.json === undefined) return encodeTracesProto(spans);
    return encodeResourceSpansJson(spans, this.json.allocate);
  }

  private enqueue(request: Uint8Array, spanCount: number, bytes: number, transport: Transport): boolean {
    if (!this.queue.offerEncoded(request, spanCount, bytes)) return false;
    this.noteNotFull();
    this.stats.received[transport] += spanCount;
    return true;
  }

  private noteNotFull(): void {
    if (this.fullSince !== 0) {
      this.logger.info('forwarder queue accepts requests again', { refusedForMs: Date.now() - this.fullSince });
      this.fullSince = 0;
    }
  }
}

const ALL_ACCEPTED: IntakeResult = Object.freeze({ kind: 'accepted', rejected: 0, message: '' });

/**
 * A request body the queue may keep, not a view that keeps far more memory alive. Both receivers
 * hand over views: grpc-js frames each message with Buffer.concat in its StreamDecoder and passes
 * `subarray(5)` past the 5-byte header (server-interceptors decompressMessage), readLimitedBody
 * returns a Buffer.concat. Buffer.concat takes a body under 4 KiB from Node's shared 8 KiB pool,
 * so queueing that view would pin the whole pool slab: such a body is copied into a buffer of its
 * own. A larger body fills its buffer (all but grpc's 5 bytes) and is kept as it is; the queue is
 * charged for the whole buffer either way (`request.buffer.byteLength`).
 */
function ownBytes(body: Uint8Array): Uint8Array {
  return body.buffer.byteLength > 2 * body.byteLength ? new Uint8Array(body) : body;
}

/**
 * What a protobuf byte costs queued as OTLP/JSON: the JSON of realistic spans is about twice the
 * protobuf (more for spans that are mostly ids, which double as hex), in a pooled Buffer up to
 * 1.25 times the JSON (LineBufferPool's slab sizes).
 */
const JSON_PER_WIRE_BYTE = 4;

/** `partial_success.error_message`: the exact count, and the first few reasons the decoder kept. */
function summarize(rejected: number, errors: string[]): string {
  if (rejected === 0) return '';
  const more = rejected - errors.length;
  return `${rejected} span(s) rejected: ${errors.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}
