import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeWithin } from '../../src/exporters/encodeWithin.js';

/** "Spans" are their sizes; a body is the bytes of its spans plus 10 bytes of framing. */
const encode = (spans: readonly number[]): Buffer => Buffer.alloc(10 + spans.reduce((a, b) => a + b, 0));
const size = (body: Buffer): number => body.length;

const cases: Array<{ name: string; spans: number[]; max: number; chunks: number[][] }> = [
  { name: 'a batch that fits is one chunk', spans: [10, 20, 30], max: 70, chunks: [[10, 20, 30]] },
  { name: 'an empty batch is one empty chunk', spans: [], max: 70, chunks: [[]] },
  { name: 'a single span over the limit is its own chunk', spans: [500], max: 70, chunks: [[500]] },
  { name: 'runs of about what fits', spans: [10, 10, 10, 10, 10, 10], max: 40, chunks: [[10, 10, 10], [10, 10, 10]] },
  { name: 'a run that still does not fit is halved', spans: [10, 10, 10, 40, 10, 10], max: 50, chunks: [[10, 10], [10], [40], [10, 10]] },
  { name: 'a span over the limit among others stands alone', spans: [10, 10, 300, 10], max: 60, chunks: [[10], [10], [300], [10]] },
];

for (const c of cases) {
  test(`encodeWithin: ${c.name}`, () => {
    const discarded: number[] = [];
    const chunks = encodeWithin(c.spans, encode, c.max, size, (body) => discarded.push(body.length));
    assert.deepEqual(
      chunks.map((chunk) => [...chunk.spans]),
      c.chunks,
    );
    for (const chunk of chunks) {
      assert.equal(chunk.body.length, 10 + chunk.spans.reduce((a, b) => a + b, 0));
      if (chunk.spans.length > 1) assert.ok(chunk.body.length <= c.max, `a chunk of ${chunk.spans.length} is ${chunk.body.length} bytes`);
    }
    assert.deepEqual(chunks.flatMap((chunk) => chunk.spans), c.spans, 'every span once, in order');
    if (c.chunks.length === 1) assert.deepEqual(discarded, [], 'one encode, nothing thrown away');
    else assert.ok(discarded.includes(10 + c.spans.reduce((a, b) => a + b, 0)), 'the whole batch was discarded');
  });
}

test('encodeWithin encodes a batch that fits exactly once', () => {
  let encodes = 0;
  encodeWithin([1, 2, 3], (spans) => {
    encodes++;
    return encode(spans);
  }, 1000, size);
  assert.equal(encodes, 1);
});
