import { JsonTraceEncoder } from '../otlp/json/JsonTraceEncoder.js';
import { JsonTranscoder } from '../otlp/json/JsonTranscoder.js';
import type { LineBufferPool } from '../exporters/file/LineBufferPool.js';
import type { Allocate } from '../otlp/json/JsonWriter.js';
import type { OtlpSpan } from '../otlp/OtlpSpan.js';
import { ProtoTraceEncoder } from '../otlp/proto/ProtoTraceEncoder.js';
import { scanTracesProto } from '../otlp/proto/scanTracesProto.js';
import type { EncodedRequest, WireForm } from '../pipeline/EncodedSpans.js';

/** A request ready to queue: its bytes in wire form, its spans, and what holding it costs. */
export interface QueuedRequest<F extends WireForm> {
  request: EncodedRequest<F>;
  spanCount: number;
  bytes: number;
}

/**
 * How the forwarder turns what it receives into requests of its exporter's wire form. Chosen
 * once, from the exporter (`requestCodecFor`), so the intake never asks again per request.
 */
export interface RequestCodec<F extends WireForm> {
  readonly form: F;
  /**
   * A protobuf request the decoder would take whole, in form F, checked and converted in one
   * pass with no span objects; undefined sends it to the decoder for the exact answer.
   */
  passThrough(body: Uint8Array): QueuedRequest<F> | undefined;
  /** Decoded spans in form F. */
  encode(spans: readonly OtlpSpan[]): QueuedRequest<F>;
  /** Gives back a request that will not be queued after all. */
  discard(request: EncodedRequest<F>): void;
  /** About what one protobuf byte costs queued in this form, to refuse cheaply before decoding. */
  readonly bytesPerWireByte: number;
}

/** Requests as the protobuf bodies they came as: valid ones are queued as received. */
export class ProtobufRequests implements RequestCodec<'protobuf'> {
  readonly form = 'protobuf';
  readonly bytesPerWireByte = 1;
  private readonly encoder = new ProtoTraceEncoder();

  passThrough(body: Uint8Array): QueuedRequest<'protobuf'> | undefined {
    const spanCount = scanTracesProto(body);
    if (spanCount === undefined) return undefined;
    const request = ownBytes(body) as EncodedRequest<'protobuf'>;
    return { request, spanCount, bytes: request.buffer.byteLength };
  }

  encode(spans: readonly OtlpSpan[]): QueuedRequest<'protobuf'> {
    const request = this.encoder.encode(spans) as Uint8Array as EncodedRequest<'protobuf'>;
    return { request, spanCount: spans.length, bytes: request.byteLength };
  }

  discard(): void {}
}

/**
 * Requests as the OTLP/JSON of their ResourceSpans (capture files, OTLP/HTTP JSON): a valid
 * protobuf request is checked and transcoded in one pass (JsonTranscoder.transcodeResourceSpans
 * takes only what the decoder would take whole). For capture files the JSON is written into
 * Buffers from the file exporter's pool, which takes them back once written; without a pool each
 * request gets a Buffer of its own, copied to its exact size when the writer's guess was far off.
 */
export class JsonRequests implements RequestCodec<'json'> {
  readonly form = 'json';
  /**
   * The JSON of realistic spans is about twice the protobuf (more for spans that are mostly ids,
   * which double as hex), in a pooled Buffer up to 1.25 times the JSON (LineBufferPool's slabs).
   */
  readonly bytesPerWireByte = 4;
  private readonly encoder = new JsonTraceEncoder();
  private readonly transcoder = new JsonTranscoder();
  private readonly allocate: Allocate;

  constructor(private readonly pool?: LineBufferPool) {
    this.allocate = pool?.allocate ?? Buffer.allocUnsafeSlow;
  }

  passThrough(body: Uint8Array): QueuedRequest<'json'> | undefined {
    const transcoded = this.transcoder.transcodeResourceSpans(body, this.allocate);
    if (transcoded === undefined) return undefined;
    return this.queued(transcoded.json, transcoded.spanCount);
  }

  encode(spans: readonly OtlpSpan[]): QueuedRequest<'json'> {
    return this.queued(this.encoder.encodeResourceSpans(spans, this.allocate), spans.length);
  }

  discard(request: EncodedRequest<'json'>): void {
    this.pool?.release(request);
  }

  private queued(json: Buffer, spanCount: number): QueuedRequest<'json'> {
    const request = (this.pool === undefined ? ownBytes(json) : json) as Uint8Array as EncodedRequest<'json'>;
    return { request, spanCount, bytes: request.buffer.byteLength };
  }
}

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
