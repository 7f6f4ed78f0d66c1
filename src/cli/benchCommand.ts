import { Command, InvalidArgumentError } from 'commander';
import { formatSamplingTable } from '../bench/formatSamplingTable.js';
import { runSamplingBenchmark } from '../bench/runSamplingBenchmark.js';
import { loadConfig } from '../config/loadConfig.js';
import { parseExporterUrl } from '../config/parseExporterUrl.js';

function parseRates(value: string): number[] {
  const rates = value.split(',').map((part) => Number(part.trim()));
  for (const rate of rates) {
    if (!Number.isInteger(rate) || rate < 0 || rate > 1_000_000) {
      throw new InvalidArgumentError(`"${value}" must be a comma-separated list of integers from 0 to 1000000`);
    }
  }
  return rates;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

/** `tracepipe bench`: what a span costs at each sampling rate, with your exporter, against the no-op floor. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure span overhead by sampling rate (each point in a fresh process) and print the table')
    .option('--rates <list>', 'sampling_rate_per_million values, comma-separated', parseRates, [0, 100, 10_000, 1_000_000])
    .option('--exporter <url>', 'export sampled spans to this URL (default: discard them and time the pipeline alone)')
    .option('-c, --config <file>', "use this tracepipe.yaml's tracing_service (exporter, TLS, queue) at each measured rate")
    .option('--duration <seconds>', 'measured time per point', positiveNumber, 0.3)
    .option('--repetitions <n>', 'fresh-process runs per point (the median is reported)', positiveInteger, 5)
    .option('--json', 'print the result as JSON instead of a table')
    .action(async (opts: { rates: number[]; exporter?: string; config?: string; duration: number; repetitions: number; json?: boolean }) => {
      // Checked here, once, so a bad URL or file is a clear error rather than a failed worker.
      if (opts.exporter) parseExporterUrl(opts.exporter, '--exporter');
      if (opts.config) loadConfig(opts.config);
      const durationMs = Math.round(opts.duration * 1000);
      const progress = process.stderr.isTTY
        ? (done: number, total: number) => process.stderr.write(`\rmeasuring ${done}/${total}${done === total ? '\n' : ''}`)
        : undefined;
      const result = await runSamplingBenchmark({
        rates: opts.rates,
        contenders: ['tracepipe'],
        repetitions: opts.repetitions,
        durationMs,
        warmupMs: Math.min(500, Math.max(50, durationMs / 2)),
        ...(opts.exporter ? { exporterUrl: opts.exporter } : {}),
        ...(opts.config ? { configPath: opts.config } : {}),
        ...(progress ? { onProgress: progress } : {}),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatSamplingTable(result));
    });
}
