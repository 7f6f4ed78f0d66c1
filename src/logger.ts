/** One logging call, in pino's shape: structured fields first, then the message; or the message alone. */
export interface LogFn {
  (fields: Record<string, unknown>, msg: string): void;
  (msg: string): void;
}

/**
 * The small logging surface tracepipe needs, shaped like pino's so that a pino logger can be
 * passed as it is (`createTracing(config, { logger: pino() })`); or use the stderr default.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const NOTHING: LogFn = () => {};

/** One JSON object per line on stderr (stdout stays free for command output such as `view --json`). */
export function createLogger(level: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = ORDER[level];
  const emit = (lvl: Level): LogFn =>
    ORDER[lvl] < min
      ? NOTHING
      : (first: Record<string, unknown> | string, msg?: string) => {
          const line = typeof first === 'string' ? { time: new Date().toISOString(), level: lvl, msg: first } : { time: new Date().toISOString(), level: lvl, msg, ...first };
          write(`${JSON.stringify(line)}\n`);
        };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that says nothing, for tests and for the disabled setup. */
export const silentLogger: Logger = { debug: NOTHING, info: NOTHING, warn: NOTHING, error: NOTHING };
