import { Command, InvalidArgumentError, Option } from 'commander';
import { parseExporterUrl } from '../config/parseExporterUrl.js';
import type { TlsMaterial } from '../config/TracepipeConfig.js';
import { DEFAULTS } from '../config/validateConfig.js';
import { ConfigError } from '../errors.js';
import { replayCapture } from '../capture/replayCapture.js';
import { readCertificates, readKeypair } from '../tls/readPem.js';
import { parseDuration } from './parseDuration.js';
import { replayProgressBar } from './replayProgressBar.js';

export interface ReplayCommandOptions {
  to: string;
  caCert: string[];
  cert?: string;
  key?: string;
  /** Per export including retries, in ns (parsed by parseDuration). */
  timeout: bigint;
}

export interface ReplayStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Runs `tracepipe replay`; resolves to the exit code: 0 when every span was replayed, 1 when
 * any export failed or any capture line could not be read. The last line on `out` is always
 * `replayed N spans, failed M`.
 */
export async function runReplay(path: string, options: ReplayCommandOptions, streams: ReplayStreams): Promise<number> {
  const target = parseExporterUrl(options.to, '--to');
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new ConfigError('--cert and --key must be given together', { key: options.cert === undefined ? '--cert' : '--key' });
  }
  const tls = replayTls(options.caCert, options.cert, options.key);
  const bar = replayProgressBar(streams.err);
  let result;
  try {
    result = await replayCapture(path, target, {
      tls,
      timeoutMs: Math.max(1, Number(options.timeout / 1_000_000n)),
      onProgress: (p) => bar?.update(p),
      onProblem: (p) => {
        if (bar === undefined) streams.err.write(`tracepipe: warning: ${p.message}\n`);
      },
    });
  } finally {
    bar?.stop();
  }
  // With a bar on screen the warnings would have been overdrawn: list them after it.
  if (bar !== undefined) for (const p of result.problems) streams.err.write(`tracepipe: warning: ${p.message}\n`);
  if (result.firstError !== undefined) streams.err.write(`tracepipe: export to ${target.url} failed: ${result.firstError.message}\n`);
  streams.out.write(`replayed ${result.replayed} spans, failed ${result.failed}\n`);
  return result.failed > 0 || result.problems.length > 0 ? 1 : 0;
}

/** The TLS files of the command line, read and checked now; problems name the flags, not config keys. */
function replayTls(caFiles: string[], certFile: string | undefined, keyFile: string | undefined): TlsMaterial | undefined {
  const cas = caFiles.map((f) => readCertificates(f, '--ca-cert').pem);
  const keypairs =
    certFile === undefined || keyFile === undefined
      ? []
      : [{ ...readKeypair(keyFile, certFile, '--cert/--key', { key: '--key', cert: '--cert' }), keyFile, certFile }];
  if (cas.length === 0 && keypairs.length === 0) return undefined;
  return { ca: cas.length === 0 ? undefined : Buffer.concat(cas), keypairs, caFiles };
}

function collect(value: string, previous: string[]): string[] {
  if (value === '') throw new InvalidArgumentError('expected a file path');
  return [...previous, value];
}

/** `tracepipe replay PATH --to URL`: re-export a capture to a collector (or any exporter URL). */
export function replayCommand(): Command {
  return new Command('replay')
    .description('re-export the spans of a capture file or directory to an exporter URL, ids and timestamps intact')
    .argument('<path>', 'a capture file, or a directory of *.trace files')
    .requiredOption('--to <url>', 'destination: grpc://host:port, host:port, http(s)://host:port/v1/traces or file:///dir')
    .option('--ca-cert <file>', 'CA certificate(s) to trust, PEM (repeatable), as tracing_service.ca_certs', collect, [])
    .option('--cert <file>', 'client certificate for mTLS, PEM (with --key)')
    .option('--key <file>', 'client private key for mTLS, PEM (with --cert)')
    .addOption(
      new Option('--timeout <duration>', 'time allowed for each export including retries (e.g. 10s)')
        .argParser(parseDuration)
        .default(BigInt(DEFAULTS.exportTimeoutMs) * 1_000_000n, `${DEFAULTS.exportTimeoutMs / 1000}s`),
    )
    .action(async (path: string, options: ReplayCommandOptions) => {
      process.exitCode = await runReplay(path, options, { out: process.stdout, err: process.stderr });
    });
}
