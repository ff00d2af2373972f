import { readdir, readFile, readlink } from 'node:fs/promises';

const LISTEN = '0A';

async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const columns = line.trim().split(/\s+/);
      const local = columns[1];
      const inode = columns[9];
      if (local === undefined || inode === undefined || columns[3] !== LISTEN) continue;
      const hexPort = local.slice(local.lastIndexOf(':') + 1);
      if (Number.parseInt(hexPort, 16) === port && inode !== '0') inodes.add(inode);
    }
  }
  return inodes;
}

/**
 * The pids of the processes (other than this one) listening on TCP `port`, found through
 * `/proc/net/tcp{,6}` and `/proc/<pid>/fd`. Linux only: elsewhere, or for processes whose `fd`
 * folder this user cannot read, nothing is found.
 */
export async function findPortHolders(port: number): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return [];
  const holders: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let descriptors: string[];
    try {
      descriptors = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const descriptor of descriptors) {
      const target = await readlink(`/proc/${pid}/fd/${descriptor}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined && inodes.has(match[1])) {
        holders.push(pid);
        break;
      }
    }
  }
  return holders;
}
