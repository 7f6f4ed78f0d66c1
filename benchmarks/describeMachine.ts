import os from 'node:os';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGB: number;
  platform: string;
  node: string;
  date: string;
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
  };
}
