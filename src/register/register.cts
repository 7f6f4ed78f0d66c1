/**
 * `node --require tracepipe/register app.cjs`. tracepipe is an ES module: Node 20.19 and later
 * load it here synchronously (require of ESM), so tracing is registered before the app's first
 * line; older Node 20 releases cannot, and get it through import() one tick later (spans started
 * before then are not recorded). CommonJS needs no loader hook: instrumentations patch require().
 */
type Start = typeof import('./startRegisteredTracing.js');

function start(module: Start): void {
  module.startRegisteredTracing();
}

try {
  start(require('./startRegisteredTracing.js') as Start);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
  import('./startRegisteredTracing.js').then(start, (cause: unknown) => {
    process.stderr.write(`tracepipe/register: tracing could not start: ${String(cause)}\n`);
  });
}
