import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/** Why a socket was refused at accept, before anything was read from it. */
export const Refusal = {
  /** The server's `max-connections`: every accepted socket counts, handshaken or not. */
  MaxConnections: 'max-connections',
  /** The descriptor budget: the soft `ulimit -n` less what the server keeps for itself. */
  DescriptorBudget: 'descriptor-budget',
  /** `maxConnectionsPerIp` sockets from that address are open already. */
  PerIp: 'per-ip',
  /** The process ran out of file descriptors (EMFILE / ENFILE on accept). */
  OutOfDescriptors: 'out-of-descriptors',
} as const;

/** One of {@link Refusal}'s values. */
export type Refusal = (typeof Refusal)[keyof typeof Refusal];

/**
 * Open sockets per client address, for `maxConnectionsPerIp`. Loopback addresses are not
 * counted: on them every client of a local proxy (a TLS terminator on the same host) would share
 * one count.
 */
export class IpCounts {
  readonly #limit: number;
  readonly #counts = new Map<string, number>();

  /** `limit`: sockets allowed per address; 0 counts nothing. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts `socket` under `ip` until it closes; false (nothing counted) when `ip` has its limit. */
  take(socket: Socket, ip: string): boolean {
    if (this.#limit === 0 || isLoopback(ip)) return true;
    const counts = this.#counts;
    const count = counts.get(ip) ?? 0;
    if (count >= this.#limit) return false;
    counts.set(ip, count + 1);
    socket.once('close', () => {
      const left = (counts.get(ip) ?? 1) - 1;
      if (left > 0) counts.set(ip, left);
      else counts.delete(ip);
    });
    return true;
  }

  /** Addresses with at least one socket counted. */
  get size(): number {
    return this.#counts.size;
  }
}

/** 127.0.0.0/8 and ::1 (IPv4-mapped addresses are normalized to IPv4 before). */
export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** The descriptors a server keeps for itself out of its soft limit: RPC links, logs, files. */
export function descriptorReserve(softLimit: number): number {
  return Math.min(1024, Math.max(32, Math.floor(softLimit / 10)));
}

/**
 * How many client sockets the process may hold: its soft open-files limit (`ulimit -n`, read from
 * `/proc/self/limits`) less {@link descriptorReserve}. Undefined where the limit cannot be read
 * (not Linux) or is unlimited.
 */
export function descriptorBudget(limits = readLimits()): { softLimit: number; budget: number } | undefined {
  const line = limits?.split('\n').find((text) => text.startsWith('Max open files'));
  const soft =
    line === undefined ? Number.NaN : Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]);
  if (!Number.isInteger(soft) || soft <= 0) return undefined;
  return { softLimit: soft, budget: Math.max(1, soft - descriptorReserve(soft)) };
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}
