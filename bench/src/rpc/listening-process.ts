/**
 * The process that listens on a TCP port of this machine, found through /proc (Linux): the
 * benchmarks read the CPU time of the services they lean on (nats-server, redis-server) as they
 * read their own children's, and know those services only by their port.
 *
 * @example
 * ```ts
 * const pid = pidListeningOn(4222); // nats-server's pid, or undefined
 * if (pid !== undefined) readProcessCpu(pid);
 * ```
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state `LISTEN` in /proc/net/tcp. */
const LISTEN = '0A';

/**
 * The socket inodes listening on `port` (any address, IPv4 and IPv6), from the text of
 * `/proc/net/tcp` and `/proc/net/tcp6`.
 */
export function listeningInodes(tables: readonly string[], port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (local === undefined || state !== LISTEN || inode === undefined || inode === '0') continue;
      const hexPort = local.slice(local.lastIndexOf(':') + 1);
      if (Number.parseInt(hexPort, 16) === port) inodes.add(inode);
    }
  }
  return inodes;
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The pid of the process listening on TCP `port`, if one is found; `undefined` when none listens,
 * or when its /proc entries cannot be read (another user's process without the rights, not Linux).
 */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes([readOptional('/proc/net/tcp'), readOptional('/proc/net/tcp6')], port);
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let descriptors: string[];
    try {
      descriptors = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const descriptor of descriptors) {
      try {
        if (wanted.has(readlinkSync(`/proc/${pid}/fd/${descriptor}`))) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}
