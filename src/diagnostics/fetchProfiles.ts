import { TracepipeError } from '../errors.js';
import { parseDiagAddr } from './parseDiagAddr.js';

/** The profiles `tracepipe debug profile` knows, and the diagnostics path of each. */
export const PROFILE_KINDS = ['cpu', 'heap'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

export interface FetchedProfile {
  /** File name in the archive: `cpu.pprof`, `heap.pprof`. */
  name: string;
  data: Buffer;
}

/** Slack on top of the CPU profile's duration before a request is abandoned. */
const REQUEST_GRACE_MS = 30_000;

/**
 * Fetches pprof profiles from a running diagnostics service (started with debug), in the
 * order given. Failures name the address and what to do, not a stack.
 */
export async function fetchProfiles(options: { addr: string; profiles: readonly ProfileKind[]; seconds: number }): Promise<FetchedProfile[]> {
  const { host, port } = parseDiagAddr(options.addr);
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const result: FetchedProfile[] = [];
  for (const kind of options.profiles) {
    const path = kind === 'cpu' ? `/debug/pprof/profile?seconds=${options.seconds}` : '/debug/pprof/heap';
    result.push({ name: `${kind}.pprof`, data: await get(base, path, options.addr, options.seconds * 1000 + REQUEST_GRACE_MS) });
  }
  return result;
}

async function get(base: string, path: string, addr: string, timeoutMs: number): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(base + path, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new TracepipeError('TRACEPIPE_DIAGNOSTICS_REQUEST', `cannot reach the diagnostics service at ${addr} (${reason}): is tracepipe running with --diag-addr ${addr}?`, {
      cause: err,
    });
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) {
    throw new TracepipeError('TRACEPIPE_DIAGNOSTICS_REQUEST', `profiling is disabled on ${addr}: start tracepipe with --debug to serve ${path.split('?')[0]}`);
  }
  if (res.status !== 200) {
    throw new TracepipeError('TRACEPIPE_DIAGNOSTICS_REQUEST', `${base}${path} answered ${res.status}: ${body.toString('utf8').slice(0, 200)}`);
  }
  return body;
}
