import cliProgress from 'cli-progress';
import type { ReplayProgress } from '../capture/replayCapture.js';
import { formatDuration } from './formatDuration.js';

/**
 * The replay progress bar (by capture bytes, so the ETA is known from the start) with spans/s.
 * Only for a terminal: returns undefined otherwise, so scripts and logs get the summary alone.
 */
export function replayProgressBar(stream: NodeJS.WritableStream & { isTTY?: boolean }): { update(p: ReplayProgress): void; stop(): void } | undefined {
  if (stream.isTTY !== true) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'replay [{bar}] {percentage}% | {spans} spans | {rate} spans/s | ETA {etaText}',
      hideCursor: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let running = false;
  return {
    update(p) {
      const seconds = (performance.now() - started) / 1000;
      // Our own ETA from the byte rate: cli-progress's goes blank when an update brings no progress.
      const left = Math.max(0, p.totalBytes - p.bytesRead);
      const etaSec = left === 0 ? 0 : p.bytesRead > 0 && seconds > 0 ? (left * seconds) / p.bytesRead : undefined;
      const payload = {
        spans: p.replayed + p.failed,
        rate: seconds > 0 ? Math.round(p.replayed / seconds) : 0,
        etaText: etaSec === undefined ? '?' : etaSec < 60 ? `${Math.ceil(etaSec)}s` : formatDuration(BigInt(Math.round(etaSec * 1e9))),
      };
      if (!running) {
        running = true;
        bar.start(Math.max(1, p.totalBytes), p.bytesRead, payload);
      } else {
        bar.update(p.bytesRead, payload);
      }
    },
    stop() {
      if (running) bar.stop();
    },
  };
}
