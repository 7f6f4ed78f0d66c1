/**
 * Diagnostics services on 127.0.0.1 port 0, closed when the test file ends. Call at module
 * level (it registers an `after` hook there):
 *
 *   const start = diagnosticsServers();
 *   const d = await start({ debug: true });   // any startDiagnostics option; silent logger, fresh stats
 */
import { after } from 'node:test';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { type DiagnosticsServer, startDiagnostics } from '../../src/diagnostics/startDiagnostics.js';
import { silentLogger } from '../../src/logger.js';

export type DiagnosticsOptions = Parameters<typeof startDiagnostics>[0];

export function diagnosticsServers(): (options?: Partial<DiagnosticsOptions>) => Promise<DiagnosticsServer> {
  const started: DiagnosticsServer[] = [];
  after(() => Promise.all(started.map((d) => d.close())));
  return async (options = {}) => {
    const d = await startDiagnostics({ addr: '127.0.0.1:0', stats: new PipelineStats(), logger: silentLogger, ...options });
    started.push(d);
    return d;
  };
}
