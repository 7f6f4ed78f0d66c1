import * as grpc from '@grpc/grpc-js';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { makeRealisticSpans } from './makeRealisticSpans.js';

/**
 * An OTLP sender that costs next to nothing per request: one 512-span protobuf request,
 * encoded once, sent over and over with several in flight. Back-pressure answers
 * (RESOURCE_EXHAUSTED, 429, 503) are counted and retried as a well-behaved sender does: after
 * the HTTP `Retry-After`, or after 1 s (the OTLP exporters' first backoff) when none is given.
 */
export interface LoadSample {
  acked: number;
  rejected: number;
  windowMs: number;
}

const BATCH = 512;
const { values } = parseArgs({
  options: {
    transport: { type: 'string' },
    address: { type: 'string' },
    'duration-ms': { type: 'string' },
    /** Sent but not counted: the receiver's JIT warms up first. */
    'warmup-ms': { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '8' },
  },
});
const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(await makeRealisticSpans(BATCH))!);
const DEFAULT_RETRY_MS = 1000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `true` when accepted, else how long the receiver asked the sender to wait. */
type Send = () => Promise<true | { retryAfterMs: number }>;
let send: Send;
let close = () => {};
if (values.transport === 'grpc') {
  const passthrough = (b: Buffer) => b;
  const client = new grpc.Client(values.address!, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  send = () =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        passthrough,
        passthrough,
        body,
        (err) => {
          if (!err) resolve(true);
          else if (err.code === grpc.status.RESOURCE_EXHAUSTED || err.code === grpc.status.UNAVAILABLE) resolve({ retryAfterMs: DEFAULT_RETRY_MS });
          else reject(err);
        },
      ),
    );
  close = () => client.close();
} else {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const [host, port] = values.address!.split(':');
  send = () =>
    new Promise((resolve, reject) => {
      const req = request(
        { host, port: Number(port), path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) resolve(true);
            else if (res.statusCode === 429 || res.statusCode === 503) {
              const seconds = Number(res.headers['retry-after']);
              resolve({ retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_RETRY_MS });
            }
            else reject(new Error(`HTTP ${res.statusCode}`));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  close = () => agent.destroy();
}

const start = performance.now() + Number(values['warmup-ms']);
const deadline = start + Number(values['duration-ms']);
let acked = 0;
let rejected = 0;
async function lane(): Promise<void> {
  while (performance.now() < deadline) {
    const outcome = await send();
    const counted = performance.now() >= start;
    if (outcome === true) {
      if (counted) acked += BATCH;
    } else {
      if (counted) rejected++;
      await pause(Math.min(outcome.retryAfterMs, deadline - performance.now()));
    }
  }
}
await Promise.all(Array.from({ length: Number(values.concurrency) }, lane));
const sample: LoadSample = { acked, rejected, windowMs: performance.now() - start };
close();
process.stdout.write(`${JSON.stringify(sample)}\n`);
