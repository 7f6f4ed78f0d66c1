import { parseArgs } from 'node:util';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { encodeTracesJsonBytes } from '../src/encoding/encodeTracesJson.js';
import { encodeTracesProto } from '../src/encoding/encodeTracesProto.js';
import { makeRealisticSpans } from './makeRealisticSpans.js';

/** One encoding run in a fresh process: the same 512-span batch encoded to bytes, over and over. */
export interface EncodingSample {
  spansPerSec: number;
  mbPerSec: number;
  bytesPerBatch: number;
}

export type Encoder = 'tracepipe-json' | 'stock-json' | 'tracepipe-proto' | 'stock-proto';

const BATCH = 512;
const WARMUP_MS = 300;

function encoderFor(name: Encoder): (spans: ReadableSpan[]) => number {
  switch (name) {
    case 'stock-json':
      return (spans) => JsonTraceSerializer.serializeRequest(spans)!.length;
    case 'stock-proto':
      return (spans) => ProtobufTraceSerializer.serializeRequest(spans)!.length;
    // Bytes ready to write on both sides, as the exporters use them.
    case 'tracepipe-json':
      return (spans) => encodeTracesJsonBytes(spans).length;
    case 'tracepipe-proto':
      return (spans) => encodeTracesProto(spans).length;
  }
}

const { values } = parseArgs({ options: { encoder: { type: 'string' }, 'duration-ms': { type: 'string' } } });
const encode = encoderFor(values.encoder as Encoder);
const spans = await makeRealisticSpans(BATCH);

const run = (ms: number) => {
  const deadline = performance.now() + ms;
  let batches = 0;
  let bytes = 0;
  while (performance.now() < deadline) {
    bytes += encode(spans);
    batches++;
  }
  return { batches, bytes };
};
run(WARMUP_MS);
const start = performance.now();
const { batches, bytes } = run(Number(values['duration-ms']));
const seconds = (performance.now() - start) / 1000;
const sample: EncodingSample = {
  spansPerSec: (batches * BATCH) / seconds,
  mbPerSec: bytes / seconds / 1e6,
  bytesPerBatch: bytes / batches,
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
