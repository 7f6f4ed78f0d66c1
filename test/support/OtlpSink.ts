/**
 * A real OTLP trace sink for tests: OTLP/gRPC and OTLP/HTTP (protobuf and JSON, gzip or not)
 * on 127.0.0.1, port 0, optionally with TLS or mTLS. It decodes every request with protobufjs
 * (see plainSpans.ts) and records the spans as plain objects.
 *
 *   const sink = await OtlpSink.start();                 // or start({ tls: { cert, key, clientCa } })
 *   sink.grpcUrl      'grpc://localhost:PORT'             (`localhost` so TLS names match)
 *   sink.grpcAddress  'localhost:PORT'
 *   sink.httpUrl      'http(s)://localhost:PORT/v1/traces'
 *   sink.spans        PlainSpan[] accepted so far, in arrival order
 *   sink.requests     every request seen: transport, encoding, compressed, spans, outcome
 *   await sink.waitForSpans(n)        resolves with the spans once n have arrived (rejects after a timeout)
 *   sink.failNext(n, 'UNAVAILABLE' | 503 | 429 | ..., { retryAfterMs })
 *       the next n requests (either transport) fail; gRPC names and HTTP codes are mapped to
 *       each other (UNAVAILABLE↔503, RESOURCE_EXHAUSTED↔429, INVALID_ARGUMENT↔400,
 *       DEADLINE_EXCEEDED↔504, UNAUTHENTICATED↔401, INTERNAL↔500); retryAfterMs becomes an
 *       HTTP Retry-After header (whole seconds, rounded up) or a gRPC RetryInfo detail
 *   sink.partialSuccess = { rejectedSpans, errorMessage }   answer every later request with it
 *   sink.recover()                 drop the failures failNext still has queued
 *   sink.refuseSpansNamed = 'poison'   refuse a request holding a span of that name whole
 *       (INVALID_ARGUMENT / 400), as a destination that validates content refuses a bad request
 *   start({ maxReceiveBytes })   a Collector's receive limit: larger gRPC messages are refused by
 *       grpc-js (RESOURCE_EXHAUSTED), larger HTTP bodies with 413; 256 MiB when unset
 *   sink.stall() / sink.resume()   hold requests unanswered / process the held ones
 *   sink.stalledRequests           how many requests are held right now
 *   sink.clear()                   forget spans and requests
 *   await sink.close()
 * Empty requests (probes) are answered and counted in `requests` but add no spans.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Metadata, Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { OtlpMessages } from '../../src/otlp/OtlpMessages.js';
import { RETRY_INFO_TYPE_URL, RpcStatusMessages } from '../../src/exporters/decodeRpcStatus.js';
import { plainSpansFromJson, plainSpansFromProto, type PlainSpan } from './plainSpans.js';

const { ExportTraceServiceResponse } = new OtlpMessages();
const { RetryInfo, RpcStatus } = new RpcStatusMessages();

export type GrpcFailure = keyof typeof GrpcStatus & string;
export type Failure = GrpcFailure | number;

export interface SinkTls {
  /** File paths (PEM). */
  cert: string;
  key: string;
  /** When set, clients must present a certificate signed by this CA. */
  clientCa?: string;
}

export interface SinkRequest {
  transport: 'grpc' | 'http';
  encoding: 'protobuf' | 'json';
  compressed: boolean;
  spans: number;
  /** 'ok', or what the sink answered instead ('UNAVAILABLE', '503', 'invalid: ...'). */
  outcome: string;
  headers: Record<string, string | string[] | undefined>;
}

interface Reply {
  /** Success, or a failure in both vocabularies. */
  grpc: number;
  http: number;
  retryAfterMs: number | undefined;
  message: string;
}

const HTTP_OF_GRPC: Record<number, number> = {
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.INTERNAL]: 500,
};
const GRPC_OF_HTTP: Record<number, number> = Object.fromEntries(Object.entries(HTTP_OF_GRPC).map(([g, h]) => [h, Number(g)]));

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const pass = (b: Buffer): Buffer => b;
const SERVICE: ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: pass,
    requestDeserialize: pass,
    responseSerialize: pass,
    responseDeserialize: pass,
  },
};

