/**
 * The wire form an exporter takes requests in, and so the form the forwarder queues them in:
 * protobuf `ExportTraceServiceRequest` bodies, or the OTLP/JSON ResourceSpans of each request,
 * comma-separated, with no `{"resourceSpans":[` around them (capture lines, OTLP/HTTP JSON).
 */
export type WireForm = 'protobuf' | 'json';

declare const FORM: unique symbol;

/**
 * One request's bytes in wire form F. The brand exists only for the type checker: a request
 * encoded for one form cannot be queued for an exporter of the other, so a mis-assembled
 * pipeline does not compile.
 */
export type EncodedRequest<F extends WireForm> = Uint8Array & { readonly [FORM]: F };

/**
 * Spans still in their wire form: requests the forwarder received, already checked, exported as
 * they are instead of being decoded and encoded again.
 * Concatenated protobuf requests are themselves one valid `ExportTraceServiceRequest` holding every
 * request's resource_spans: parsing concatenated messages gives the result of parsing each and
 * merging them, and merging appends repeated fields
 * (https://protobuf.dev/programming-guides/encoding/#last-one-wins).
 */
export class EncodedSpans<F extends WireForm = WireForm> {
  /** Spans in all of the requests together. */
  readonly spanCount: number;
  /** The requests' bytes together (not what holding them costs). */
  readonly wireBytes: number;

  constructor(
    readonly form: F,
    readonly requests: readonly EncodedRequest<F>[],
    /** Spans in each request, so a batch can be split between requests. */
    readonly spanCounts: readonly number[],
  ) {
    let spans = 0;
    let bytes = 0;
    for (let i = 0; i < requests.length; i++) {
      spans += spanCounts[i]!;
      bytes += requests[i]!.byteLength;
    }
    this.spanCount = spans;
    this.wireBytes = bytes;
  }

  /** The size of the one document the requests make (a request body, a capture line). */
  get documentBytes(): number {
    return this.wireBytes + framingBytes(this.form, this.requests.length);
  }

  /** The span count again, so `batch.length` counts the spans of either kind of export batch. */
  get length(): number {
    return this.spanCount;
  }

  /** The first `n` requests, and the rest, as batches of their own. */
  split(n: number): [EncodedSpans<F>, EncodedSpans<F>] {
    return [
      new EncodedSpans(this.form, this.requests.slice(0, n), this.spanCounts.slice(0, n)),
      new EncodedSpans(this.form, this.requests.slice(n), this.spanCounts.slice(n)),
    ];
  }
}

/** Narrows a batch by its form (the one run-time check behind the types). */
export function isForm<F extends WireForm>(batch: EncodedSpans, form: F): batch is EncodedSpans<F> {
  return batch.form === form;
}

/**
 * What `requests` requests of form F add around their own bytes as one document: for JSON
 * `{"resourceSpans":[`, the commas, `]}` and a capture line's newline; nothing for protobuf.
 */
export function framingBytes(form: WireForm, requests: number): number {
  return form === 'json' ? JSON_FRAMING + requests : 0;
}

const JSON_FRAMING = '{"resourceSpans":[]}\n'.length;

/** The requests as one `ExportTraceServiceRequest` body. */
export function concatProtobuf(batch: EncodedSpans<'protobuf'>): Buffer {
  const requests = batch.requests;
  if (requests.length === 1) {
    const only = requests[0]!;
    return Buffer.isBuffer(only) ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  }
  return Buffer.concat(requests);
}
