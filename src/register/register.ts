/**
 * `node --import tracepipe/register app.mjs`: starts tracing (startRegisteredTracing) and installs
 * the OpenTelemetry loader hook, so that instrumentations see the app's ES-module imports.
 */
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { startRegisteredTracing } from './startRegisteredTracing.js';

const HOOK = '@opentelemetry/instrumentation/hook.mjs';

export const tracing = startRegisteredTracing();

/**
 * The hook comes from the app's own @opentelemetry/instrumentation (found from the main script,
 * then the working directory, then tracepipe): it must be the copy its instrumentations use.
 */
const bases = [process.argv[1], `${process.cwd()}/`, import.meta.url].filter((b): b is string => b !== undefined && b !== '');
const parent = bases.map((b) => (b.startsWith('file:') ? b : pathToFileURL(b).href)).find((base) => {
  try {
    createRequire(base).resolve(HOOK);
    return true;
  } catch {
    return false;
  }
});
if (parent !== undefined) register(HOOK, parent);
