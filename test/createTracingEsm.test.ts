/**
 * The issue-15 acceptance test: an ES-module app under the standard OpenTelemetry ESM set-up
 * (`node --import ./hook.mjs`, hook.mjs registering @opentelemetry/instrumentation/hook.mjs, i.e.
 * import-in-the-middle, which re-exports every module) exports through tracepipe to a capture
 * file and to an OTLP/HTTP JSON receiver. Module-level `export let` state in the encoders was
 * frozen by those re-exports and corrupted both.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDirs } from './support/tempDirs.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP_DIR = join(ROOT, 'test/fixtures/esm');
const INDEX = join(ROOT, 'dist/src/index.js');
const SPANS = 2000;
const tempDir = tempDirs('tracepipe-esm-');

async function runApp(exporterUrl: string): Promise<void> {
  await run(process.execPath, ['--import', './hook.mjs', 'app.mjs', INDEX, exporterUrl, String(SPANS)], {
    cwd: APP_DIR,
    timeout: 60_000,
  });
}

interface JsonSpan {
  spanId: string;
  attributes: unknown[];
  events: unknown[];
}

/** The spans of one OTLP/JSON TracesData, parsed strictly (JSON.parse throws on anything else). */
function spansOf(text: string): JsonSpan[] {
  const data = JSON.parse(text) as { resourceSpans: { scopeSpans: { spans: JsonSpan[] }[] }[] };
  return data.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}

function assertAllSpans(spans: JsonSpan[]): void {
  assert.equal(spans.length, SPANS);
  assert.equal(new Set(spans.map((s) => s.spanId)).size, SPANS);
  for (const span of spans) {
    assert.equal(span.attributes.length, 7);
    assert.equal(span.events.length, 1);
  }
}

test('under node --import with the OpenTelemetry ESM hook, a file:// capture holds every span in valid JSON lines', async () => {
  const dir = await tempDir();
  await runApp(`file://${dir}`);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.trace'));
  assert.equal(names.length, 1);
  const text = await readFile(join(dir, names[0]!), 'utf8');
  assert.equal(text.endsWith('\n'), true);
  const lines = text.slice(0, -1).split('\n');
  assertAllSpans(lines.flatMap((line) => spansOf(line)));
});

test('under node --import with the OpenTelemetry ESM hook, an OTLP/HTTP JSON receiver gets every span in valid JSON bodies', async () => {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      assert.equal(req.headers['content-type'], 'application/json');
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await runApp(`http://127.0.0.1:${port}/v1/traces?encoding=json`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assertAllSpans(bodies.flatMap((body) => spansOf(body)));
});
