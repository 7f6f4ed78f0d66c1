import { loadConfig } from '../config/loadConfig.js';
import type { RawConfig } from '../config/RawConfig.js';
import type { TracepipeConfig } from '../config/TracepipeConfig.js';
import { environmentConfig } from '../config/environmentConfig.js';
import { validateConfig } from '../config/validateConfig.js';
import { createTracing, type Tracing } from '../createTracing.js';
import { createLogger, type Logger } from '../logger.js';

/** The OTLP/HTTP endpoint the OpenTelemetry SDKs export to when nothing names one. */
export const DEFAULT_REGISTER_URL = 'http://localhost:4318/v1/traces';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * What `tracepipe/register` does: the configuration from `TRACEPIPE_CONFIG` (a YAML file) and the
 * OpenTelemetry environment variables, or from the environment alone (tracing on, OTLP/HTTP to
 * the SDKs' default endpoint unless told otherwise); the provider, context manager and
 * propagators installed globally; spans flushed when the event loop empties, and exported before
 * SIGTERM/SIGINT take effect. A signal the app does not handle still ends the process by that
 * signal once the pipeline has shut down; a handled one is left to the app (queued spans are
 * flushed and tracing goes on, so a graceful stop is traced too).
 */
export function startRegisteredTracing(env: NodeJS.ProcessEnv = process.env, logger: Logger = createLogger()): Tracing {
  const config = registerConfig(env);
  const tracing = createTracing(config, { register: true, logger });
  logger.info(describe(config));
  if (!config.tracing.enabled) return tracing;

  process.on('beforeExit', () => {
    // Only when something is queued: flushing schedules work, which fires beforeExit again.
    if (tracing.stats.queueSpans() > 0) void tracing.forceFlush();
  });
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      process.removeListener(signal, onSignal);
      // The app's own handler decides when to exit, and may trace its graceful stop: flush, keep tracing.
      if (process.listenerCount(signal) > 0) void tracing.forceFlush();
      else void tracing.shutdown().then(() => process.kill(process.pid, signal));
    };
    process.on(signal, onSignal);
  }
  return tracing;
}

function registerConfig(env: NodeJS.ProcessEnv): TracepipeConfig {
  const path = env.TRACEPIPE_CONFIG;
  if (path !== undefined && path !== '') return loadConfig(path, env);
  const raw: RawConfig = { tracing_service: { enabled: true } };
  if (environmentConfig(env).tracing.exporter_url === undefined) raw.tracing_service!.exporter_url = DEFAULT_REGISTER_URL;
  return validateConfig(raw, env);
}

/** The one line saying what is exported where, at which rate. */
function describe(config: TracepipeConfig): string {
  const t = config.tracing;
  if (!t.enabled) return `tracepipe: tracing is disabled for ${config.serviceName}`;
  const rate = t.samplingRatePerMillion;
  const headers = Object.keys(t.headers);
  return (
    `tracepipe: exporting traces of ${config.serviceName} to ${t.exporter!.url}` +
    ` at ${rate} per million new traces (${rate / 10_000}%), sampled parents always` +
    (headers.length === 0 ? '' : `, with headers ${headers.join(', ')}`) +
    (rate === 0 ? '; nothing new is sampled: set sampling_rate_per_million or OTEL_TRACES_SAMPLER' : '')
  );
}
