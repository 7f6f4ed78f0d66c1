import { parseArgs } from 'node:util';
import { silentLogger } from '../src/logger.js';
import { startForwarder } from '../src/receiver/startForwarder.js';
import { tuneHeapForForwarding } from '../src/receiver/tuneHeapForForwarding.js';

/**
 * The forwarder under test, alone in its process (so its RSS and CPU are its own), its heap
 * tuned as `tracepipe serve` tunes it: receives on ephemeral ports, forwards to `--to`, with the
 * durable queue in `--queue-dir` if given (`--queue-sync`: its policy). Prints
 * its addresses when listening; a `mark` line on stdin (the end of the senders' warm-up)
 * restarts its CPU count; when stdin closes, drains and closes, then prints what it did.
 */
export interface ForwarderReport {
  /** Time from the close request until everything queued was delivered. */
  drainMs: number;
  received: number;
  dropped: number;
  exportFailed: number;
  cpuUs: number;
  peakRssMB: number;
  /** With `--queue-dir`: the log's fdatasyncs after the mark. */
  queueSyncs?: number | undefined;
}

const { values } = parseArgs({ options: { to: { type: 'string' }, 'queue-dir': { type: 'string' }, 'queue-sync': { type: 'string' } } });
// As `tracepipe serve` does.
tuneHeapForForwarding();
const forwarder = await startForwarder(
  {
    tracing_service: { exporter_url: values.to },
    receiver: { grpc_listen: '127.0.0.1:0', http_listen: '127.0.0.1:0', queue_dir: values['queue-dir'], queue_sync: values['queue-sync'] },
  },
  { logger: silentLogger },
);
const { stats } = forwarder;
let cpuStart = process.cpuUsage();
let syncsStart = stats.queueLogSyncs();
process.stdout.write(`${JSON.stringify({ grpcAddress: forwarder.grpcAddress, httpAddress: forwarder.httpAddress })}\n`);
process.stdin.setEncoding('utf8').on('data', (text: string) => {
  if (text.includes('mark')) {
    cpuStart = process.cpuUsage();
    syncsStart = stats.queueLogSyncs();
  }
});
process.stdin.on('end', async () => {
  const start = performance.now();
  await forwarder.close();
  const drainMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const report: ForwarderReport = {
    drainMs,
    received: stats.received.grpc + stats.received.http,
    dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0),
    exportFailed: stats.exportFailed,
    cpuUs: cpu.user + cpu.system,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    queueSyncs: values['queue-dir'] === undefined ? undefined : stats.queueLogSyncs() - syncsStart,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
});
