import { readFileSync } from 'node:fs';

/**
 * CPU time of the calling thread in ns, from Linux's /proc/thread-self/schedstat (its first field:
 * time on a CPU); undefined elsewhere. Node 20 has no per-thread CPU clock (process.threadCpuUsage
 * came in 23.9) and process.cpuUsage() also counts the GC, JIT and libuv threads.
 */
export function mainThreadCpuNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
  } catch {
    return undefined;
  }
}
