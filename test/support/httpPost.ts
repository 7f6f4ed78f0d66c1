/**
 * One raw HTTP(S) request with full control of headers and body (chunked when no
 * Content-Length is given). Resolves with the response even when the server answers before the
 * body is sent and closes the connection (413), which a plain client would report as an error.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function httpPost(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string | number>,
  options: { method?: string; tls?: RequestOptions } = {},
): Promise<HttpReply> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      { hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: options.method ?? 'POST', headers, agent: false, ...options.tls },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(body);
  });
}
