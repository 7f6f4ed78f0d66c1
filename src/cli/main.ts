import { Command, CommanderError } from 'commander';
import { TracepipeError } from '../errors.js';
import { benchCommand } from './benchCommand.js';
import { debugCommand } from './debugCommand.js';
import { replayCommand } from './replayCommand.js';
import { serveCommand } from './serveCommand.js';
import { viewCommand } from './viewCommand.js';
import { VERSION } from '../version.js';

/** Builds the `tracepipe` command line: a thin layer over the library's own functions. */
export function buildProgram(): Command {
  const program = new Command('tracepipe')
    .description('OpenTelemetry tracing pipeline: forward, capture, view, replay and measure traces')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(benchCommand());
  program.addCommand(debugCommand());
  program.addCommand(viewCommand());
  program.addCommand(replayCommand());
  program.addCommand(serveCommand());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
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
