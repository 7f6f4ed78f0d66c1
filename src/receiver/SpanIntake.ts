import type { PipelineStats, Transport } from '../stats/PipelineStats.js';
import type { DecodeResult } from '../otlp/DecodeResult.js';
import { decodeTracesJson } from '../otlp/json/decodeTracesJson.js';
import type { OtlpSpan } from '../otlp/OtlpSpan.js';
import { ProtoTraceDecoder } from '../otlp/proto/decodeTracesProto.js';
import { TracepipeError } from '../errors.js';
import { encodeWithin } from '../exporters/encodeWithin.js';
import type { Logger } from '../logger.js';
import { framingBytes, type EncodedRequest, type WireForm } from '../pipeline/EncodedSpans.js';
import type { ForwardingSampler } from '../sampling/ForwardingSampler.js';
import type { BodyBudget } from './BodyBudget.js';
import type { DurableLog } from './DurableLog.js';
import type { QueuedRequest, RequestCodec } from './RequestCodec.js';

/**
 * Where accepted spans go: the forwarder's bounded queue, which holds them as requests in their
 * exporter's wire form, each charged the bytes it holds. `false` means full (or shut down).
 */
export interface SpanQueue<F extends WireForm> {
  /** `id`: the request's record in the durable log, given back once the queue is done with it. */
  offerEncoded(request: EncodedRequest<F>, spanCount: number, bytes: number, id?: number): boolean;
  /** All of them or none. */
  offerEncodedAll(
    requests: readonly EncodedRequest<F>[],
    spanCounts: readonly number[],
    bytes: readonly number[],
    ids?: readonly number[],
  ): boolean;
  /** Bytes held now, against `queueMaxBytes`. */
  readonly bytes: number;
}

export type IntakeResult =
  /**
   * Queued; `rejected` spans (invalid ids...) were dropped and are reported in `partial_success`.
   * With a durable log, the sender may be told only once `durable` resolves; if it rejects, the
   * request is refused as unavailable (it is queued all the same, so a retry may repeat it).
   */
  | { kind: 'accepted'; rejected: number; message: string; durable?: Promise<void> | undefined }
  /** The request does not decode: nothing was queued. */
  | { kind: 'invalid'; message: string }
  /** The queue is full: nothing was queued, the sender keeps the spans and retries. */
  | { kind: 'full' }
  /** The request needs more than the whole queue budget: retrying can never succeed. */
  | { kind: 'tooLarge'; message: string };

export interface SpanIntakeOptions<F extends WireForm> {
  queue: SpanQueue<F>;
  /** How requests become the exporter's wire form. */
  codec: RequestCodec<F>;
  /** The exporter's `maxBatchBytes`: a request that would be larger in wire form is split. */
  maxBatchBytes: number;
  /** The queue's byte budget, to refuse cheaply when a request cannot fit. */
  queueMaxBytes: number;
  stats: PipelineStats;
  logger: Logger;
  /** Attribute that records who sent each span; undefined leaves spans untouched. */
  tagSenderAttribute: string | undefined;
  /** Samples the spans again before they are queued; undefined honours the senders' decisions. */
  sampler?: ForwardingSampler | undefined;
  /**
   * Also given every span once it is queued (the live trace viewer, `serve --ui`). When set,
   * every request takes the decode path, as with tagging and sampling.
   */
  observer?: ((spans: readonly OtlpSpan[]) => void) | undefined;
  /** Where requests are kept until delivered (`receiver.queue_dir`); undefined: memory only. */
  log?: DurableLog | undefined;
}

/** How long a refused sender is asked to wait (Retry-After, google.rpc.RetryInfo) before retrying. */
export const RETRY_DELAY_MS = 1000;

/**
 * The part of the receiver both transports share: check, tag, queue, count. A request is
 * queued whole or not at all, so a sender is never told "accepted" for spans that are then
 * dropped. `received` counts spans the forwarder took responsibility for (queued).
 *
 * Spans are queued in the exporter's wire form (the codec's). A protobuf request that the codec
 * passes through whole (checked, and for JSON transcoded, in one pass, with no span objects),
 * when no sender tag is to be added and no sampler is set, is queued as it came. Anything else
 * (JSON, tagging, sampling, a request with invalid spans or that does not decode) is decoded for
 * its spans and exact errors, sampled, tagged, and encoded again. Spans sampled out are accepted
 * (the sender did nothing wrong) and counted in `sampledOut`. A request larger in wire form than
 * one export may be (`maxBatchBytes`) is decoded and queued as several, never refused for that.
 */
