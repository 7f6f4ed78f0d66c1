import { parseArgs } from 'node:util';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { JsonTraceEncoder } from '../src/otlp/json/JsonTraceEncoder.js';
import { ProtoTraceEncoder } from '../src/otlp/proto/ProtoTraceEncoder.js';
import { LineBufferPool } from '../src/exporters/file/LineBufferPool.js';
import { makeRealisticSpans } from './makeRealisticSpans.js';

const jsonEncoder = new JsonTraceEncoder();
const protoEncoder = new ProtoTraceEncoder();

/**
 * One encoding run in a fresh process: 512-span batches encoded to bytes, over and over. The
 * batches rotate among several with different ids and values, so an encoder's caches only help
 * as much as they would with real traffic.
 */
export interface EncodingSample {
  spansPerSec: number;
  mbPerSec: number;
  bytesPerBatch: number;
}

export type Encoder = 'tracepipe-json' | 'stock-json' | 'tracepipe-proto' | 'stock-proto';

const BATCH = 512;
const DISTINCT_BATCHES = 4;

function encoderFor(name: Encoder): (spans: ReadableSpan[]) => number {
  switch (name) {
    case 'stock-json':
      return (spans) => JsonTraceSerializer.serializeRequest(spans)!.length;
    case 'stock-proto':
      return (spans) => ProtobufTraceSerializer.serializeRequest(spans)!.length;
    // Bytes ready to write on both sides, as the exporters use them: the file exporter encodes
    // into a Buffer from its LineBufferPool and gives it back once written.
    case 'tracepipe-json': {
      const pool = new LineBufferPool();
      return (spans) => {
        const line = jsonEncoder.encodeBytes(spans, true, pool.allocate);
        pool.release(line);
        return line.length;
      };
    }
    case 'tracepipe-proto':
      return (spans) => protoEncoder.encode(spans).length;
  }
}

const { values } = parseArgs({ options: { encoder: { type: 'string' }, 'duration-ms': { type: 'string' }, 'warmup-cpu-ms': { type: 'string' } } });
const encode = encoderFor(values.encoder as Encoder);
const all = await makeRealisticSpans(BATCH * DISTINCT_BATCHES);
const batches = Array.from({ length: DISTINCT_BATCHES }, (_, i) => all.slice(i * BATCH, (i + 1) * BATCH));

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Encoding before the measured window, counted in the process's CPU time: V8 optimizes the hot
 * paths after enough executions, not after a wall-clock time, and on a shared machine a process
 * may get half a CPU or less (a 300 ms wall-clock warm-up left both sides measured partly before
 * tier-up, which made tracepipe's figure swing from 278k to 697k spans/s across runs).
 */
const warmUp = (cpuBudgetMs: number): void => {
  const until = cpuMs() + cpuBudgetMs;
  for (let i = 0; cpuMs() < until; i++) encode(batches[i % DISTINCT_BATCHES]!);
};

const run = (ms: number) => {
  const deadline = performance.now() + ms;
  let encoded = 0;
  let bytes = 0;
  while (performance.now() < deadline) {
    bytes += encode(batches[encoded % DISTINCT_BATCHES]!);
    encoded++;
  }
  return { encoded, bytes };
};
warmUp(Number(values['warmup-cpu-ms']));
const start = performance.now();
const { encoded, bytes } = run(Number(values['duration-ms']));
const seconds = (performance.now() - start) / 1000;
const sample: EncodingSample = {
  spansPerSec: (encoded * BATCH) / seconds,
  mbPerSec: bytes / seconds / 1e6,
  bytesPerBatch: bytes / encoded,
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
