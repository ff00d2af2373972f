// Temporary app folders (config/servers.json, master.json, adminUser.json for the environment
// `test`), the admin user they hold, and free ports to put in them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The admin user the tests' clusters have. */
export const ADMIN = { id: 'admin', username: 'admin', password: 'correct horse', level: 1 } as const;

/** Whether something can listen on this port of 127.0.0.1 now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port the OS picks (from its ephemeral range). */
function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The first port of the range the kernel takes local ports of outgoing connections from. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const handedOut = new Set<number>();
const LOWEST = 10_000;

/**
 * A TCP port that was free a moment ago, for a config file (servers need fixed ports there). It is
 * picked below the ephemeral range: a port from that range can be taken by any outgoing connection
 * on the machine before the server binds it (EADDRINUSE under load). Never the same one twice in a
 * process.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  for (let attempt = 0; high - LOWEST >= 1_000 && attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  return osPort();
}

/** What an app folder's config files hold (environment `test`). */
export interface AppFolder {
  readonly masterPort: number;
  /** serverType → servers, as in servers.json. */
  readonly servers: Record<string, Record<string, unknown>[]>;
  readonly adminUsers?: readonly Record<string, unknown>[];
  /** The temporary folder's name prefix (default `shaddock-master-`). */
  readonly prefix?: string;
}

/** A temporary app folder with config/servers.json, master.json and adminUser.json; `remove` deletes it. */
export function makeAppFolder(app: AppFolder): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), app.prefix ?? 'shaddock-master-'));
  mkdirSync(join(dir, 'config'));
  const write = (name: string, content: unknown): void =>
    writeFileSync(join(dir, 'config', name), JSON.stringify(content, null, 2));
  write('servers.json', { test: app.servers });
  write('master.json', { test: { id: 'master-1', host: '127.0.0.1', port: app.masterPort } });
  write('adminUser.json', app.adminUsers ?? [ADMIN]);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
