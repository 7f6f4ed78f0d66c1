import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Attributes, type AttributeValue, type DiagLogger, diag, DiagLogLevel } from '@opentelemetry/api';
import { AlwaysOnSampler, type SpanLimits, TracerProvider } from '@opentelemetry/sdk-trace';
import { SpanAttributes } from '../../src/span/SpanAttributes.js';

type Op = ['set', string, unknown] | ['setAll', Attributes] | ['mutate', (held: unknown[][]) => void];

interface Case {
  name: string;
  limits: SpanLimits;
  ops: Op[];
}

const SDK_DEFAULTS: SpanLimits = { attributeCountLimit: 128, attributeValueLengthLimit: Infinity };
const manyKeys: Op[] = Array.from({ length: 40 }, (_, i): Op => ['set', `key.${i % 25}`, i]);

const CASES: Case[] = [
  {
    name: 'every attribute value type',
    limits: SDK_DEFAULTS,
    ops: [
      ['set', 'string', 'GET'],
      ['set', 'int', 200],
      ['set', 'double', 0.25],
      ['set', 'bool', false],
      ['set', 'strings', ['a', 'b']],
      ['set', 'numbers', [1, 2.5]],
      ['set', 'bools', [true, false]],
      ['set', 'with holes', ['a', null, undefined]],
      ['set', 'empty array', []],
      ['set', 'empty string', ''],
    ],
  },
  { name: 'null and undefined are ignored', limits: SDK_DEFAULTS, ops: [['set', 'a', null], ['set', 'b', undefined], ['set', 'c', 1]] },
  { name: 'an empty key is refused with a warning', limits: SDK_DEFAULTS, ops: [['set', '', 'x'], ['set', 'k', 'v']] },
  {
    name: 'values that are not attribute values are refused with a warning',
    limits: SDK_DEFAULTS,
    ops: [
      ['set', 'object', { a: 1 }],
      ['set', 'mixed array', ['a', 1]],
      ['set', 'nested array', [['a']]],
      ['set', 'function', () => 1],
      ['set', 'bigint', 10n],
      ['set', 'ok', 'yes'],
    ],
  },
  {
    name: 'at the count limit a new key is dropped and counted, an existing key still updated in place',
    limits: { attributeCountLimit: 3, attributeValueLengthLimit: Infinity },
    ops: [
      ['set', 'a', 1],
      ['set', 'b', 2],
      ['set', 'c', 3],
      ['set', 'd', 4],
      ['set', 'a', 10],
      ['set', 'e', 5],
      ['set', 'd', null],
      ['set', 'b', 'two'],
    ],
  },
  { name: 'count limit 0 drops every attribute', limits: { attributeCountLimit: 0, attributeValueLengthLimit: Infinity }, ops: [['set', 'a', 1], ['set', 'b', 'x']] },
  {
    name: 'the value length limit cuts strings and the strings of arrays, nothing else',
    limits: { attributeCountLimit: 128, attributeValueLengthLimit: 4 },
    ops: [
      ['set', 'long', 'abcdefgh'],
      ['set', 'exact', 'abcd'],
      ['set', 'strings', ['abcdefgh', 'ab', null]],
      ['set', 'number', 123456789],
      ['set', 'numbers', [123456789]],
      ['set', 'unicode', 'ééééé'],
    ],
  },
  { name: 'value length limit 0 warns on every value and cuts nothing', limits: { attributeCountLimit: 128, attributeValueLengthLimit: 0 }, ops: [['set', 'a', 'abc'], ['set', 'b', 1]] },
  { name: 'integer-like keys come first in the object form, as in the SDK span', limits: SDK_DEFAULTS, ops: [['set', 'b', 1], ['set', '10', 2], ['set', '2', 3], ['set', 'a', 4]] },
  {
    name: 'arrays are copied: a later change to the caller array does not reach the span',
    limits: SDK_DEFAULTS,
    ops: [['set', 'list', ['a', 'b']], ['mutate', (held) => held[0]!.push('c')]],
  },
  {
    name: 'setAttributes takes own properties in order, as setAttribute would each',
    limits: { attributeCountLimit: 2, attributeValueLengthLimit: 3 },
    ops: [['setAll', Object.assign(Object.create({ inherited: 'no' }) as Attributes, { one: 'first', two: [2], three: 'x', '': 'y' })]],
  },
  { name: 'more keys than a scan handles, with updates', limits: { attributeCountLimit: 20, attributeValueLengthLimit: Infinity }, ops: manyKeys },
];

