/**
 * Reads every capture file (`*.trace`, one OTLP/JSON TracesData per line) in a directory, in
 * name order, into plain spans, decoded independently of tracepipe (see plainSpans.ts).
 * A directory that does not exist yet holds no spans.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { plainSpansFromJson, type PlainSpan } from './plainSpans.js';

export async function readCapturedSpans(dir: string): Promise<PlainSpan[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.trace')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: PlainSpan[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    // A line still being written has no newline yet: only complete lines count.
    const lines = text.split('\n').slice(0, -1);
    for (const line of lines) if (line !== '') out.push(...plainSpansFromJson(line));
  }
  return out;
}