export class SpanIntake<F extends WireForm = WireForm> implements BodyBudget {
  private readonly queue: SpanQueue<F>;
  private readonly codec: RequestCodec<F>;
  /** The largest request queued, so that a batch of it alone stays within `maxBatchBytes`. */
  private readonly maxRequestBytes: number;
  private readonly queueMaxBytes: number;
  private readonly stats: PipelineStats;
  private readonly logger: Logger;
  readonly tagSenderAttribute: string | undefined;
  private readonly sampler: ForwardingSampler | undefined;
  private readonly observer: ((spans: readonly OtlpSpan[]) => void) | undefined;
  private readonly log: DurableLog | undefined;
  private fullSince = 0;
  /** Bytes of request bodies being read (BodyBudget). */
  private reserved = 0;
  private readonly decoder = new ProtoTraceDecoder();
  /** Encoded OTLP/JSON requests may sit in Buffers the file exporter reuses once written: the log copies them. */
  private readonly reusesRequests: boolean;

  constructor(options: SpanIntakeOptions<F>) {
    this.queue = options.queue;
    this.codec = options.codec;
    this.maxRequestBytes = options.maxBatchBytes - framingBytes(options.codec.form, 1);
    this.queueMaxBytes = options.queueMaxBytes;
    this.stats = options.stats;
    this.logger = options.logger;
    this.tagSenderAttribute = options.tagSenderAttribute;
    this.sampler = options.sampler;
    this.observer = options.observer;
    this.log = options.log;
    this.reusesRequests = options.codec.form === 'json';
  }

  /**
   * False when a body of `wireBytes` cannot be queued now, so it is refused without reading or
   * decoding it, which keeps an overloaded forwarder from spending its CPU on work it will throw
   * away. Exact for protobuf queued as protobuf; a JSON body re-encodes smaller, so near a full
   * queue one may be refused a little early, which only makes its sender retry. Queued as
   * OTLP/JSON, a request's cost is the codec's guess (the queue itself has the last word).
   */
  hasRoomFor(wireBytes: number): boolean {
    // An estimate past the whole budget is no reason to refuse: the exact charge decides (tooLarge).
    return this.queue.bytes + Math.min(wireBytes * this.codec.bytesPerWireByte, this.queueMaxBytes) <= this.queueMaxBytes;
  }

  reserve(bytes: number): boolean {
    if (this.queue.bytes + this.reserved + bytes > this.queueMaxBytes) return false;
    this.reserved += bytes;
    return true;
  }

  release(bytes: number): void {
    this.reserved -= bytes;
  }

  acceptProto(body: Uint8Array, transport: Transport, sender: string | undefined): IntakeResult {
    if (!this.hasRoomFor(body.length)) return this.full();
    if (this.sampler === undefined && this.observer === undefined && (sender === undefined || this.tagSenderAttribute === undefined)) {
      const passed = this.codec.passThrough(body);
      if (passed !== undefined) {
        if (passed.request.byteLength <= this.maxRequestBytes) {
          // Logged as received: for capture files that is half the bytes of the queued OTLP/JSON,
          // and a body nobody reuses, written without a copy.
          return passed.spanCount > 0 ? this.enqueue(passed, transport, body) : ALL_ACCEPTED;
        }
        // Valid, but more than one export may carry: decoded below and queued in parts.
        this.codec.discard(passed.request);
      }
    }
    return this.accept(() => this.decoder.decode(body), transport, sender);
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
    let durable: Promise<void> | undefined;
    if (spans.length > 0) {
      if (sender !== undefined && this.tagSenderAttribute !== undefined) {
        for (const span of spans) span.attributes[this.tagSenderAttribute] = sender;
      }
      const queued = this.enqueueSpans(spans, transport);
      if (queued.kind !== 'accepted') return queued;
      durable = queued.durable;
      this.observer?.(spans);
    }
    if (rejected > 0) this.stats.drop('invalid', rejected);
    if (rejected === 0) return durable === undefined ? ALL_ACCEPTED : accepted(durable);
    const result: IntakeResult = { kind: 'accepted', rejected, message: summarize(rejected, errors) };
    return durable === undefined ? result : { ...result, durable };
  }

  /** The spans `sampler` keeps; the others are counted as sampled out. */
  private sample(sampler: ForwardingSampler, spans: OtlpSpan[]): OtlpSpan[] {
    const kept = spans.filter((span) => sampler.keep(span));
    this.stats.sampledOut += spans.length - kept.length;
    return kept;
  }

