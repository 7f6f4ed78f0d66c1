import { setFlagsFromString } from 'node:v8';

/**
 * V8's heap growing factor for a forwarding process, as `--heap-growing-percent` (the factor is
 * 1 + percent/100): 2.5, in the range V8 chooses from by itself (1.1 to 4). A higher factor saves
 * a little more CPU but lets more of grpc-js's garbage Buffers wait for collection: with the
 * receiver's wider HTTP/2 window (widenReceiveWindow), peak RSS in the forwarding benchmark's
 * runs reached 136-169 MB at factor 3 and 135-143 MB at 2.5 (docs/forwarding.md).
 */
export const FORWARDER_HEAP_GROWING_PERCENT = 150;

/**
 * Fixes V8's heap growing factor for a process whose job is forwarding (`tracepipe serve` does
 * this), unless the process was started with its own `--heap-growing-percent`. Returns whether
 * it changed anything. It changes the whole process, which is why startForwarder leaves it to
 * its caller.
 *
 * Why: a forwarder's heap is small and steady (~10 MB), but grpc-js and node:http2 allocate
 * fresh Buffers for every request (each socket read, then the whole message), about twice the
 * wire bytes, and V8 counts external memory allocated since the last major GC against the
 * old-generation limit (heap.h, `OldGenerationSpaceAvailable`). V8 sets that limit from the
 * live heap by a factor it lowers while GC looks cheap (1.3 to 1.9 measured under load), so at
 * 120k spans/s (70 MB/s of requests) a major GC ran about every 70 ms. A fixed factor keeps
 * it from going that low.
 */
export function tuneHeapForForwarding(): boolean {
  if (process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${FORWARDER_HEAP_GROWING_PERCENT}`);
  return true;
}
