import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnJsonWorker } from '../src/bench/spawnJsonWorker.js';
import type { ForwarderReport } from './forwardWorker.js';
import type { LoadSample } from './loadWorker.js';
import { spawnServiceWorker } from './spawnServiceWorker.js';

/** `grpc-to-file-one-core`: the same as `grpc-to-file` with the forwarder confined to CPU 0 and the senders to the others. */
export type ForwardPath = 'grpc-to-file' | 'grpc-to-file-one-core' | 'http-to-grpc';

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

/** One forwarding run: forwarder, sender and destination each in their own process. */
export async function measureForwarding(
  path: ForwardPath,
  durationMs: number,
  sinkGrpcPort: number,
  forwarderNodeArgs: string[] = [],
): Promise<ForwardSample> {
  const dir = await mkdtemp(join(tmpdir(), 'tracepipe-bench-fwd-'));
  try {
    const toFile = path !== 'http-to-grpc';
    const oneCore = path === 'grpc-to-file-one-core';
    const forwarderPrefix = oneCore ? ['taskset', '-c', '0'] : [];
    const senderPrefix = oneCore ? ['taskset', '-c', `1-${availableParallelism() - 1}`] : [];
    const to = toFile ? `file://${dir}` : `grpc://127.0.0.1:${sinkGrpcPort}`;
    const forwarder = await spawnServiceWorker<{ grpcAddress: string; httpAddress: string }, ForwarderReport>(
      FORWARDER,
      ['--to', to],
      forwarderNodeArgs,
      forwarderPrefix,
    );
    const [transport, address] = toFile ? ['grpc', forwarder.ready.grpcAddress] : ['http', forwarder.ready.httpAddress];
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
    return {
      spansPerSec: (load.acked / (load.windowMs + report.drainMs)) * 1000,
      acked: load.acked,
      rejected: load.rejected,
      dropped: report.dropped + report.exportFailed,
      drainMs: report.drainMs,
      cpuUsPerSpan: report.cpuUs / Math.max(1, load.acked),
      peakRssMB: report.peakRssMB,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
