/**
 * What the protobuf fuzz tests share: the span fixtures they corrupt, a seeded PRNG and one
 * random corruption at a time.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ProtoTraceEncoder } from '../../src/otlp/proto/ProtoTraceEncoder.js';
import { makeOtlpSpans, makeSdkSpans } from './everyFieldSpans.js';
import { makeTestSpans } from './makeTestSpans.js';
import { makeRichSpans } from './richSpans.js';

const protoEncoder = new ProtoTraceEncoder();

export async function protobufFixtures(): Promise<Array<{ name: string; spans: ReadableSpan[] }>> {
  return [
    { name: 'every field (SDK)', spans: await makeSdkSpans() },
    { name: 'every field (hand-built)', spans: makeOtlpSpans() },
    { name: 'rich', spans: await makeRichSpans() },
    { name: 'plain test spans', spans: await makeTestSpans(50) },
  ];
}

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random corruption of `bytes`: a byte or bit changed, a truncation, an insertion, a deletion or a duplicated slice. */
export function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = Buffer.from(bytes);
  const at = Math.floor(random() * out.length);
  const byte = Math.floor(random() * 256);
  switch (Math.floor(random() * 6)) {
    case 0:
      out[at] = byte;
      return out;
    case 1:
      out[at]! ^= 1 << Math.floor(random() * 8);
      return out;
    case 2:
      return out.subarray(0, at);
    case 3:
      return Buffer.concat([out.subarray(0, at), Buffer.from([byte]), out.subarray(at)]);
    case 4:
      return Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + Math.floor(random() * 4))]);
    default: {
      const length = 1 + Math.floor(random() * 16);
      return Buffer.concat([out.subarray(0, at), out.subarray(at, at + length), out.subarray(at)]);
    }
  }
}

/**
 * Calls `check` with `rounds` corrupted request bodies, each 1 to 3 corruptions of a fixture
 * encoded by tracepipe or by the stock serializer, the same ones for the same `seed`.
 */
export async function forEachCorruptedBody(seed: number, rounds: number, check: (bytes: Uint8Array, round: number) => void): Promise<void> {
  const random = prng(seed);
  const bodies: Uint8Array[] = [];
  for (const { spans } of await protobufFixtures()) bodies.push(protoEncoder.encode(spans), ProtobufTraceSerializer.serializeRequest(spans)!);
  for (let round = 0; round < rounds; round++) {
    let bytes = bodies[round % bodies.length]!;
    const mutations = 1 + Math.floor(random() * 3);
    for (let m = 0; m < mutations; m++) bytes = mutate(bytes, random);
    check(bytes, round);
  }
}
