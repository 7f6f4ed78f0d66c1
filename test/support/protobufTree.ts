/**
 * OTLP protobuf requests as trees of fields, for the property tests: valid bodies are parsed
 * (with the message layout of our .proto files, written out here independently of src/), one
 * wire-level fault is put in a random place, and the tree is written back with every other
 * length still right, so the fault is what a reader sees, not framing broken everywhere.
 */

export interface Field {
  tag: number;
  /** The payload as it was on the wire (a varint's bytes, fixed bytes, or a LEN field's content). */
  bytes: Uint8Array;
  /** For a LEN field that holds a message: its fields, written instead of `bytes`. */
  message?: Field[];
  /** Added to a LEN field's length as written (a bad length). */
  lengthDelta?: number;
  /** Written as a varint longer than needed, padded to this many bytes. */
  tagBytes?: number;
}

/** Message fields by `type.fieldNumber`: which LEN fields hold which messages. */
const CHILDREN: Record<string, string> = {
  'Request.1': 'ResourceSpans',
  'ResourceSpans.1': 'Resource',
  'ResourceSpans.2': 'ScopeSpans',
  'Resource.1': 'KeyValue',
  'ScopeSpans.1': 'Scope',
  'ScopeSpans.2': 'Span',
  'Scope.3': 'KeyValue',
  'Span.9': 'KeyValue',
  'Span.11': 'Event',
  'Span.13': 'Link',
  'Span.15': 'Status',
  'Event.3': 'KeyValue',
  'Link.4': 'KeyValue',
  'KeyValue.2': 'AnyValue',
  'AnyValue.5': 'ArrayValue',
  'AnyValue.6': 'KeyValueList',
  'ArrayValue.1': 'AnyValue',
  'KeyValueList.1': 'KeyValue',
};

/** proto3 `string` fields, by `type.fieldNumber`. */
const STRINGS = new Set([
  'ResourceSpans.3', 'ScopeSpans.3', 'Scope.1', 'Scope.2', 'Span.3', 'Span.5', 'Event.2', 'Link.3', 'Status.2', 'KeyValue.1', 'AnyValue.1',
]);

function varint(bytes: Uint8Array, at: number): { value: number; end: number } {
  let value = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const b = bytes[i++]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value, end: i };
  }
}

function writeVarint(value: number, out: number[], minBytes = 1): void {
  let n = 0;
  while (value >= 0x80 || n + 1 < minBytes) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
    n++;
  }
  out.push(value);
}

/** A valid message of `type` as a tree. */
export function parse(bytes: Uint8Array, type = 'Request'): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < bytes.length) {
    const { value: tag, end } = varint(bytes, at);
    at = end;
    const wireType = tag % 8;
    let payload: Uint8Array;
    if (wireType === 0) {
      const v = varint(bytes, at);
      payload = bytes.subarray(at, v.end);
      at = v.end;
    } else if (wireType === 1 || wireType === 5) {
      payload = bytes.subarray(at, at + (wireType === 1 ? 8 : 4));
      at += payload.length;
    } else {
      const { value: length, end: start } = varint(bytes, at);
      payload = bytes.subarray(start, start + length);
      at = start + length;
    }
    const child = wireType === 2 ? CHILDREN[`${type}.${Math.floor(tag / 8)}`] : undefined;
    fields.push({ tag, bytes: payload, message: child === undefined ? undefined : parse(payload, child) });
  }
  return fields;
}

export function serialize(fields: readonly Field[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const f of fields) {
    const head: number[] = [];
    writeVarint(f.tag, head, f.tagBytes);
    const payload = f.message !== undefined ? serialize(f.message) : f.bytes;
    if (f.tag % 8 === 2 || f.message !== undefined || f.lengthDelta !== undefined) writeVarint(Math.max(0, payload.length + (f.lengthDelta ?? 0)), head);
    chunks.push(Uint8Array.from(head), payload);
  }
  return Buffer.concat(chunks);
}

