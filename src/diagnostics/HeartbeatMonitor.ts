import type { ExportOutcome, PipelineStats } from '../stats/PipelineStats.js';
import type { Readiness } from './Readiness.js';

export type HeartbeatSource = 'export' | 'probe';

export interface HeartbeatMonitorOptions {
  stats: PipelineStats;
  readiness: Readiness;
  /** Checks the exporter while no export happens; without it only exports are heartbeats. */
  probe: (() => Promise<void>) | undefined;
  intervalMs: number;
  retryIntervalMs: number;
}

/**
 * Turns export outcomes and idle-time probes into readiness heartbeats. The probe runs
 * once at start, then `intervalMs` after the last heartbeat while healthy and
 * `retryIntervalMs` after a failure, so a busy pipeline is never probed.
 */
export class HeartbeatMonitor {
  /** Heartbeats by `${source} ${outcome}`, for `tracepipe_heartbeats_total`. */
  readonly counts: Record<`${HeartbeatSource} ${'success' | 'failure'}`, number> = {
    'export success': 0,
    'export failure': 0,
    'probe success': 0,
    'probe failure': 0,
  };
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private healthy = true;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: HeartbeatMonitorOptions) {
    this.unsubscribe = options.stats.onExport((outcome) => this.onExport(outcome));
    void this.runProbe();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    clearTimeout(this.timer);
  }

  private onExport(outcome: ExportOutcome): void {
    if (outcome.ok) this.succeeded('export');
    else this.failed('export', outcome.error?.message || `export of ${outcome.spans} spans failed`);
  }

  private async runProbe(): Promise<void> {
    const { probe } = this.options;
    if (probe === undefined || this.probing || this.stopped) return;
    this.probing = true;
    let error: unknown;
    let ok = false;
    try {
      await probe();
      ok = true;
    } catch (err) {
      error = err;
    }
    this.probing = false;
    if (this.stopped) return;
    if (ok) this.succeeded('probe');
    else this.failed('probe', error instanceof Error ? error.message || error.name : String(error));
  }

  private succeeded(source: HeartbeatSource): void {
    this.counts[`${source} success`]++;
    this.healthy = true;
    this.options.readiness.heartbeatSucceeded();
    this.schedule();
  }

  private failed(source: HeartbeatSource, reason: string): void {
    this.counts[`${source} failure`]++;
    this.healthy = false;
    this.options.readiness.heartbeatFailed(reason);
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.options.probe === undefined || this.stopped) return;
    const delay = this.healthy ? this.options.intervalMs : this.options.retryIntervalMs;
    this.timer = setTimeout(() => void this.runProbe(), delay).unref();
  }
}
