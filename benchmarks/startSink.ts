import { fileURLToPath } from 'node:url';
import { spawnServiceWorker } from './spawnServiceWorker.js';

export interface SinkHandle {
  grpcPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

const SINK = fileURLToPath(new URL('./sinkWorker.js', import.meta.url));

/** Starts the discarding OTLP sink in a sibling process (on the other core, ideally). */
export async function startSink(): Promise<SinkHandle> {
  const worker = await spawnServiceWorker<{ grpcPort: number; httpPort: number }>(SINK, []);
  let stopped: Promise<void> | undefined;
  return { ...worker.ready, stop: () => (stopped ??= worker.finish()) };
}