/** A copy of a tree that faults can change without touching the original (payloads are shared, never written). */
export function copyTree(fields: readonly Field[]): Field[] {
  return fields.map((f) => ({ ...f, message: f.message === undefined ? undefined : copyTree(f.message) }));
}

interface Place {
  type: string;
  fields: Field[];
}

function places(fields: Field[], type: string, into: Place[] = []): Place[] {
  into.push({ type, fields });
  for (const f of fields) if (f.message !== undefined) places(f.message, CHILDREN[`${type}.${Math.floor(f.tag / 8)}`]!, into);
  return into;
}

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;

/** A payload that is well framed for `wireType` (0, 1, 2 or 5). */
function payloadFor(wireType: number, random: () => number): Uint8Array {
  if (wireType === 0) return Uint8Array.of(Math.floor(random() * 128));
  if (wireType === 1) return new Uint8Array(8).map(() => Math.floor(random() * 256));
  if (wireType === 5) return new Uint8Array(4).map(() => Math.floor(random() * 256));
  return new Uint8Array(Math.floor(random() * 4)).map(() => 0x61);
}

/**
 * One wire-level fault (or a change every reader must accept) at a random place of `tree`:
 * a field number 0, a field whose wire type does not match its payload, a length off by one or
 * more, a tag longer than 32 bits, a string that is not UTF-8, an unusable span id, a field
 * removed, duplicated or added as unknown. Mutates `tree`.
 */
export function faultTree(tree: Field[], random: () => number): void {
  const all = places(tree, 'Request');
  const place = pick(all, random);
  const at = Math.floor(random() * (place.fields.length + 1));
  const existing = place.fields.length > 0 ? pick(place.fields, random) : undefined;
  switch (Math.floor(random() * 10)) {
    case 0: {
      const wireType = pick([0, 1, 2, 5], random);
      place.fields.splice(at, 0, { tag: wireType, bytes: payloadFor(wireType, random) });
      return;
    }
    case 1:
      if (existing !== undefined) existing.tag = (existing.tag & ~7) | pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== existing.tag % 8), random);
      return;
    case 2:
      if (existing !== undefined && existing.tag % 8 === 2) existing.lengthDelta = pick([-2, -1, 1, 2, 1000], random);
      return;
    case 3:
      if (existing !== undefined) existing.tagBytes = pick([6, 10], random);
      return;
    case 4: {
      const strings = place.fields.filter((f) => STRINGS.has(`${place.type}.${Math.floor(f.tag / 8)}`) && f.message === undefined);
      if (strings.length === 0) return;
      const s = pick(strings, random);
      const bytes = Uint8Array.from(s.bytes);
      const bad = pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]], random);
      s.bytes = Uint8Array.from([...bytes.subarray(0, Math.floor(random() * (bytes.length + 1))), ...bad]);
      return;
    }
    case 5:
      if (existing !== undefined) place.fields.splice(place.fields.indexOf(existing), 1);
      return;
    case 6:
      if (existing !== undefined) place.fields.splice(at, 0, copyTree([existing])[0]!);
      return;
    case 7: {
      const wireType = pick([0, 1, 2, 5], random);
      place.fields.splice(at, 0, { tag: (pick([17, 20, 100, 536870911], random) << 3 >>> 0) | wireType, bytes: payloadFor(wireType, random) });
      return;
    }
    case 8: {
      // A span id the decoder rejects the span for: 7 bytes, or all zeros.
      const spans = all.filter((p) => p.type === 'Span');
      const id = spans.length === 0 ? undefined : pick(spans, random).fields.find((f) => f.tag === 0x12);
      if (id !== undefined) id.bytes = random() < 0.5 ? id.bytes.subarray(0, 7) : new Uint8Array(8);
      return;
    }
    default: {
      // A valid field with the field number of a known field but another wire type: readers
      // that go by the full tag treat it as unknown.
      const wireType = pick([0, 1, 2, 5], random);
      const known = existing === undefined ? 1 : Math.floor(existing.tag / 8);
      place.fields.splice(at, 0, { tag: known * 8 + wireType, bytes: payloadFor(wireType, random) });
    }
  }
}