export class OtlpSink {
  readonly spans: PlainSpan[] = [];
  readonly requests: SinkRequest[] = [];
  partialSuccess: { rejectedSpans: number; errorMessage: string } | undefined;
  refuseSpansNamed: string | undefined;

  private failures: Array<{ count: number; reply: Reply }> = [];
  private held: Array<() => void> | undefined;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly grpc: Server,
    private readonly http: HttpServer,
    readonly grpcAddress: string,
    readonly httpUrl: string,
    private readonly maxReceiveBytes: number,
  ) {}

  get grpcUrl(): string {
    return `grpc://${this.grpcAddress}`;
  }

  static async start(options: { tls?: SinkTls; maxReceiveBytes?: number } = {}): Promise<OtlpSink> {
    const tls = options.tls;
    const maxReceiveBytes = options.maxReceiveBytes ?? 256 << 20;
    const grpc = new Server({ 'grpc.max_receive_message_length': maxReceiveBytes });
    const credentials =
      tls === undefined
        ? ServerCredentials.createInsecure()
        : ServerCredentials.createSsl(
            tls.clientCa === undefined ? null : readFileSync(tls.clientCa),
            [{ private_key: readFileSync(tls.key), cert_chain: readFileSync(tls.cert) }],
            tls.clientCa !== undefined,
          );
    const grpcPort = await new Promise<number>((resolve, reject) =>
      grpc.bindAsync('127.0.0.1:0', credentials, (error, port) => (error ? reject(error) : resolve(port))),
    );
    let sink: OtlpSink | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => sink!.onHttp(req, res);
    const http =
      tls === undefined
        ? createHttpServer(handler)
        : createHttpsServer(
            {
              cert: readFileSync(tls.cert),
              key: readFileSync(tls.key),
              ...(tls.clientCa !== undefined && { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: true }),
            },
            handler,
          );
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    const httpPort = (http.address() as AddressInfo).port;
    sink = new OtlpSink(grpc, http, `localhost:${grpcPort}`, `${tls ? 'https' : 'http'}://localhost:${httpPort}/v1/traces`, maxReceiveBytes);
    grpc.addService(SERVICE, { Export: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => sink!.onGrpc(call, cb) });
    return sink;
  }

  failNext(count: number, failure: Failure, options: { retryAfterMs?: number; message?: string } = {}): void {
    const grpc = typeof failure === 'number' ? (GRPC_OF_HTTP[failure] ?? GrpcStatus.INTERNAL) : GrpcStatus[failure];
    const http = typeof failure === 'number' ? failure : (HTTP_OF_GRPC[grpc] ?? 500);
    this.failures.push({ count, reply: { grpc, http, retryAfterMs: options.retryAfterMs, message: options.message ?? `test sink: ${failure}` } });
  }

  /** Forgets the failures still queued by failNext: the sink answers normally again. */
  recover(): void {
    this.failures.length = 0;
  }

  stall(): void {
    this.held ??= [];
  }

  get stalledRequests(): number {
    return this.held?.length ?? 0;
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const run of held) run();
  }

  clear(): void {
    this.spans.length = 0;
    this.requests.length = 0;
  }

  /** Resolves with all spans once at least `count` have arrived. */
  waitForSpans(count: number, timeoutMs = 20_000): Promise<PlainSpan[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.spans.length < count) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(this.spans);
        return true;
      };
      const waiter = () => void check();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`sink received ${this.spans.length} of ${count} spans within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.held = undefined;
    this.grpc.forceShutdown();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** The failure for the next request, if one is queued. */
  private nextFailure(): Reply | undefined {
    const head = this.failures[0];
    if (head === undefined) return undefined;
    if (--head.count <= 0) this.failures.shift();
    return head.reply;
  }

  private whenNotStalled(run: () => void): void {
    if (this.held) this.held.push(run);
    else run();
  }

  private accept(spans: PlainSpan[]): void {
    this.spans.push(...spans);
    for (const w of [...this.waiters]) w();
  }

  private onGrpc(call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void {
    const headers = call.metadata.getMap() as Record<string, string>;
    const record = (spans: number, outcome: string) =>
      this.requests.push({ transport: 'grpc', encoding: 'protobuf', compressed: headers['grpc-encoding'] === 'gzip', spans, outcome, headers });
    this.whenNotStalled(() => {
      if (call.cancelled) return record(0, 'cancelled');
      const failure = this.nextFailure();
      if (failure !== undefined) {
        record(0, GrpcStatus[failure.grpc]!);
        const metadata = new Metadata();
        if (failure.retryAfterMs !== undefined) metadata.set('grpc-status-details-bin', rpcStatusWithRetry(failure));
        return cb({ code: failure.grpc, details: failure.message, metadata });
      }
      let spans: PlainSpan[];
      try {
        spans = this.refuseNamed(plainSpansFromProto(call.request));
      } catch (error) {
        record(0, `invalid: ${(error as Error).message}`);
        return cb({ code: GrpcStatus.INVALID_ARGUMENT, details: (error as Error).message });
      }
      record(spans.length, 'ok');
      this.accept(spans);
      cb(null, this.responseBytes());
    });
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (req.headers['content-type'] ?? '').startsWith('application/json');
      const compressed = req.headers['content-encoding'] === 'gzip';
      const record = (spans: number, outcome: string) =>
        this.requests.push({ transport: 'http', encoding: json ? 'json' : 'protobuf', compressed, spans, outcome, headers: req.headers });
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        record(0, '404');
        res.writeHead(404).end();
        return;
      }
      this.whenNotStalled(() => {
        if (req.socket.destroyed) return record(0, 'cancelled');
        const failure = this.nextFailure();
        if (failure !== undefined) {
          record(0, String(failure.http));
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (failure.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(failure.retryAfterMs / 1000));
          res.writeHead(failure.http, headers).end(JSON.stringify({ code: failure.grpc, message: failure.message }));
          return;
        }
        const received = Buffer.concat(chunks);
        if (received.length > this.maxReceiveBytes) {
          record(0, '413');
          res.writeHead(413).end();
          return;
        }
        let spans: PlainSpan[];
        try {
          const body = compressed ? gunzipSync(received) : received;
          spans = this.refuseNamed(json ? plainSpansFromJson(body.toString('utf8')) : plainSpansFromProto(body));
        } catch (error) {
          record(0, `invalid: ${(error as Error).message}`);
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: (error as Error).message }));
          return;
        }
        record(spans.length, 'ok');
        this.accept(spans);
        if (json) {
          const body = this.partialSuccess === undefined ? {} : { partialSuccess: { ...this.partialSuccess, rejectedSpans: String(this.partialSuccess.rejectedSpans) } };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        } else {
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(this.responseBytes());
        }
      });
    });
  }

  private refuseNamed(spans: PlainSpan[]): PlainSpan[] {
    const name = this.refuseSpansNamed;
    if (name !== undefined && spans.some((span) => span.name === name)) throw new Error(`a span is named ${name}`);
    return spans;
  }

  private responseBytes(): Buffer {
    if (this.partialSuccess === undefined) return Buffer.alloc(0);
    const message = ExportTraceServiceResponse.fromObject({ partialSuccess: this.partialSuccess });
    return Buffer.from(ExportTraceServiceResponse.encode(message).finish());
  }
}

function rpcStatusWithRetry(failure: Reply): Buffer {
  const ms = failure.retryAfterMs ?? 0;
  const retryInfo = RetryInfo.encode(RetryInfo.fromObject({ retry_delay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } })).finish();
  const status = RpcStatus.fromObject({ code: failure.grpc, message: failure.message, details: [{ type_url: RETRY_INFO_TYPE_URL, value: retryInfo }] });
  return Buffer.from(RpcStatus.encode(status).finish());
}
