import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OtlpResource } from '../../src/otlp/OtlpResource.js';
import { makeOtlpSpans } from '../support/everyFieldSpans.js';

describe('OtlpSpan', () => {
  it('exposes OTLP flags through the SDK span context and parent context', () => {
    const [withRemoteParent, root] = makeOtlpSpans();
    assert.deepStrictEqual(withRemoteParent!.spanContext(), {
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      traceFlags: 1,
      traceState: withRemoteParent!.spanContext().traceState,
    });
    assert.deepStrictEqual(withRemoteParent!.parentSpanContext, {
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b173',
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(root!.parentSpanContext, undefined);
    assert.equal(root!.spanContext().traceFlags, 0xff, 'the low byte of 0x1ff');
    assert.equal(root!.ended, true);
  });

  it('computes the duration across a second boundary', () => {
    const [span] = makeOtlpSpans();
    const shifted = Object.assign(Object.create(Object.getPrototypeOf(span)), span, {
      startTime: [10, 900_000_000],
      endTime: [12, 100_000_000],
    });
    assert.deepStrictEqual(shifted.duration, [1, 200_000_000]);
  });
});

describe('OtlpResource', () => {
  it('merges like an SDK resource (the other wins) and keeps its dropped count', () => {
    const resource = new OtlpResource({ a: 1, b: 2 }, 'https://one', 4);
    const merged = resource.merge(resourceFromAttributes({ b: 3, c: 4 }, { schemaUrl: 'https://two' })) as OtlpResource;
    assert.deepStrictEqual(merged.attributes, { a: 1, b: 3, c: 4 });
    assert.equal(merged.schemaUrl, 'https://two');
    assert.equal(merged.droppedAttributesCount, 4);
    assert.equal(resource.merge(null), resource);
    assert.deepStrictEqual(resource.getRawAttributes(), [['a', 1], ['b', 2]]);
    assert.equal(resource.asyncAttributesPending, false);
  });
});
