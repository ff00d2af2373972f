import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import type { CpuUsage } from '../admin/index.js';

/** Whether `host` names whatever machine reads it: loopback or a wildcard. */
export function isLoopback(host: string): boolean {
  return (
    host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '0.0.0.0' || host === '::'
  );
}

/** The names and addresses of this machine: its host name and every interface's address. */
export function localAddresses(): string[] {
  const addresses = new Set(['localhost', '127.0.0.1', '::1', hostname()]);
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.add(entry.address);
  }
  return [...addresses];
}

/** Whether a server with this `host` runs on the machine whose `addresses` these are. */
export function hostIsAmong(host: string, addresses: readonly string[]): boolean {
  return isLoopback(host) || addresses.includes(host);
}

// Linux counts CPU time in clock ticks of 1/100 s (USER_HZ) on every common architecture.
const TICKS_PER_SECOND = 100;

/**
 * The memory and CPU time of another process of this machine, read from `/proc` (Linux only;
 * `undefined` elsewhere, or when the process is gone): what a master shows for the servers it
 * spawned, without asking them.
 */
export async function processFigures(pid: number): Promise<{ rss: number; cpu: CpuUsage } | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const [status, stat] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
    // "pid (name) state ppid …": utime and stime are the 14th and 15th fields, 12th and 13th after the name
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    if (!Number.isFinite(rssKb) || !Number.isFinite(user) || !Number.isFinite(system)) return undefined;
    const micros = 1_000_000 / TICKS_PER_SECOND;
    return { rss: rssKb * 1024, cpu: { user: user * micros, system: system * micros } };
  } catch {
    return undefined;
  }
}
