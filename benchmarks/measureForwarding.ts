import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnJsonWorker } from '../src/bench/spawnJsonWorker.js';
import type { QueueSync } from '../src/config/TracepipeConfig.js';
import type { ForwarderReport } from './forwardWorker.js';
import type { LoadSample } from './loadWorker.js';
import { spawnServiceWorker } from './spawnServiceWorker.js';

/**
 * `grpc-to-file-one-core`: the same as `grpc-to-file` with the forwarder confined to CPU 0 and the
 * senders to the others. `-durable`: the same as without, with the durable queue
 * (`receiver.queue_dir`, in a temp dir on the same filesystem as the capture files); `-no-sync`
 * with `queue_sync: none`.
 */
export type ForwardPath =
  | 'grpc-to-file'
  | 'grpc-to-file-durable'
  | 'grpc-to-file-durable-no-sync'
  | 'grpc-to-grpc'
  | 'grpc-to-grpc-durable'
  | 'grpc-to-file-one-core'
  | 'http-to-grpc';

interface PathShape {
  from: 'grpc' | 'http';
  to: 'file' | 'grpc';
  oneCore: boolean;
  /** The durable queue's `queue_sync`; undefined: the memory queue only. */
  durable: QueueSync | undefined;
}

const PATHS: Record<ForwardPath, PathShape> = {
  'grpc-to-file': { from: 'grpc', to: 'file', oneCore: false, durable: undefined },
  'grpc-to-file-durable': { from: 'grpc', to: 'file', oneCore: false, durable: 'always' },
  'grpc-to-file-durable-no-sync': { from: 'grpc', to: 'file', oneCore: false, durable: 'none' },
  'grpc-to-grpc': { from: 'grpc', to: 'grpc', oneCore: false, durable: undefined },
  'grpc-to-grpc-durable': { from: 'grpc', to: 'grpc', oneCore: false, durable: 'always' },
  'grpc-to-file-one-core': { from: 'grpc', to: 'file', oneCore: true, durable: undefined },
  'http-to-grpc': { from: 'http', to: 'grpc', oneCore: false, durable: undefined },
};

export interface ForwardSample {
  /** Spans acknowledged to the sender, over the load window plus the drain that delivered them. */
  spansPerSec: number;
  acked: number;
  rejected: number;
  dropped: number;
  drainMs: number;
  /** Forwarder process CPU per span acknowledged. */
  cpuUsPerSpan: number;
  peakRssMB: number;
  /** With the durable queue: the log's fdatasyncs per second of the run (each acknowledges a group of requests). */
  syncsPerSec?: number | undefined;
}

const FORWARDER = fileURLToPath(new URL('./forwardWorker.js', import.meta.url));
/**
 * Sender processes. One sender's event loop (grpc-js framing 280 KB requests) holds the
 * forwarder back to about 80% busy; with two, the forwarder is the bottleneck, as it should be.
 */
const SENDERS = 2;
/** Sent before the measured window and not counted, on either side: V8 optimizes the hot paths first. */
export const FORWARD_WARMUP_MS = 2000;
const LOAD = fileURLToPath(new URL('./loadWorker.js', import.meta.url));

/**
 * Why `grpc-to-file-one-core` cannot be measured here, or undefined when it can: it needs
 * `taskset` (util-linux) and a second CPU for the senders.
 */
export function oneCoreUnavailable(): string | undefined {
  if (availableParallelism() < 2) return 'one CPU only: the senders need another';
  const probe = spawnSync('taskset', ['-c', '0', process.execPath, '-e', ''], { stdio: 'ignore' });
  return probe.status === 0 ? undefined : 'taskset (util-linux) is not available';
}

/**
 * One forwarding run: forwarder, sender and destination each in their own process.
 * `forwarderScript`: another build's `dist/benchmarks/forwardWorker.js` to measure instead of
 * this one's (`npm run bench -- --baseline DIR`), with the same senders and destination.
 */
export async function measureForwarding(
  path: ForwardPath,
  durationMs: number,
  sinkGrpcPort: number,
  forwarderNodeArgs: string[] = [],
  forwarderScript = FORWARDER,
): Promise<ForwardSample> {
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-bench-fwd-'));
  try {
    const shape = PATHS[path];
    const forwarderPrefix = shape.oneCore ? ['taskset', '-c', '0'] : [];
    const senderPrefix = shape.oneCore ? ['taskset', '-c', `1-${availableParallelism() - 1}`] : [];
    const to = shape.to === 'file' ? `file://${join(dir, 'capture')}` : `grpc://127.0.0.1:${sinkGrpcPort}`;
    const forwarderArgs = ['--to', to];
    if (shape.durable !== undefined) forwarderArgs.push('--queue-dir', join(dir, 'queue'), '--queue-sync', shape.durable);
    const forwarder = await spawnServiceWorker<{ grpcAddress: string; httpAddress: string }, ForwarderReport>(
      forwarderScript,
      forwarderArgs,
      forwarderNodeArgs,
      forwarderPrefix,
    );
    const [transport, address] = shape.from === 'grpc' ? ['grpc', forwarder.ready.grpcAddress] : ['http', forwarder.ready.httpAddress];
    const loadArgs = ['--transport', transport, '--address', address, '--duration-ms', String(durationMs), '--warmup-ms', String(FORWARD_WARMUP_MS)];
    const mark = setTimeout(() => forwarder.send('mark'), FORWARD_WARMUP_MS);
    // The forwarder is always finished, so a failed sender does not leave it running.
    const loaded = await Promise.all(Array.from({ length: SENDERS }, () => spawnJsonWorker<LoadSample>(LOAD, loadArgs, { prefix: senderPrefix }))).then(
      (samples) => ({ samples }),
      (error: unknown) => ({ error }),
    );
    clearTimeout(mark);
    const report = await forwarder.finish();
    if ('error' in loaded) throw loaded.error;
    const load: LoadSample = {
      acked: loaded.samples.reduce((sum, s) => sum + s.acked, 0),
      rejected: loaded.samples.reduce((sum, s) => sum + s.rejected, 0),
      windowMs: Math.max(...loaded.samples.map((s) => s.windowMs)),
    };
    const elapsedMs = load.windowMs + report.drainMs;
    return {
      spansPerSec: (load.acked / elapsedMs) * 1000,
      acked: load.acked,
      rejected: load.rejected,
      dropped: report.dropped + report.exportFailed,
      drainMs: report.drainMs,
      cpuUsPerSpan: report.cpuUs / Math.max(1, load.acked),
      peakRssMB: report.peakRssMB,
      syncsPerSec: report.queueSyncs === undefined ? undefined : (report.queueSyncs / elapsedMs) * 1000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
