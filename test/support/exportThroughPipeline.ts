/**
 * Runs spans through tracepipe's real pipeline (`createTracing`: sampler, queue, the exporter
 * `exporter_url` names, TLS from the config files) and reports what the stats counted.
 *
 *   const run = await exportThroughPipeline(url, { ca_certs: [certs.caCert] });
 *   run.spanIds (the spans made), run.stats (exported, exportFailed, retries...)
 */
import type { RawTracingService } from '../../src/config/RawConfig.js';
import { createTracing } from '../../src/createTracing.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { silentLogger } from '../../src/logger.js';

export interface PipelineRun {
  spanIds: string[];
  stats: PipelineStats;
}

export async function exportThroughPipeline(url: string, tracing: RawTracingService = {}, spanCount = 3): Promise<PipelineRun> {
  const stats = new PipelineStats();
  const tracingSetup = createTracing(
    {
      service_name: 'tls-test',
      tracing_service: {
        enabled: true,
        exporter_url: url,
        sampling_rate_per_million: 1_000_000,
        export_timeout_ms: 3_000,
        shutdown_timeout_ms: 10_000,
        ...tracing,
      },
    },
    { stats, logger: silentLogger },
  );
  const tracer = tracingSetup.tracer('tls-test');
  const spanIds: string[] = [];
  for (let i = 0; i < spanCount; i++) {
    const span = tracer.startSpan(`tls-span-${i}`, { attributes: { index: i } });
    spanIds.push(span.spanContext().spanId);
    span.end();
  }
  await tracingSetup.forceFlush();
  await tracingSetup.shutdown();
  return { spanIds, stats };
}
