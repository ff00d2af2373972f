// Runs the whole cluster as `shaddock start` does: the compiled app (`npm test` builds it first) in
// a scratch copy whose config gives every server of config/servers.json's development environment
// free ports, as environment `test`. A client then plays against it, and the cluster is stopped
// with Ctrl-C's signal: the master and every server must be gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '@shaddock/client';
import { afterAll, beforeAll, expect, it } from 'vitest';

type ServerEntry = Record<string, unknown> & { port?: number; clientPort?: number; frontend?: boolean };

const root = fileURLToPath(new URL('..', import.meta.url));
const taken = new Set<number>();
let dir = '';
let master: ChildProcess | undefined;
/** Every pid the master reported starting, the master's own included. */
const pids = new Set<number>();
let clientPort = 0;

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const again = taken.has(port);
      taken.add(port);
      server.close(() => resolve(again ? freePort() : port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Writes dir/config/ for environment `test`: the development servers, each port a free one. */
async function writeTestConfig(): Promise<void> {
  const readJson = (name: string): Record<string, unknown> =>
    JSON.parse(readFileSync(join(root, 'config', name), 'utf8')) as Record<string, unknown>;
  const servers = readJson('servers.json')['development'] as Record<string, ServerEntry[]>;
  for (const list of Object.values(servers)) {
    for (const server of list) {
      if (server.port !== undefined) server.port = await freePort();
      if (server.clientPort !== undefined) server.clientPort = await freePort();
      if (server.frontend && clientPort === 0) clientPort = server.clientPort ?? 0;
    }
  }
  const masterInfo = { ...(readJson('master.json')['development'] as object), port: await freePort() };
  const write = (name: string, value: unknown): void =>
    writeFileSync(join(dir, 'config', name), JSON.stringify({ test: value }, null, 2));
  write('servers.json', servers);
  write('master.json', masterInfo);
}

beforeAll(async () => {
  // Inside the app's folder, so that the copy's imports find node_modules/.
  dir = mkdtempSync(join(root, '.test-cluster-'));
  cpSync(join(root, 'dist'), dir, { recursive: true });
  await writeTestConfig();
  const started = spawn(process.execPath, [join(dir, 'app.js'), 'env=test'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  master = started;
  if (started.pid !== undefined) pids.add(started.pid);
  // The master prints its servers' lines too: `started chat-server-1 (chat, pid 1234)`, then
  // `all 2 servers are ready`.
  await new Promise<void>((resolve, reject) => {
    started.once('exit', (code) => reject(new Error(`the master exited with ${code} during start-up`)));
    createInterface({ input: started.stdout! }).on('line', (line) => {
      const pid = /\bstarted \S+ \(\S+, pid (\d+)\)/.exec(line)?.[1];
      if (pid !== undefined) pids.add(Number(pid));
      if (/\ball \d+ servers are ready\b/.test(line)) resolve();
    });
  });
}, 60_000);

afterAll(() => {
  // Only after a failure is anything left to kill.
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

it('enters through the connector, chats with a chat server, and stops cleanly', async () => {
  const client = await connect({ host: '127.0.0.1', port: clientPort });
  try {
    const entered = await client.request('connector.entryHandler.entry', { name: 'ann' });
    expect(entered).toEqual({ code: 200, greeting: 'Hello, ann! (chat-server-1)' });
    const sent = await client.request('chat.chatHandler.send', { text: 'hi' });
    expect(sent).toEqual({ code: 200, from: 'ann', text: 'hi', server: 'chat-server-1' });
    expect(await client.request('connector.entryHandler.entry', { name: '' })).toMatchObject({ code: 400 });
  } finally {
    await client.close();
  }

  const exited = new Promise((resolve) => master?.once('exit', resolve));
  master?.kill('SIGINT');
  expect(await exited).toBe(0);
  // The master waits for its servers before it exits; give the OS a moment to reap them all the same.
  for (let wait = 0; [...pids].some(isAlive) && wait < 100; wait++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect([...pids].filter(isAlive)).toEqual([]);
}, 60_000);
