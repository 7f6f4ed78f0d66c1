import type { Logger } from '../logger.js';

/** Teleport's process states, in the order of their `process_state` gauge values. */
export type ProcessState = 'ok' | 'recovering' | 'degraded' | 'starting';

export const PROCESS_STATE_VALUE: Readonly<Record<ProcessState, number>> = {
  ok: 0,
  recovering: 1,
  degraded: 2,
  starting: 3,
};

/** HTTP status of `/readyz` per state: 400 while starting or recovering, as Teleport does. */
export const PROCESS_STATE_HTTP: Readonly<Record<ProcessState, number>> = {
  ok: 200,
  recovering: 400,
  degraded: 503,
  starting: 400,
};

/** `initializing` only appears for the exporter before its first heartbeat. */
export type ServiceStatus = { status: 'initializing' } | { status: 'healthy' } | { status: 'unhealthy'; reason: string };

export interface ReadinessReport {
  status: ProcessState;
  services: Record<string, ServiceStatus>;
}

/** The service fed by heartbeats; the others are set by their owners (the forwarder sets `receiver`). */
export const EXPORTER_SERVICE = 'exporter';

/** Reasons come from error messages; bound them so a runaway message cannot bloat every probe response. */
const MAX_REASON_LENGTH = 512;

/**
 * The readiness state machine of Teleport's /readyz: `starting` until the first successful
 * heartbeat, `degraded` as soon as one fails, `recovering` after the first success that
 * follows, `ok` after the second consecutive success. A service set unhealthy by its owner
 * holds the reported state at `degraded` until it is healthy again.
 */
export class Readiness {
  private machine: ProcessState = 'starting';
  private reported: ProcessState = 'starting';
  private readonly services = new Map<string, ServiceStatus>([[EXPORTER_SERVICE, { status: 'initializing' }]]);

  constructor(private readonly logger: Logger) {}

  /** The state `/readyz` and `process_state` report. */
  get state(): ProcessState {
    return this.reported;
  }

  heartbeatSucceeded(): void {
    this.machine = this.machine === 'degraded' ? 'recovering' : 'ok';
    this.services.set(EXPORTER_SERVICE, { status: 'healthy' });
    this.update(undefined);
  }

  heartbeatFailed(reason: string): void {
    this.machine = 'degraded';
    const status: ServiceStatus = { status: 'unhealthy', reason: boundReason(reason) };
    this.services.set(EXPORTER_SERVICE, status);
    this.update(status.reason);
  }

  /**
   * Reports another component's health (e.g. `setService('receiver', { status: 'unhealthy', reason })`).
   * `planned`: the change is expected (a clean shutdown), so a resulting `degraded` is logged as
   * information, not as a warning.
   */
  setService(name: string, status: { status: 'healthy' } | { status: 'unhealthy'; reason: string }, planned = false): void {
    if (name === EXPORTER_SERVICE) throw new Error(`the "${EXPORTER_SERVICE}" service is driven by heartbeats and cannot be set`);
    const value: ServiceStatus = status.status === 'healthy' ? { status: 'healthy' } : { status: 'unhealthy', reason: boundReason(status.reason) };
    this.services.set(name, value);
    this.update(value.status === 'unhealthy' ? `${name}: ${value.reason}` : undefined, planned);
  }

  service(name: string): ServiceStatus | undefined {
    return this.services.get(name);
  }

  report(): ReadinessReport {
    return { status: this.reported, services: Object.fromEntries(this.services) };
  }

  private update(reason: string | undefined, planned = false): void {
    let next = this.machine;
    for (const [name, s] of this.services) {
      if (name !== EXPORTER_SERVICE && s.status === 'unhealthy') next = 'degraded';
    }
    if (next === this.reported) return;
    const previous = this.reported;
    this.reported = next;
    if (next === 'degraded' && !planned) this.logger.warn({ previous, reason }, 'diagnostics: process is degraded');
    else this.logger.info({ previous, ...(reason !== undefined && { reason }) }, `diagnostics: process is ${next}`);
  }
}

function boundReason(reason: string): string {
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason;
}
