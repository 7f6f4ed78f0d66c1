/** The small logging surface tracepipe needs; pass your own (pino fits as it is) or use the stderr default. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One JSON object per line on stderr (stdout stays free for command output such as `view --json`). */
export function createLogger(level: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = ORDER[level];
  const emit = (lvl: Level) =>
    ORDER[lvl] < min
      ? () => {}
      : (msg: string, fields?: Record<string, unknown>) => {
          write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
        };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that says nothing, for tests and for the disabled setup. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
