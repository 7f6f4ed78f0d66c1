import { Command, CommanderError } from 'commander';
import { TracepipeError } from '../errors.js';
import { VERSION } from '../version.js';

/**
 * Each command's module, loaded only when that command runs (or for `--help`): `serve` should
 * not carry the benchmark's stock SDK or the capture viewer in its memory.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serveCommand.js')).serveCommand(),
  view: async () => (await import('./viewCommand.js')).viewCommand(),
  ui: async () => (await import('./uiCommand.js')).uiCommand(),
  replay: async () => (await import('./replayCommand.js')).replayCommand(),
  debug: async () => (await import('./debugCommand.js')).debugCommand(),
  bench: async () => (await import('./benchCommand.js')).benchCommand(),
};

/** Builds the `tracepipe` command line: a thin layer over the library's own functions. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('tracepipe')
    .description('OpenTelemetry tracing pipeline: forward, capture, view, replay and measure traces')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const first = argv.find((arg) => !arg.startsWith('-'));
  const names = first !== undefined && first in COMMANDS ? [first] : Object.keys(COMMANDS);
  for (const name of names) program.addCommand(await COMMANDS[name]!());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof TracepipeError) {
      process.stderr.write(`tracepipe: ${err.message} [${err.code}]\n`);
      return 2;
    }
    throw err;
  }
}