/** Runs `ops` against both, returning what each recorded and the diag warnings each caused. */
function apply(c: Case) {
  const warnings: string[] = [];
  const logger: DiagLogger = {
    error: () => {},
    warn: (message: string) => warnings.push(message),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, DiagLogLevel.WARN);
  try {
    const provider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanLimits: c.limits });
    const sdk = provider.getTracer('conformance').startSpan('s');
    const held: unknown[][] = [];
    for (const op of c.ops) {
      if (op[0] === 'set') {
        // Each side gets its own copy of an array, so a 'mutate' step changes only that side's.
        const value = Array.isArray(op[2]) ? [...(op[2] as unknown[])] : op[2];
        if (Array.isArray(value)) held.push(value);
        sdk.setAttribute(op[1], value as AttributeValue);
      } else if (op[0] === 'setAll') sdk.setAttributes(op[1]);
      else op[1](held);
    }
    const sdkWarnings = warnings.splice(0);
    const ours = new SpanAttributes(c.limits);
    held.length = 0;
    for (const op of c.ops) {
      if (op[0] === 'set') {
        // Each side gets its own copy of an array, so a 'mutate' step changes only that side's.
        const value = Array.isArray(op[2]) ? [...(op[2] as unknown[])] : op[2];
        if (Array.isArray(value)) held.push(value);
        ours.set(op[1], value as AttributeValue);
      } else if (op[0] === 'setAll') ours.setAll(op[1]);
      else op[1](held);
    }
    const ourWarnings = warnings.splice(0);
    const recorded = sdk as unknown as { attributes: Attributes; droppedAttributesCount: number };
    return { sdk: recorded, sdkWarnings, ours, ourWarnings };
  } finally {
    diag.disable();
  }
}

for (const c of CASES) {
  test(`SpanAttributes as the SDK span: ${c.name}`, () => {
    const { sdk, sdkWarnings, ours, ourWarnings } = apply(c);
    const object = ours.toAttributes();
    assert.deepEqual(object, sdk.attributes);
    assert.deepEqual(Object.keys(object), Object.keys(sdk.attributes));
    assert.equal(ours.dropped, sdk.droppedAttributesCount);
    assert.deepEqual(ourWarnings, sdkWarnings);
  });
}

test('SpanAttributes holds what the cases expect, not only what the SDK does', () => {
  const limited = apply(CASES.find((c) => c.name.startsWith('at the count limit'))!);
  const { ours } = limited;
  assert.deepEqual(
    Array.from({ length: ours.size }, (_, i) => [ours.keyAt(i), ours.valueAt(i)]),
    [
      ['a', 10],
      ['b', 'two'],
      ['c', 3],
    ],
  );
  assert.equal(limited.ours.dropped, 2);
  const cut = apply(CASES.find((c) => c.name.startsWith('the value length limit'))!);
  assert.deepEqual(cut.ours.toAttributes(), { long: 'abcd', exact: 'abcd', strings: ['abcd', 'ab', null], number: 123456789, numbers: [123456789], unicode: 'éééé' });
  const refused = apply(CASES.find((c) => c.name.startsWith('values that are not'))!);
  assert.equal(refused.ourWarnings.length, 5);
  assert.deepEqual(refused.ours.toAttributes(), { ok: 'yes' });
});

test('SpanAttributes.clear makes it reusable for the next span', () => {
  const attributes = new SpanAttributes({ attributeCountLimit: 20 });
  for (let i = 0; i < 20; i++) attributes.set(`k${i}`, i);
  attributes.set('over', 1);
  attributes.clear();
  assert.equal(attributes.size, 0);
  assert.equal(attributes.dropped, 0);
  attributes.set('k3', 'again');
  attributes.set('k3', 'updated');
  assert.deepEqual(attributes.toAttributes(), { k3: 'updated' });
});
