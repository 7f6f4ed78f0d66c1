import { Argument, Command, InvalidArgumentError } from 'commander';
import { didYouMean } from '../config/didYouMean.js';
import { PROFILE_KINDS, type ProfileKind, fetchProfiles } from '../diagnostics/fetchProfiles.js';
import { DEFAULT_DIAG_ADDR, parseDiagAddr } from '../diagnostics/parseDiagAddr.js';
import { writeProfileArchive } from '../diagnostics/writeProfileArchive.js';

const MAX_SECONDS = 600;
const DEFAULT_SECONDS = 10;

function parseProfiles(value: string): ProfileKind[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new InvalidArgumentError(`name at least one of ${PROFILE_KINDS.join(', ')}`);
  for (const name of names) {
    if (!(PROFILE_KINDS as readonly string[]).includes(name)) {
      const hint = didYouMean(name, PROFILE_KINDS);
      throw new InvalidArgumentError(`unknown profile "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${PROFILE_KINDS.join(', ')}`);
    }
  }
  return [...new Set(names)] as ProfileKind[];
}

function parseSeconds(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_SECONDS)) throw new InvalidArgumentError(`"${value}" must be an integer from 1 to ${MAX_SECONDS}`);
  return n;
}

function parseAddr(value: string): string {
  try {
    parseDiagAddr(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** `tracepipe debug`: collects diagnostics from a running tracepipe's diagnostics service. */
export function debugCommand(): Command {
  const debug = new Command('debug').description('collect diagnostics from a running tracepipe (its diagnostics service, --diag-addr)');
  debug
    .command('profile')
    .description('fetch pprof profiles (started with --debug) and write them to stdout as a .tar.gz of <name>.pprof files')
    .addArgument(
      new Argument('[profiles]', `comma-separated profiles: ${PROFILE_KINDS.join(', ')}`)
        .argParser(parseProfiles)
        .default([...PROFILE_KINDS], PROFILE_KINDS.join(',')),
    )
    .option('-s, --seconds <n>', 'duration of the CPU profile', parseSeconds, DEFAULT_SECONDS)
    .option('--diag-addr <addr>', 'address of the diagnostics service', parseAddr, DEFAULT_DIAG_ADDR)
    .addHelpText(
      'after',
      '\nExamples:\n  tracepipe debug profile > pprof.tar.gz\n  tracepipe debug profile -s 30 cpu | tar xzv -C ./\n  go tool pprof -http : cpu.pprof',
    )
    .action(async function (this: Command, profiles: ProfileKind[], opts: { seconds: number; diagAddr: string }) {
      if (process.stdout.isTTY) {
        this.error('refusing to write a binary archive to a terminal: redirect stdout (tracepipe debug profile > pprof.tar.gz)', { exitCode: 2 });
      }
      const fetched = await fetchProfiles({ addr: opts.diagAddr, profiles, seconds: opts.seconds });
      await writeProfileArchive(fetched, process.stdout);
    });
  return debug;
}
