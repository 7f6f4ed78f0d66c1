import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DEFAULT_HTTP_PATH } from '../config/ExporterTarget.js';
import { encodeExportResponse, exportResponseJson } from './encodeExportResponse.js';
import { encodeRpcStatus, rpcStatusJson } from './encodeRpcStatus.js';
import { discardBody } from './discardBody.js';
import { readLimitedBody } from './readLimitedBody.js';
import { senderIdentity } from './senderIdentity.js';
import { type IntakeResult, RETRY_DELAY_MS } from './SpanIntake.js';
import type { ReceiverOptions } from './ReceiverOptions.js';


type Encoding = 'protobuf' | 'json';

const CONTENT_TYPES: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** google.rpc.Code values used in error bodies. */
const RPC_INVALID_ARGUMENT = 3;
const RPC_RESOURCE_EXHAUSTED = 8;
const RPC_INTERNAL = 13;
const RPC_UNAVAILABLE = 14;
const RPC_NOT_FOUND = 5;
const RPC_UNIMPLEMENTED = 12;

/** OTLP/HTTP `POST /v1/traces`, binary protobuf or JSON, optionally gzip'd. */
export class HttpReceiver {
  /** The bound `host:port` (the real port when 0 was asked for). */
  readonly address: string;
  /** `http://host:port/v1/traces` (or https). */
  readonly url: string;
  private readonly server: Server;
  private readonly state: { closing: boolean };

  private constructor(server: Server, state: { closing: boolean }, address: string, url: string) {
    this.server = server;
    this.state = state;
    this.address = address;
    this.url = url;
  }

  static async start(options: ReceiverOptions): Promise<HttpReceiver> {
    const state = { closing: false };
    const handler = requestHandler(options, state);
    const tls = options.tls;
    // Node checks headersTimeout and requestTimeout every connectionsCheckingInterval (30 s by default).
    const timeouts = {
      headersTimeout: options.handshakeTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.idleTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(options.handshakeTimeoutMs / 4))),
    };
    const server: Server =
      tls === undefined
        ? createHttpServer(timeouts, handler)
        : createHttpsServer(
            {
              ...timeouts,
              handshakeTimeout: options.handshakeTimeoutMs,
              cert: tls.cert,
              key: tls.key,
              ca: tls.clientCa,
              requestCert: tls.clientCa !== undefined,
              rejectUnauthorized: tls.clientCa !== undefined,
            },
            handler,
          );
    const colon = options.address.lastIndexOf(':');
    const host = options.address.slice(0, colon);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(options.address.slice(colon + 1)), host.replace(/^\[(.*)\]$/, '$1'), () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A listening server's errors (EMFILE...) are logged, never thrown out of the event loop.
    server.on('error', (err) => options.logger.error({ error: err.message }, 'OTLP/HTTP receiver error'));
    const port = (server.address() as AddressInfo).port;
    const address = `${host}:${port}`;
    return new HttpReceiver(server, state, address, `${tls === undefined ? 'http' : 'https'}://${address}${DEFAULT_HTTP_PATH}`);
  }

  /** Stops accepting connections, lets requests in progress finish for up to `timeoutMs`, then cuts the rest. */
  close(timeoutMs: number): Promise<void> {
    this.state.closing = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.closeAllConnections(), timeoutMs);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }
}

