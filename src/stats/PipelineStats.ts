/**
 * Counters for every stage a span passes through. Plain numbers so the hot path
 * pays one increment; the diagnostics service reads them at scrape time and
 * publishes them in /metrics. Nothing is dropped without being counted here.
 */
/**
 * `too_large`: a single span whose encoding alone exceeds what the destination accepts
 * (`max_export_batch_bytes`).
 */
export type DropReason = 'queue_full' | 'invalid' | 'shutdown' | 'export_failed' | 'too_large';
export type Transport = 'grpc' | 'http';

/** What one export attempt did, for histograms and readiness heartbeats. */
export interface ExportOutcome {
  ok: boolean;
  spans: number;
  durationMs: number;
  error?: Error;
}

export type ExportListener = (outcome: ExportOutcome) => void;

export class PipelineStats {
  /** Spans received by the forwarder, by transport. */
  readonly received: Record<Transport, number> = { grpc: 0, http: 0 };
  /** Spans started by the provider, by sampling decision. */
  sampled = 0;
  notSampled = 0;
  /** Spans the forwarder accepted but did not forward: receiver.sampling_rate_per_million sampled their trace out. */
  sampledOut = 0;
  /** Spans an exporter delivered. */
  exported = 0;
  /** Spans in exports that failed for good (after retries). */
  exportFailed = 0;
  /** Export attempts that were retried. */
  retries = 0;
  /**
   * Spans read back from the durable queue log at start (receiver.queue_dir): those not delivered
   * before the restart, and those delivered whose segment was not yet trimmed (repeats).
   */
  queueReplayedSpans = 0;
  /** Records of the durable queue log found torn at start (a write cut short by a crash), skipped. */
  queueTornRecords = 0;
  readonly dropped: Record<DropReason, number> = {
    queue_full: 0,
    invalid: 0,
    shutdown: 0,
    export_failed: 0,
    too_large: 0,
  };

  /** File exporter. */
  fileBytesWritten = 0;
  fileLinesWritten = 0;
  fileRotations = 0;
  fileDeletedByRetention = 0;
  fileWriteErrors = 0;
  /** Spans written alone on a capture line longer than `max_line_bytes` (they could not be split further). */
  fileOversizeSpans = 0;

  /** Receiver requests by `${transport} ${code}`. */
  readonly requests = new Map<string, number>();

  /** Current queue size, reported by whoever owns a queue. */
  queueSpans: () => number = () => 0;
  queueBytes: () => number = () => 0;
  /** The durable queue log's fdatasyncs so far (each acknowledges a group of requests), and the bytes its segments take. */
  queueLogSyncs: () => number = () => 0;
  queueLogBytes: () => number = () => 0;

  private readonly listeners: ExportListener[] = [];

  onExport(listener: ExportListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Called once per finished export (after retries). */
  recordExport(outcome: ExportOutcome): void {
    if (outcome.ok) this.exported += outcome.spans;
    else this.exportFailed += outcome.spans;
    this.notifyExport(outcome);
  }

  /** Tells the listeners (readiness) of an export's outcome without counting its spans: a failed batch kept to be retried. */
  notifyExport(outcome: ExportOutcome): void {
    for (const l of this.listeners) l(outcome);
  }

  drop(reason: DropReason, spans: number): void {
    this.dropped[reason] += spans;
  }

  recordRequest(transport: Transport, code: number | string): void {
    const key = `${transport} ${code}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }
}
