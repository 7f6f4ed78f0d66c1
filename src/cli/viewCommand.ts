import { Command, Option } from 'commander';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { buildTraceTree } from '../capture/buildTraceTree.js';
import { type CaptureProblem, readCapture } from '../capture/readCapture.js';
import { TraceSummarizer, type TraceSummary } from '../capture/summarizeTraces.js';
import { formatDuration } from './formatDuration.js';
import { parseDuration } from './parseDuration.js';
import { renderTraceList } from './renderTraceList.js';
import { renderWaterfall } from './renderWaterfall.js';
import { spanToJson } from './spanToJson.js';
import { paint, useColor } from './useColor.js';
import { writeOut } from './writeOut.js';

export interface ViewOptions {
  /** Draw this trace as a waterfall (or, with `json`, print only its spans). */
  trace?: string;
  /** Print spans as JSON lines instead of a table. */
  json?: boolean;
  /** Keep traces with at least one span of this service. */
  service?: string;
  /** Keep traces lasting at least this long, in ns. */
  minDuration?: bigint;
  /** Keep traces with at least one span with status ERROR. */
  errors?: boolean;
}

export interface ViewStreams {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream;
}

/** Runs `tracepipe view`; resolves to the exit code (1 when `--trace` names no trace in the capture). */
export async function runView(path: string, options: ViewOptions, streams: ViewStreams): Promise<number> {
  const { out, err } = streams;
  const p = paint(useColor(out));
  const report = (problem: CaptureProblem) => err.write(`tracepipe: warning: ${problem.message}\n`);
  const wanted = options.trace?.toLowerCase();
  const filtered = options.service !== undefined || options.minDuration !== undefined || options.errors === true;

  if (options.json === true && wanted === undefined && !filtered) {
    for await (const batch of readCapture(path, { onProblem: report })) {
      for (const span of batch.spans) await writeOut(out, `${spanToJson(span)}\n`);
    }
    return 0;
  }

  const summarizer = new TraceSummarizer();
  for await (const batch of readCapture(path, { onProblem: report })) for (const span of batch.spans) summarizer.add(span);
  const traces = summarizer.summaries().filter(
    (t) =>
      (wanted === undefined || t.traceId === wanted) &&
      (options.service === undefined || t.services.includes(options.service)) &&
      (options.minDuration === undefined || t.durationNs >= options.minDuration) &&
      (options.errors !== true || t.errorCount > 0),
  );

  if (wanted !== undefined && traces.length === 0) {
    err.write(`tracepipe: no trace ${options.trace} in ${path}${filtered ? ' matching the filters' : ''}\n`);
    return 1;
  }
  if (options.json === true) {
    const keep = new Set(traces.map((t) => t.traceId));
    for await (const batch of readCapture(path, { onProblem: () => {} })) {
      for (const span of batch.spans) if (keep.has(span.spanContext().traceId)) await writeOut(out, `${spanToJson(span)}\n`);
    }
    return 0;
  }
  if (wanted !== undefined) {
    const spans: ReadableSpan[] = [];
    for await (const batch of readCapture(path, { onProblem: () => {} })) {
      for (const span of batch.spans) if (span.spanContext().traceId === wanted) spans.push(span);
    }
    await writeOut(out, `${traceHeading(traces[0]!)}\n\n${renderWaterfall(buildTraceTree(spans), p)}`);
    return 0;
  }
  const spanCount = traces.reduce((n, t) => n + t.spanCount, 0);
  await writeOut(out, `${renderTraceList(traces, p)}${traces.length} trace${traces.length === 1 ? '' : 's'}, ${spanCount} span${spanCount === 1 ? '' : 's'}\n`);
  return 0;
}

function traceHeading(t: TraceSummary): string {
  const errors = t.errorCount === 0 ? '' : `, ${t.errorCount} error${t.errorCount === 1 ? '' : 's'}`;
  return `trace ${t.traceId}: ${t.spanCount} span${t.spanCount === 1 ? '' : 's'}, ${formatDuration(t.durationNs)}${errors}, services ${t.services.join(', ')}`;
}

/** `tracepipe view PATH`: list the traces of a capture, or draw one as a waterfall. */
export function viewCommand(): Command {
  return new Command('view')
    .description('list the traces in a capture file or directory, or draw one trace as a waterfall')
    .argument('<path>', 'a capture file, or a directory of *.trace files')
    .option('--trace <id>', 'draw this trace as a tree with a timing bar per span')
    .option('--json', 'print spans as JSON lines (one span per line)')
    .option('--service <name>', 'only traces with a span of this service')
    .addOption(new Option('--min-duration <duration>', 'only traces lasting at least this long (250ms, 1.5s, 100us)').argParser(parseDuration))
    .option('--errors', 'only traces with an error span')
    .action(async (path: string, options: ViewOptions) => {
      // `view --json | head`: the reader going away ends the command quietly.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        process.exit(process.exitCode ?? 0);
      });
      process.exitCode = await runView(path, options, { out: process.stdout, err: process.stderr });
    });
}
