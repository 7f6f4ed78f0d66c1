import { Command } from 'commander';
import { CaptureTraceSource } from '../ui/CaptureTraceSource.js';
import { DEFAULT_UI_ADDR, parseUiAddr } from '../ui/parseUiAddr.js';
import { startUiServer } from '../ui/startUiServer.js';

interface UiOptions {
  addr: string;
}

/** Where `serve` writes captures by default, so `tracepipe ui` alone shows them. */
const DEFAULT_CAPTURE = './traces';

/** `tracepipe ui [PATH...]`: index capture files, then serve the trace viewer over them until SIGINT/SIGTERM. */
export function uiCommand(): Command {
  return new Command('ui')
    .description('browse captured traces in a web page (search, waterfall, span details) with a Jaeger-style JSON API')
    .argument('[path...]', `capture files or directories of *.trace files [default: ${DEFAULT_CAPTURE}]`)
    .option('--addr <host:port>', 'address to serve on (loopback unless another host is given)', DEFAULT_UI_ADDR)
    .action(async (paths: string[], opts: UiOptions) => {
      // A bad address is reported before a long indexing run, not after.
      parseUiAddr(opts.addr, '--addr');
      const started = performance.now();
      const source = await CaptureTraceSource.index(paths.length > 0 ? paths : [DEFAULT_CAPTURE]);
      const status = source.status();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(`tracepipe ui: indexed ${status.traces} trace(s), ${status.spans} span(s) from ${status.sources.join(', ')} in ${seconds}s\n`);
      if (status.problems.count > 0) process.stderr.write(`tracepipe ui: warning: ${status.problems.count} capture line(s) could not be read in full\n`);
      const server = await startUiServer({ source, addr: opts.addr, addrKey: '--addr' });
      process.stdout.write(`tracepipe ui: serving ${server.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
