import { parseArgs } from 'node:util';
import { summarize, type Summary } from '../src/bench/summarize.js';
import { CaptureTraceSource } from '../src/ui/CaptureTraceSource.js';
import { startUiServer } from '../src/ui/startUiServer.js';
import { UI_SEARCH_RUNS, UI_SEARCHES, type UiIndexSample } from './uiSearches.js';


const { values } = parseArgs({ options: { dir: { type: 'string' }, bytes: { type: 'string' } } });
const started = performance.now();
const source = await CaptureTraceSource.index([values.dir!], {});
const indexSec = (performance.now() - started) / 1000;
const server = await startUiServer({ source, addr: '127.0.0.1:0' });
const searchMs: Record<string, Summary> = {};
let someTrace = '';
for (const [name, query] of Object.entries(UI_SEARCHES)) {
  const samples: number[] = [];
  for (let i = 0; i < UI_SEARCH_RUNS; i++) {
    const t = performance.now();
    const res = await fetch(`${server.url}api/summaries?${query}`);
    const body = (await res.json()) as { data: { traceID: string }[] };
    samples.push(performance.now() - t);
    if (!res.ok || body.data.length === 0) throw new Error(`search ${name} answered ${res.status} with ${body.data?.length} traces`);
    someTrace = body.data[0]!.traceID;
  }
  searchMs[name] = summarize(samples);
}
const opens: number[] = [];
for (let i = 0; i < UI_SEARCH_RUNS; i++) {
  const t = performance.now();
  const res = await fetch(`${server.url}api/traces/${someTrace}`);
  await res.arrayBuffer();
  opens.push(performance.now() - t);
}
await server.close();
const status = source.status();
const sample: UiIndexSample = {
  bytes: Number(values.bytes),
  spans: status.spans,
  traces: status.traces,
  indexSec,
  peakRssMB: process.resourceUsage().maxRSS / 1024,
  searchMs,
  openTraceMs: summarize(opens),
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
