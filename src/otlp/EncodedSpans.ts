import { ExportError } from '../errors.js';

/**
 * How the requests of an EncodedSpans are written: protobuf `ExportTraceServiceRequest` bodies,
 * or (for capture files) the OTLP/JSON ResourceSpans of each, comma-separated, as
 * transcodeResourceSpansJson writes them.
 */
export type EncodedFormat = 'protobuf' | 'json';

/**
 * Spans still in their wire form: protobuf `ExportTraceServiceRequest` bodies, each already
 * checked by scanTracesProto, exported as they are instead of being decoded and encoded again;
 * or, when `format` is 'json', their ResourceSpans already in OTLP/JSON.
 * Their concatenation is itself one valid `ExportTraceServiceRequest` holding every request's
 * resource_spans: the protobuf encoding spec says parsing concatenated messages gives the same
 * result as parsing each and merging them, and merging appends repeated fields
 * (https://protobuf.dev/programming-guides/encoding/#last-one-wins).
 */
export class EncodedSpans {
  constructor(
    readonly requests: readonly Uint8Array[],
    /** Spans in all of the requests together. */
    readonly spanCount: number,
    readonly format: EncodedFormat = 'protobuf',
  ) {}

  /** The span count again, so `batch.length` counts the spans of either kind of export batch. */
  get length(): number {
    return this.spanCount;
  }

  /** The requests as one `ExportTraceServiceRequest` body (protobuf requests only). */
  concat(): Buffer {
    // Only a misassembled pipeline gets here: the forwarder queues JSON for capture files only.
    if (this.format !== 'protobuf') throw new ExportError('requests queued as OTLP/JSON cannot be sent as protobuf');
    const requests = this.requests;
    if (requests.length === 1) {
      const only = requests[0]!;
      return Buffer.isBuffer(only) ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
    }
    return Buffer.concat(requests);
  }
}
