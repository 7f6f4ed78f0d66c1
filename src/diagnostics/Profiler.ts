import pprof from '@datadog/pprof';
import { ProfilerBusyError } from './ProfilerBusyError.js';

/** Go's default CPU sampling rate (100 Hz). */
const CPU_INTERVAL_MICROS = 10_000;
/** Go's default MemProfileRate: one sample per 512 KiB allocated. */
const HEAP_INTERVAL_BYTES = 512 * 1024;
const HEAP_STACK_DEPTH = 64;

/**
 * Several diagnostics services may share the process-wide V8 heap sampler: the last one out stops
 * it. The count belongs to the process, as the sampler does, so it lives on the process object
 * under a registered symbol (a module binding would be one count per copy of this module).
 */
const HEAP_USERS = Symbol.for('tracepipe.profiler.heapUsers');
const heapUsers = process as unknown as { [HEAP_USERS]?: number };

/**
 * pprof profiles of this process via @datadog/pprof, gzip'd protobuf as `go tool pprof` reads.
 * Heap sampling starts with the first debug-mode service (so the heap profile covers what was
 * allocated since then); CPU profiling runs only for the duration of one request.
 */
export class Profiler {
  private heapStarted = false;
  private cpuRun: { timer: NodeJS.Timeout; finish: () => void } | undefined;

  /** Returns the reason when the heap sampler could not start (another user holds it with other parameters). */
  startHeap(): string | undefined {
    try {
      pprof.heap.start(HEAP_INTERVAL_BYTES, HEAP_STACK_DEPTH);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    this.heapStarted = true;
    heapUsers[HEAP_USERS] = (heapUsers[HEAP_USERS] ?? 0) + 1;
    return undefined;
  }

  async heap(): Promise<Buffer> {
    return pprof.encode(pprof.heap.profile());
  }

  /**
   * Profiles for `seconds`, or until `signal` aborts (the client went away) or `close()`;
   * throws ProfilerBusyError while another CPU profile runs.
   */
  async cpu(seconds: number, signal?: AbortSignal): Promise<Buffer> {
    if (this.cpuRun !== undefined || pprof.time.isStarted()) throw new ProfilerBusyError('a CPU profile is already being collected');
    // withContexts is what lets the profiler record CPU time next to wall time.
    pprof.time.start({ intervalMicros: CPU_INTERVAL_MICROS, withContexts: true, collectCpuTime: true });
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(run.timer);
        signal?.removeEventListener('abort', finish);
        if (this.cpuRun === run) this.cpuRun = undefined;
        resolve();
      };
      const run = { timer: setTimeout(finish, seconds * 1000), finish };
      this.cpuRun = run;
      if (signal?.aborted) finish();
      else signal?.addEventListener('abort', finish, { once: true });
    });
    return pprof.encode(pprof.time.stop());
  }

  /** Ends a running CPU profile early and releases the heap sampler. */
  close(): void {
    this.cpuRun?.finish();
    if (this.heapStarted) {
      this.heapStarted = false;
      heapUsers[HEAP_USERS] = (heapUsers[HEAP_USERS] ?? 1) - 1;
      if (heapUsers[HEAP_USERS] === 0) pprof.heap.stop();
    }
  }
}
