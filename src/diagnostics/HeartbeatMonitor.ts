import type { ExportOutcome, PipelineStats } from '../stats/PipelineStats.js';
import type { Readiness } from './Readiness.js';

export type HeartbeatSource = 'export' | 'probe';

const TIMER_SLACK_MS = 5;

export interface HeartbeatMonitorOptions {
  stats: PipelineStats;
  readiness: Readiness;
  /** Checks the exporter while no export happens; without it only exports are heartbeats. */
  probe: (() => Promise<void>) | undefined;
  intervalMs: number;
  retryIntervalMs: number;
  /** True while work waits for the exporter; then a heartbeat is due every `retryIntervalMs`. */
  busy?: (() => boolean) | undefined;
  /** A probe that has not settled within this counts as failed; undefined waits for it. */
  probeTimeoutMs?: number | undefined;
}

/**
 * Turns export outcomes and probes into readiness heartbeats. The probe runs once at start, then
 * `intervalMs` after the last heartbeat while healthy and `retryIntervalMs` after a failure.
 * Exports that keep succeeding are heartbeats enough; but while work waits (`busy`) and no
 * heartbeat came for `retryIntervalMs` (exports hanging on a destination that went away), the
 * probe runs then, so readiness does not wait for an export timeout to notice an outage.
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
  private lastHeartbeat = performance.now();
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
    let timer: NodeJS.Timeout | undefined;
    const limit = this.options.probeTimeoutMs;
    try {
      await (limit === undefined
        ? probe()
        : Promise.race([
            probe(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`the exporter's probe did not answer within ${limit} ms`)), limit);
            }),
          ]));
      ok = true;
    } catch (err) {
      error = err;
    }
    clearTimeout(timer);
    this.probing = false;
    if (this.stopped) return;
    if (ok) this.succeeded('probe');
    else this.failed('probe', error instanceof Error ? error.message || error.name : String(error));
  }

  private succeeded(source: HeartbeatSource): void {
    this.lastHeartbeat = performance.now();
    this.counts[`${source} success`]++;
    this.healthy = true;
    this.options.readiness.heartbeatSucceeded();
    this.schedule();
  }

  private failed(source: HeartbeatSource, reason: string): void {
    this.lastHeartbeat = performance.now();
    this.counts[`${source} failure`]++;
    this.healthy = false;
    this.options.readiness.heartbeatFailed(reason);
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const { probe, intervalMs, retryIntervalMs, busy } = this.options;
    if (probe === undefined || this.stopped) return;
    // While healthy and maybe busy, look again every retryIntervalMs whether a probe is due.
    const delay = this.healthy ? (busy === undefined ? intervalMs : Math.min(intervalMs, retryIntervalMs)) : retryIntervalMs;
    this.timer = setTimeout(() => this.tick(), delay).unref();
  }

  private tick(): void {
    const { intervalMs, retryIntervalMs, busy } = this.options;
    // A timer may fire a hair before the interval measured here has passed.
    const quiet = performance.now() - this.lastHeartbeat + TIMER_SLACK_MS;
    if (!this.healthy || quiet >= intervalMs || (busy?.() === true && quiet >= retryIntervalMs)) void this.runProbe();
    else this.schedule();
  }
}
