import { ExportError } from '../errors.js';

/**
 * The calls a network exporter has under way: `forceFlush` waits for them, and `close` refuses
 * new ones and lets these finish (each is bounded by its deadline) before the connection goes.
 */
export class InFlight {
  private readonly calls = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  /** `description` names the exporter in the error a call after `close` gets. */
  constructor(private readonly description: string) {}

  /** Starts `call` and tracks it until it settles; rejects with TRACEPIPE_EXPORTER_SHUTDOWN once closed. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw new ExportError(`${this.description} is shut down`, { code: 'TRACEPIPE_EXPORTER_SHUTDOWN' });
    const running = call();
    this.calls.add(running);
    const forget = () => this.calls.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Resolves when every call started so far has settled, whatever its outcome. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.calls]);
  }

  /** Idempotent: every caller waits for the same calls, and `release` (closing the connection) runs once, after them. */
  close(release: () => void): Promise<void> {
    this.closing ??= this.settled().then(release);
    return this.closing;
  }
}
