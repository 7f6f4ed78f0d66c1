import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import type { HeartbeatMonitor } from './HeartbeatMonitor.js';
import type { DropReason, PipelineStats, Transport } from '../stats/PipelineStats.js';
import { PROCESS_STATE_VALUE, type Readiness } from './Readiness.js';

const EXPORT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_SPANS_BUCKETS = [1, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

/**
 * The /metrics registry of one diagnostics service. It is its own prom-client Registry, never
 * the global one, so several services and the application's own metrics do not collide.
 * Counters mirror PipelineStats at scrape time, so the hot path only increments numbers.
 */
/**
 * prom-client is loaded when a diagnostics service is built, not when tracepipe is imported: it
 * adds ~13 MB of RSS, which a library pipeline without diagnostics should not pay.
 */
const requireOnUse = createRequire(import.meta.url);

export class DiagnosticsMetrics {
  readonly registry: Registry;
  private readonly scrapes: Counter<'code'>;
  private readonly unsubscribe: () => void;

  constructor(stats: PipelineStats, readiness: Readiness, heartbeats: HeartbeatMonitor) {
    const prom = requireOnUse('prom-client') as typeof PromClient;
    this.registry = new prom.Registry();
    const registers = [this.registry];

    new prom.Gauge({
      name: 'process_state',
      help: 'State of the tracepipe process: 0 - ok, 1 - recovering, 2 - degraded, 3 - starting.',
      registers,
      collect() {
        this.set(PROCESS_STATE_VALUE[readiness.state]);
      },
    });
    new prom.Gauge({
      name: 'tracepipe_build_info',
      help: 'Build information of tracepipe; always 1.',
      labelNames: ['version', 'node_version'],
      registers,
    }).set({ version: VERSION, node_version: process.version }, 1);

    mirrorCounter(prom,registers, 'tracepipe_spans_received_total', 'Spans received by the forwarder and queued for forwarding, by transport.', ['transport'], () =>
      (Object.keys(stats.received) as Transport[]).map((transport) => [{ transport }, stats.received[transport]]),
    );
    mirrorCounter(
      prom,
      registers,
      'tracepipe_spans_sampling_decisions_total',
      'Spans started by the provider, by sampling decision (sampled, not_sampled).',
      ['decision'],
      () => [
        [{ decision: 'sampled' }, stats.sampled],
        [{ decision: 'not_sampled' }, stats.notSampled],
      ],
    );
    mirrorCounter(
      prom,
      registers,
      'tracepipe_spans_sampled_out_total',
      'Spans the forwarder accepted and did not forward because receiver.sampling_rate_per_million sampled their trace out.',
      [],
      () => [[{}, stats.sampledOut]],
    );
    mirrorCounter(prom,registers, 'tracepipe_spans_exported_total', 'Spans the exporter delivered.', [], () => [[{}, stats.exported]]);
    mirrorCounter(prom,registers, 'tracepipe_spans_export_failed_total', 'Spans in exports that failed for good, after retries.', [], () => [
      [{}, stats.exportFailed],
    ]);
    mirrorCounter(
      prom,
      registers,
      'tracepipe_spans_dropped_total',
      'Spans dropped before delivery, by reason (queue_full, invalid, shutdown, export_failed, too_large).',
      ['reason'],
      () => (Object.keys(stats.dropped) as DropReason[]).map((reason) => [{ reason }, stats.dropped[reason]]),
    );
    mirrorCounter(prom,registers, 'tracepipe_export_retries_total', 'Export attempts that were retried.', [], () => [[{}, stats.retries]]);
    mirrorCounter(
      prom,
      registers,
      'tracepipe_queue_replayed_spans_total',
      'Spans read back from the durable queue log at start and forwarded again (undelivered ones, and delivered ones the log had not yet trimmed: repeats).',
      [],
      () => [[{}, stats.queueReplayedSpans]],
    );
    mirrorCounter(
      prom,
      registers,
      'tracepipe_queue_torn_records_total',
      'Records of the durable queue log found torn at start (a write cut short by a crash) and skipped.',
      [],
      () => [[{}, stats.queueTornRecords]],
    );
    mirrorCounter(
      prom,
      registers,
      'tracepipe_queue_log_syncs_total',
      'fdatasyncs of the durable queue log; each acknowledges every request appended since the previous one (group commit).',
      [],
      () => [[{}, stats.queueLogSyncs()]],
    );
    mirrorCounter(
      prom,
      registers,
      'tracepipe_receiver_requests_total',
      'Export requests the forwarder answered, by transport and status code (HTTP status or gRPC code).',
      ['transport', 'code'],
      () =>
        [...stats.requests].map(([key, n]) => {
          const [transport = '', code = ''] = key.split(' ');
          return [{ transport, code }, n];
        }),
    );
    mirrorCounter(prom,registers, 'tracepipe_file_written_bytes_total', 'Bytes the file exporter wrote.', [], () => [[{}, stats.fileBytesWritten]]);
    mirrorCounter(prom,registers, 'tracepipe_file_lines_written_total', 'Lines (OTLP/JSON requests) the file exporter wrote.', [], () => [
      [{}, stats.fileLinesWritten],
    ]);
    mirrorCounter(prom,registers, 'tracepipe_file_rotations_total', 'Capture files the file exporter rotated.', [], () => [[{}, stats.fileRotations]]);
    mirrorCounter(prom,registers, 'tracepipe_file_deleted_total', 'Capture files deleted by retention.', [], () => [[{}, stats.fileDeletedByRetention]]);
    mirrorCounter(prom,registers, 'tracepipe_file_write_errors_total', 'Writes the file exporter failed.', [], () => [[{}, stats.fileWriteErrors]]);
    mirrorCounter(
      prom,
      registers,
      'tracepipe_file_oversize_spans_total',
      'Spans written alone on a capture line longer than max_line_bytes, since one span cannot be split.',
      [],
      () => [[{}, stats.fileOversizeSpans]],
    );
    mirrorCounter(
      prom,
      registers,
      'tracepipe_heartbeats_total',
      'Readiness heartbeats, by source (export, probe) and outcome (success, failure).',
      ['source', 'outcome'],
      () =>
        Object.entries(heartbeats.counts).map(([key, n]) => {
          const [source = '', outcome = ''] = key.split(' ');
          return [{ source, outcome }, n];
        }),
    );

    new prom.Gauge({
      name: 'tracepipe_queue_spans',
      help: 'Spans waiting in the export queue.',
      registers,
      collect() {
        this.set(stats.queueSpans());
      },
    });
    new prom.Gauge({
      name: 'tracepipe_queue_bytes',
      help: 'Estimated bytes of the spans waiting in the export queue.',
      registers,
      collect() {
        this.set(stats.queueBytes());
      },
    });

    new prom.Gauge({
      name: 'tracepipe_queue_log_bytes',
      help: 'Bytes the durable queue log takes on disk, against receiver.queue_max_disk_bytes.',
      registers,
      collect() {
        this.set(stats.queueLogBytes());
      },
    });

    const duration = new prom.Histogram({
      name: 'tracepipe_export_duration_seconds',
      help: 'Duration of finished exports (retries included), by outcome (success, failure).',
      labelNames: ['outcome'],
      buckets: EXPORT_SECONDS_BUCKETS,
      registers,
    });
    const batch = new prom.Histogram({
      name: 'tracepipe_export_batch_spans',
      help: 'Spans per finished export, by outcome (success, failure).',
      labelNames: ['outcome'],
      buckets: BATCH_SPANS_BUCKETS,
      registers,
    });
    for (const outcome of ['success', 'failure']) {
      duration.zero({ outcome });
      batch.zero({ outcome });
    }
    this.unsubscribe = stats.onExport(({ ok, spans, durationMs }) => {
      const labels = { outcome: ok ? 'success' : 'failure' };
      duration.observe(labels, durationMs / 1000);
      batch.observe(labels, spans);
    });

    this.scrapes = new prom.Counter({
      name: 'tracepipe_metrics_scrapes_total',
      help: 'Scrapes of /metrics, by HTTP status code.',
      labelNames: ['code'],
      registers,
    });
    this.scrapes.inc({ code: '200' }, 0);
    this.scrapes.inc({ code: '500' }, 0);

    prom.collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Renders the text format; the scrape counts itself once it has succeeded or failed. */
  async scrape(): Promise<string> {
    try {
      const text = await this.registry.metrics();
      this.scrapes.inc({ code: '200' });
      return text;
    } catch (err) {
      this.scrapes.inc({ code: '500' });
      throw err;
    }
  }

  close(): void {
    this.unsubscribe();
  }
}

type Labels<T extends string> = Partial<Record<T, string>>;

/** A counter whose values are copied from plain numbers when scraped. */
function mirrorCounter<T extends string>(
  prom: typeof PromClient,
  registers: Registry[],
  name: string,
  help: string,
  labelNames: readonly T[],
  read: () => Array<[Labels<T>, number]>,
): void {
  new prom.Counter<T>({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}
