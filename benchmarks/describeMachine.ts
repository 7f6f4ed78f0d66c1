import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGB: number;
  platform: string;
  node: string;
  date: string;
  /** The filesystem of the temp dir, where the durable-queue runs keep their log: fsync costs depend on it. */
  tmpFilesystem?: string | undefined;
}

export function describeMachine(now = new Date()): MachineDescription {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    tmpFilesystem: filesystemOf(os.tmpdir()),
  };
}

/** `ext4 on /dev/vda` for the mount holding `dir` (the longest mount point that contains it), from /proc/mounts; undefined elsewhere. */
function filesystemOf(dir: string): string | undefined {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return undefined;
  }
  let best: { point: string; text: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [device, point, type] = line.split(' ');
    if (device === undefined || point === undefined || type === undefined) continue;
    const contains = point === '/' || dir === point || dir.startsWith(`${point}/`);
    if (contains && (best === undefined || point.length > best.point.length)) best = { point, text: `${type} on ${device}` };
  }
  return best?.text;
}
