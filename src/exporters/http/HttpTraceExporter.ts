import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { HttpTarget } from '../../config/ExporterTarget.js';
import type { TlsMaterial } from '../../config/TracepipeConfig.js';
import type { PipelineStats } from '../../diagnostics/PipelineStats.js';
import { EncodedSpans } from '../../encoding/EncodedSpans.js';
import { joinedResourceSpans } from '../../encoding/joinedResourceSpans.js';
import { encodeTracesJsonBytes } from '../../encoding/encodeTracesJson.js';
import { encodeTracesProto } from '../../encoding/encodeTracesProto.js';
import { transcodeTracesJson } from '../../encoding/transcodeTracesJson.js';
import { ExportError } from '../../errors.js';
import type { Logger } from '../../logger.js';
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
 * fallback. Requests the forwarder received (EncodedSpans) are sent as they came in protobuf,
 * or transcoded to JSON. One attempt per `send`; retries belong to RetryingExporter.
 */
export class HttpTraceExporter implements ExportTransport<Buffer> {
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

  constructor(target: HttpTarget, options: HttpTraceExporterOptions) {
    this.url = new URL(target.endpoint);
    this.timeoutMs = options.timeoutMs;
    this.json = target.encoding === 'json';
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
      if (!this.json) return batch.concat();
      return batch.format === 'json' ? Buffer.concat(joinedResourceSpans(batch.requests, false)) : transcodeTracesJson(batch.requests);
    }
    return this.json ? encodeTracesJsonBytes(batch) : toBuffer(encodeTracesProto(batch));
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
    return json ? PartialSuccess.fromJson(response.body.toString('utf8')) : PartialSuccess.fromProto(response.body);
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