function requestHandler(options: ReceiverOptions, state: { closing: boolean }): (req: IncomingMessage, res: ServerResponse) => void {
  const { intake, stats, maxRequestBytes, logger } = options;
  const tagging = intake.tagSenderAttribute !== undefined;
  const mtls = options.tls?.clientCa !== undefined;

  const reply = (req: IncomingMessage, res: ServerResponse, status: number, encoding: Encoding, body: Uint8Array | string): void => {
    stats.recordRequest('http', status);
    res.statusCode = status;
    res.setHeader('Content-Type', CONTENT_TYPES[encoding]);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    // Requests in progress at shutdown are answered; their keep-alive connections are not kept.
    if (state.closing) res.setHeader('Connection', 'close');
    res.end(body);
    discardBody(req, maxRequestBytes);
  };
  const fail = (req: IncomingMessage, res: ServerResponse, status: number, rpcCode: number, encoding: Encoding, message: string): void =>
    reply(req, res, status, encoding, encoding === 'json' ? rpcStatusJson(rpcCode, message) : encodeRpcStatus(rpcCode, message));

  const refuseFull = (req: IncomingMessage, res: ServerResponse, encoding: Encoding): void => {
    res.setHeader('Retry-After', String(Math.ceil(RETRY_DELAY_MS / 1000)));
    fail(req, res, 429, RPC_RESOURCE_EXHAUSTED, encoding, 'forwarder queue is full, retry later');
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const encoding = encodingOf(req.headers['content-type']);
    const replyEncoding = encoding ?? 'json';
    if (path !== DEFAULT_HTTP_PATH) {
      return fail(req, res, 404, RPC_NOT_FOUND, replyEncoding, `unknown path ${path}; OTLP traces go to POST ${DEFAULT_HTTP_PATH}`);
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return fail(req, res, 405, RPC_UNIMPLEMENTED, replyEncoding, `method ${req.method} is not allowed; use POST`);
    }
    if (encoding === undefined) {
      return fail(
        req,
        res,
        415,
        RPC_INVALID_ARGUMENT,
        'json',
        `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}; use application/x-protobuf or application/json`,
      );
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      return fail(req, res, 415, RPC_INVALID_ARGUMENT, encoding, `unsupported content encoding ${JSON.stringify(contentEncoding)}; use gzip or none`);
    }
    const declared = Number(req.headers['content-length']);
    // The body's memory is taken from the queue budget before it is read (BodyBudget): the
    // declared length up front, the rest (chunked, or gunzipped past it) as it arrives.
    let reserved = 0;
    const reserve = (size: number): boolean => {
      if (size <= reserved) return true;
      if (!intake.reserve(size - reserved)) return false;
      reserved = size;
      return true;
    };
    const release = (): void => {
      intake.release(reserved);
      reserved = 0;
    };
    if (Number.isFinite(declared) && declared <= maxRequestBytes && (!intake.hasRoomFor(declared) || !reserve(declared))) {
      intake.full();
      return refuseFull(req, res, encoding);
    }
    const sender = tagging
      ? senderIdentity(req.socket.remoteAddress, mtls ? (req.socket as TLSSocket).getPeerCertificate() : undefined)
      : undefined;
    readLimitedBody(req, maxRequestBytes, contentEncoding === 'gzip', reserve).then((read) => {
      release();
      if (!read.ok) {
        if (read.status === 429) {
          intake.full();
          return refuseFull(req, res, encoding);
        }
        return fail(req, res, read.status, read.status === 413 ? RPC_RESOURCE_EXHAUSTED : RPC_INVALID_ARGUMENT, encoding, read.message);
      }
      let result: IntakeResult;
      try {
        result = encoding === 'json' ? intake.acceptJson(read.body, 'http', sender) : intake.acceptProto(read.body, 'http', sender);
      } catch (err) {
        logger.error({ error: (err as Error).message }, 'receiver failed on an HTTP request');
        return fail(req, res, 500, RPC_INTERNAL, encoding, 'internal error');
      }
      switch (result.kind) {
        case 'accepted': {
          const answer = () =>
            reply(
              req,
              res,
              200,
              encoding,
              encoding === 'json' ? exportResponseJson(result.rejected, result.message) : encodeExportResponse(result.rejected, result.message),
            );
          // Acknowledged only once its bytes are in the durable log.
          if (result.durable === undefined) return answer();
          return result.durable.then(answer, () => fail(req, res, 503, RPC_UNAVAILABLE, encoding, 'forwarder queue log could not be written, retry later'));
        }
        case 'invalid':
          return fail(req, res, 400, RPC_INVALID_ARGUMENT, encoding, result.message);
        case 'full':
          return refuseFull(req, res, encoding);
        case 'tooLarge':
          return fail(req, res, 413, RPC_RESOURCE_EXHAUSTED, encoding, result.message);
      }
    }).catch((err: unknown) => {
      release();
      // One broken request must never take the process down.
      logger.error({ error: (err as Error).message }, 'receiver failed to answer an HTTP request');
      res.destroy();
    });
  };
}

function encodingOf(contentType: string | undefined): Encoding | undefined {
  if (contentType === undefined) return undefined;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (media === 'application/x-protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}
