import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { DEFAULT_MAX_EXPORT_BATCH_BYTES, type HttpTarget } from '../../config/ExporterTarget.js';
import type { TlsMaterial } from '../../config/TracepipeConfig.js';
import type { PipelineStats } from '../../stats/PipelineStats.js';
import { joinedResourceSpans } from '../../otlp/joinedResourceSpans.js';
import { JsonTraceEncoder } from '../../otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../../otlp/proto/ProtoTraceEncoder.js';
import { ExportError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { concatProtobuf, EncodedSpans, isForm, type WireForm } from '../../pipeline/EncodedSpans.js';
import { httpsClientOptions } from '../../tls/httpsClientOptions.js';
import { VERSION } from '../../version.js';
import type { ExportTransport } from '../ExportTransport.js';
import { InFlight } from '../InFlight.js';
import { PartialSuccess, type PartialSuccessInfo } from '../PartialSuccess.js';
import { httpExportError, httpResponseError } from './httpExportError.js';

const gzip = promisify(gzipCallback);

/** A success or error body larger than this is not ours to read; the status still counts. */
const MAX_RESPONSE_BYTES = 1 << 20;

export interface HttpTraceExporterOptions {
  /** Used only for `https:` targets: `ca_certs` (system roots when none) and the client keypair. */
  tls?: TlsMaterial | undefined;
  timeoutMs: number;
  /** The largest request body sent, before compression: what the destination accepts (DEFAULT_MAX_EXPORT_BATCH_BYTES by default). */
  maxBatchBytes?: number;
  stats: PipelineStats;
  logger: Logger;
  /** Sent with every request (lowercased names, checked by the config: none that the exporter sets). */
  headers?: Record<string, string> | undefined;
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * OTLP/HTTP: one POST per batch over a keep-alive agent, protobuf by default or JSON
 * (`?encoding=json`), optionally gzipped. `https:` always uses TLS; there is no plaintext
 * fallback. Requests the forwarder received (EncodedSpans, in this exporter's wire form) are
 * sent as they came, joined. One attempt per `send`; retries belong to RetryingExporter.
 */
export class HttpTraceExporter implements ExportTransport {
  readonly wireForm: WireForm;
  readonly maxBatchBytes: number;
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly timeoutMs: number;
  private readonly json: boolean;
  private readonly gzip: boolean;
  private readonly headers: OutgoingHttpHeaders;
  private readonly emptyBody: Buffer;
  private readonly partial: PartialSuccess;
  private readonly description: string;
  private readonly inFlight: InFlight;
  /** The encoder of this exporter's wire form, made once: each keeps a reused buffer. */
  private readonly encodeSpans: (spans: readonly ReadableSpan[]) => Buffer;

  constructor(target: HttpTarget, options: HttpTraceExporterOptions) {
    this.url = new URL(target.endpoint);
    this.timeoutMs = options.timeoutMs;
    this.json = target.encoding === 'json';
    this.wireForm = target.encoding;
    if (this.json) {
      const encoder = new JsonTraceEncoder();
      this.encodeSpans = (spans) => encoder.encodeBytes(spans);
    } else {
      const encoder = new ProtoTraceEncoder();
      this.encodeSpans = (spans) => encoder.encode(spans);
    }
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_EXPORT_BATCH_BYTES;
    this.gzip = target.compression === 'gzip';
    this.agent = target.secure
      ? new HttpsAgent({ keepAlive: true, ...httpsClientOptions(options.tls) })
      : new HttpAgent({ keepAlive: true });
    this.request = target.secure ? httpsRequest : httpRequest;
    this.headers = {
      ...options.headers,
      'content-type': this.json ? 'application/json' : 'application/x-protobuf',
      'user-agent': `tracepipe/${VERSION}`,
      ...(this.gzip && { 'content-encoding': 'gzip' }),
    };
    this.emptyBody = Buffer.from(this.json ? '{}' : '');
    this.description = `${target.secure ? 'https' : 'http'} ${target.endpoint}${this.json ? ' json' : ''}${this.gzip ? ' gzip' : ''}`;
    this.partial = new PartialSuccess(options.stats, options.logger, this.description);
    this.inFlight = new InFlight(this.description);
  }

  async export(batch: readonly ReadableSpan[] | EncodedSpans): Promise<number> {
    return this.send(this.encode(batch), batch.length, performance.now() + this.timeoutMs);
  }

  /** The uncompressed body; gzip happens per attempt, off the main thread. */
  encode(batch: readonly ReadableSpan[] | EncodedSpans): Buffer {
    if (batch instanceof EncodedSpans) {
      return isForm(batch, 'json') ? Buffer.concat(joinedResourceSpans(batch.requests, false)) : concatProtobuf(batch as EncodedSpans<'protobuf'>);
    }
    return this.encodeSpans(batch);
  }

  async send(body: Buffer, spanCount: number, deadline: number): Promise<number> {
    const response = await this.inFlight.run(() => this.post(body, deadline));
    return this.partial.count(this.readPartialSuccess(response), spanCount);
  }

  /** An empty export request: checks the connection, TLS and the endpoint path at once. */
  async probe(): Promise<void> {
    await this.inFlight.run(() => this.post(this.emptyBody, performance.now() + this.timeoutMs));
  }

  forceFlush(): Promise<void> {
    return this.inFlight.settled();
  }

  /** Waits for requests in flight, gzip included, then closes the kept-alive sockets. */
  shutdown(): Promise<void> {
    return this.inFlight.close(() => this.agent.destroy());
  }

  toString(): string {
    return this.description;
  }

  private async post(body: Buffer, deadline: number): Promise<Response> {
    const payload = this.gzip ? await gzip(body) : body;
    const response = await this.exchange(payload, deadline);
    if (response.status < 200 || response.status > 299) throw httpResponseError(response, this.description);
    return response;
  }

  private exchange(payload: Buffer, deadline: number): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      const req = this.request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.headers, 'content-length': payload.length },
      });
      const timer = setTimeout(() => {
        req.destroy(
          new ExportError(`${this.description}: no response within the ${this.timeoutMs} ms export timeout`, {
            code: 'TRACEPIPE_EXPORT_TIMEOUT',
            retryable: true,
          }),
        );
      }, Math.max(0, deadline - performance.now()));
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error instanceof ExportError ? error : httpExportError(error, this.description));
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(payload);
    });
  }

  private readPartialSuccess(response: Response): PartialSuccessInfo {
    const json = (response.headers['content-type'] ?? '').includes('json');
    return json ? PartialSuccess.fromJson(response.body.toString('utf8')) : this.partial.fromProto(response.body);
  }
}