  /**
   * Decoded spans as one request, or as several when one would be larger than an export may be.
   * Accepted once queued; otherwise why not.
   */
  private enqueueSpans(spans: OtlpSpan[], transport: Transport): IntakeResult {
    const codec = this.codec;
    const parts = encodeWithin(spans, (run) => codec.encode(run), this.maxRequestBytes, requestBytes, (part) => codec.discard(part.request));
    if (parts.length === 1) return this.enqueue(parts[0]!.body, transport);
    const bodies = parts.map((part) => part.body);
    const requests = bodies.map((b) => b.request);
    const spanCounts = bodies.map((b) => b.spanCount);
    const bytes = bodies.map((b) => b.bytes);
    const wire = requests.reduce((a, r) => a + r.byteLength, 0);
    const log = this.log;
    const refused = this.neverFits(bytes.reduce((a, b) => a + b, 0), wire, requests.length) ?? this.noDiskRoom(wire, requests.length);
    const ids = log === undefined ? undefined : requests.map((_, i) => log.nextId + i);
    if (refused !== undefined || !this.queue.offerEncodedAll(requests, spanCounts, bytes, ids)) {
      for (const b of bodies) codec.discard(b.request);
      return refused ?? this.full();
    }
    this.noteNotFull();
    this.stats.received[transport] += spans.length;
    return log === undefined ? ALL_ACCEPTED : accepted(log.append(requests, spanCounts, codec.form, this.reusesRequests));
  }

  /**
   * Accepted once queued (and, with a durable log, appended to it); otherwise why not.
   * `received`: the protobuf body the request came from, logged instead of the request.
   */
  private enqueue(queued: QueuedRequest<F>, transport: Transport, received?: Uint8Array): IntakeResult {
    const wire = (received ?? queued.request).byteLength;
    const refused = this.neverFits(queued.bytes, wire, 1) ?? this.noDiskRoom(wire, 1);
    const log = this.log;
    if (refused !== undefined || !this.queue.offerEncoded(queued.request, queued.spanCount, queued.bytes, log?.nextId)) {
      this.codec.discard(queued.request);
      return refused ?? this.full();
    }
    this.noteNotFull();
    this.stats.received[transport] += queued.spanCount;
    if (log === undefined) return ALL_ACCEPTED;
    const logged =
      received === undefined
        ? log.append([queued.request], [queued.spanCount], this.codec.form, this.reusesRequests)
        : log.append([received], [queued.spanCount], 'protobuf', false);
    return accepted(logged);
  }

  /** A definitive refusal for a request that needs more than the whole queue budget (or disk budget), which no retry can change. */
  private neverFits(bytes: number, wireBytes: number, records: number): IntakeResult | undefined {
    if (bytes > this.queueMaxBytes) {
      return {
        kind: 'tooLarge',
        message: `request needs ${bytes} bytes of queue, more than the whole queue budget (receiver.queue_max_bytes ${this.queueMaxBytes}): it can never be accepted; send smaller requests`,
      };
    }
    if (this.log !== undefined && !this.log.couldFit(wireBytes, records)) {
      return {
        kind: 'tooLarge',
        message: `request needs more than ${wireBytes} bytes of queue log, more than the whole disk budget (receiver.queue_max_disk_bytes): it can never be accepted; send smaller requests`,
      };
    }
    return undefined;
  }

  /** The durable log is full: refused like a full queue, since acknowledged requests must never be dropped to make room. */
  private noDiskRoom(wireBytes: number, records: number): IntakeResult | undefined {
    return this.log === undefined || this.log.hasRoom(wireBytes, records) ? undefined : this.full();
  }

  private noteNotFull(): void {
    if (this.fullSince !== 0) {
      this.logger.info({ refusedForMs: Date.now() - this.fullSince }, 'forwarder queue accepts requests again');
      this.fullSince = 0;
    }
  }
}

const requestBytes = (queued: QueuedRequest<WireForm>): number => queued.request.byteLength;

const ALL_ACCEPTED: IntakeResult = Object.freeze({ kind: 'accepted', rejected: 0, message: '' });

const accepted = (durable: Promise<void>): IntakeResult => ({ kind: 'accepted', rejected: 0, message: '', durable });

/** `partial_success.error_message`: the exact count, and the first few reasons the decoder kept. */
function summarize(rejected: number, errors: string[]): string {
  if (rejected === 0) return '';
  const more = rejected - errors.length;
  return `${rejected} span(s) rejected: ${errors.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}
