import type { Logger } from '../logger.js';

/** During an outage at most one line per this interval, so a dead collector cannot flood the log. */
const DEFAULT_INTERVAL_MS = 60_000;

/**
 * Logs a burst of failures once: the first failure, then a reminder at most once per interval
 * carrying the running count, and one line when things recover. The counts themselves live in
 * PipelineStats; this only keeps the log readable.
 */
export class BurstLog {
  private failures = 0;
  private lastLoggedAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly level: 'warn' | 'error',
    private readonly intervalMs = DEFAULT_INTERVAL_MS,
  ) {}

  failure(msg: string, fields: Record<string, unknown>): void {
    this.failures++;
    const now = performance.now();
    if (this.failures === 1 || now - this.lastLoggedAt >= this.intervalMs) {
      this.lastLoggedAt = now;
      this.logger[this.level]({ ...fields, failuresInBurst: this.failures }, msg);
    }
  }

  recovered(msg: string, fields: Record<string, unknown>): void {
    if (this.failures === 0) return;
    this.logger.info({ ...fields, failuresInBurst: this.failures }, msg);
    this.failures = 0;
  }
}
