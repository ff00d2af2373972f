// Runs the built chat example (dist/) as real processes for the tests: a temporary app folder with
// config/ for the environment `test` (free ports on 127.0.0.1) and `dist` linked to the example's,
// the master started as `node <folder>/dist/app.js env=test`, and a stop that always leaves no
// process behind. (A small local copy of what packages/shaddock/test/support does: the lint rule
// keeps examples from importing another package's files.)
import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));

/** Whether something can listen on this port of 127.0.0.1 now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A port free a moment ago, for a config file. Picked from 20000–29999, below Linux's ephemeral
 * range, so that no outgoing connection takes it before the server binds it; never twice.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found in 20000–29999');
}

/** Polls `probe` until it returns something; fails after `timeoutMs` (a guard, never an assertion on time). */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a process with this pid runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

/** The pids of `parent`'s children, read from /proc. */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** A server of the test cluster, as written in its servers.json. */
export interface TestServer {
  readonly id: string;
  readonly serverType: string;
  readonly port?: number;
  readonly clientPort?: number;
}

/** A running chat cluster; `stop()` always (it is safe to call twice). */
export interface ChatCluster {
  readonly dir: string;
  readonly gate: { readonly host: string; readonly port: number };
  /** The web page's base URL, `http://127.0.0.1:<port>/`. */
  readonly web: string;
  readonly servers: readonly TestServer[];
  /** The master's pid and every pid its servers have had. */
  readonly pids: readonly number[];
  /** What the master printed (its servers' lines come through it). */
  output(): string;
  /** The pid of the server `id` now (it changes when the master restarts it). */
  pidOf(id: string): number | undefined;
  /** Stops the master gracefully (SIGTERM), then kills whatever is left; resolves to the pids that had to be killed. */
  stop(): Promise<number[]>;
}

/** Starts the built chat example with 1 gate, 2 connectors and 2 chat servers, and resolves once it is up. */
export async function startChatCluster(): Promise<ChatCluster> {
  const host = '127.0.0.1';
  const gatePort = await freePort();
  const webPort = await freePort();
  const servers = {
    gate: [{ id: 'gate-1', host, clientPort: gatePort, frontend: true, webPort }],
    connector: [
      {
        id: 'connector-1',
        host,
        port: await freePort(),
        clientPort: await freePort(),
        frontend: true,
        'auto-restart': true,
      },
      {
        id: 'connector-2',
        host,
        port: await freePort(),
        clientPort: await freePort(),
        frontend: true,
        'auto-restart': true,
      },
    ],
    chat: [
      { id: 'chat-1', host, port: await freePort() },
      { id: 'chat-2', host, port: await freePort() },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'shaddock-chat-'));
  mkdirSync(join(dir, 'config'));
  const write = (name: string, content: unknown): void =>
    writeFileSync(join(dir, 'config', name), JSON.stringify(content, null, 2));
  write('servers.json', { test: servers });
  write('master.json', { test: { id: 'master-1', host, port: await freePort() } });
  write('adminUser.json', []);
  write('dictionary.json', ['onChat', 'onAdd', 'onLeave']);
  // The app's base is the folder above its entry's: this folder, with the test config.
  symlinkSync(join(EXAMPLE, 'dist'), join(dir, 'dist'), 'dir');

  const environment: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test' };
  delete environment['SHADDOCK_ADMIN_USER'];
  const master: ChildProcess = spawn(process.execPath, [join(dir, 'dist', 'app.js'), 'env=test'], {
    cwd: dir,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  master.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  master.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    master.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const pids = new Set<number>(master.pid === undefined ? [] : [master.pid]);

  let stopping: Promise<number[]> | undefined;
  const stop = (): Promise<number[]> => {
    stopping ??= (async () => {
      if (master.pid !== undefined) for (const pid of childrenOf(master.pid)) pids.add(pid);
      if (!exited) master.kill('SIGTERM');
      await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      const killed: number[] = [];
      try {
        await waitFor('every process of the cluster to exit', () =>
          [...pids].every((pid) => !alive(pid)) ? true : undefined,
        );
      } catch {
        for (const pid of pids) {
          if (!alive(pid)) continue;
          killed.push(pid);
          process.kill(pid, 'SIGKILL');
        }
      }
      rmSync(dir, { recursive: true, force: true });
      return killed;
    })();
    return stopping;
  };

  try {
    await waitFor('the chat cluster to start', () => {
      if (exited) throw new Error(`the master exited during start-up:\n${output}`);
      return output.includes('Shaddock chat is running') ? true : undefined;
    });
    if (master.pid !== undefined) for (const pid of childrenOf(master.pid)) pids.add(pid);
  } catch (error) {
    await stop();
    throw error;
  }

  const list: TestServer[] = Object.entries(servers).flatMap(([serverType, entries]) =>
    entries.map((entry: { id: string; port?: number; clientPort?: number }) => ({
      id: entry.id,
      serverType,
      ...(entry.port === undefined ? {} : { port: entry.port }),
      ...(entry.clientPort === undefined ? {} : { clientPort: entry.clientPort }),
    })),
  );
  return {
    dir,
    gate: { host, port: gatePort },
    web: `http://${host}:${webPort}/`,
    servers: list,
    get pids() {
      return [...pids];
    },
    output: () => output,
    pidOf(id) {
      if (master.pid === undefined) return undefined;
      for (const pid of childrenOf(master.pid)) {
        pids.add(pid);
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`id=${id}`)) return pid;
        } catch {
          // gone meanwhile
        }
      }
      return undefined;
    },
    stop,
  };
}
