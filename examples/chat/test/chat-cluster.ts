// Runs the built chat example (dist/) as real processes for the tests: a temporary app folder with
// config/ on free ports of 127.0.0.1 and `dist` linked to the example's, and a stop that always
// leaves no process behind. Three ways: `startChatCluster`, the master started as
// `node <folder>/dist/app.js env=test` (the one-machine cluster); `startProductionChatCluster`,
// the same for the `production` environment of the example's config/ (moved to 127.0.0.1, with a
// cluster secret and an admin user), for the attack tests; `startScaleChatCluster`, the
// `scale` environment (NATS and Redis, no master), every server its own
// `shaddock server --env scale --id <id> --dir <folder>`. (A small local copy of what
// packages/shaddock/test/support does: the lint rule keeps examples from importing another
// package's files; free ports, polling and `alive` come from @shaddock/test-support.)
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
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, freePort, terminate, waitFor } from '@shaddock/test-support';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
/** The `shaddock` command of the framework the example depends on (`<package>/bin/shaddock.js`). */
export const SHADDOCK_BIN = join(
  dirname(createRequire(join(EXAMPLE, 'package.json')).resolve('shaddock')),
  '..',
  'bin',
  'shaddock.js',
);

export { alive, freePort, waitFor };

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

type ServerEntry = { id: string; port?: number; clientPort?: number } & Record<string, unknown>;

/** 1 gate, 2 connectors and 2 chat servers on free ports of `host`, as `servers.json` lists them by type. */
async function testServers(host: string, connectorFields: Record<string, unknown> = {}) {
  const gatePort = await freePort();
  const webPort = await freePort();
  const connector = async (id: string): Promise<ServerEntry> => ({
    id,
    host,
    port: await freePort(),
    clientPort: await freePort(),
    frontend: true,
    ...connectorFields,
  });
  const servers: Record<string, ServerEntry[]> = {
    gate: [{ id: 'gate-1', host, clientPort: gatePort, frontend: true, webPort }],
    connector: [await connector('connector-1'), await connector('connector-2')],
    chat: [
      { id: 'chat-1', host, port: await freePort() },
      { id: 'chat-2', host, port: await freePort() },
    ],
  };
  return { servers, gatePort, webPort };
}

/** The servers as {@link TestServer}s. */
function serverList(servers: Record<string, ServerEntry[]>): TestServer[] {
  return Object.entries(servers).flatMap(([serverType, entries]) =>
    entries.map((entry) => ({
      id: entry.id,
      serverType,
      ...(entry.port === undefined ? {} : { port: entry.port }),
      ...(entry.clientPort === undefined ? {} : { clientPort: entry.clientPort }),
    })),
  );
}

/**
 * A temporary app folder: config/ for environment `env` (these servers, a master on a free port,
 * the chat's dictionary, and `cluster` as config/cluster.json when given), and `dist` linked to
 * the example's: the app's base is the folder above its entry's.
 */
async function writeAppFolder(
  env: string,
  host: string,
  servers: Record<string, ServerEntry[]>,
  cluster?: unknown,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'shaddock-chat-'));
  mkdirSync(join(dir, 'config'));
  const write = (name: string, content: unknown): void =>
    writeFileSync(join(dir, 'config', name), JSON.stringify(content, null, 2));
  write('servers.json', { [env]: servers });
  write('master.json', { [env]: { id: 'master-1', host, port: await freePort() } });
  write('adminUser.json', []);
  write('dictionary.json', JSON.parse(readFileSync(join(EXAMPLE, 'config', 'dictionary.json'), 'utf8')));
  if (cluster !== undefined) write('cluster.json', cluster);
  symlinkSync(join(EXAMPLE, 'dist'), join(dir, 'dist'), 'dir');
  return dir;
}

/** How {@link startChatCluster} runs the test cluster. */
export interface ChatClusterOptions {
  /**
   * `SHADDOCK_ADMIN_USER` of the master, `user:password`, for the CLI (`shaddock add`, …) to log
   * in as; without it the cluster has no admin user (one set in the tests' own environment is dropped).
   */
  readonly adminUser?: string;
}

/** The master's environment: this process's, under `NODE_ENV=<env>`, with `adminUser` as its only admin user. */
function masterEnvironment(
  env: string,
  adminUser: string | undefined,
  variables: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: env, ...variables };
  if (adminUser === undefined) delete environment['SHADDOCK_ADMIN_USER'];
  else environment['SHADDOCK_ADMIN_USER'] = adminUser;
  return environment;
}

/** Starts the built chat example with 1 gate, 2 connectors and 2 chat servers, and resolves once it is up. */
export async function startChatCluster(options: ChatClusterOptions = {}): Promise<ChatCluster> {
  const host = '127.0.0.1';
  const { servers, gatePort, webPort } = await testServers(host, { 'auto-restart': true });
  const dir = await writeAppFolder('test', host, servers);
  const environment = masterEnvironment('test', options.adminUser);
  return runMaster(dir, 'test', environment, servers, { host, port: gatePort, webPort });
}

/** How {@link startProductionChatCluster} runs the example's production environment. */
export interface ProductionOptions extends ChatClusterOptions {
  /** `SHADDOCK_CLUSTER_SECRET` (production refuses to start without one). */
  readonly secret: string;
  /** `SHADDOCK_ADMIN_USER` of the master, `user:password` (production has no admin user otherwise). */
  readonly adminUser: string;
  /** Fields laid over each connector's production entry (a lower `max-connections`, …). */
  readonly connectorFields?: Record<string, unknown>;
}

/**
 * Starts the example's `production` environment as its config/ describes it (the same servers
 * with the same fields: `max-connections`, `auto-restart`, …), under `NODE_ENV=production` with a
 * cluster secret and an admin user from the environment, moved to 127.0.0.1 only: every `host`
 * and `clientHost`, the connectors' client ports (`CHAT_LISTEN_HOST`), on free ports. Server ids
 * are the file's (`connector-server-1`, …).
 */
export async function startProductionChatCluster(options: ProductionOptions): Promise<ChatCluster> {
  const env = 'production';
  const host = '127.0.0.1';
  const config = (name: string): Record<string, unknown> =>
    (
      JSON.parse(readFileSync(join(EXAMPLE, 'config', name), 'utf8')) as Record<
        string,
        Record<string, unknown>
      >
    )[env] ?? {};
  const servers: Record<string, ServerEntry[]> = {};
  for (const [serverType, entries] of Object.entries(
    config('servers.json') as Record<string, ServerEntry[]>,
  )) {
    servers[serverType] = [];
    for (const entry of entries) {
      const moved: ServerEntry = { ...entry, host };
      if (entry['clientHost'] !== undefined) moved['clientHost'] = host;
      for (const port of ['port', 'clientPort', 'webPort'] as const) {
        if (entry[port] !== undefined) moved[port] = await freePort();
      }
      servers[serverType].push(serverType === 'connector' ? { ...moved, ...options.connectorFields } : moved);
    }
  }
  const gate = servers['gate']?.[0];
  if (gate?.clientPort === undefined || typeof gate['webPort'] !== 'number') {
    throw new Error('config/servers.json: the production gate has no clientPort or webPort');
  }
  const dir = await writeAppFolder(env, host, servers, { [env]: config('cluster.json') });
  const environment = masterEnvironment(env, options.adminUser, {
    SHADDOCK_CLUSTER_SECRET: options.secret,
    CHAT_LISTEN_HOST: host,
  });
  return runMaster(dir, env, environment, servers, { host, port: gate.clientPort, webPort: gate['webPort'] });
}

/** Runs `node <dir>/dist/app.js env=<env>` (the master, which starts every server) and resolves once the cluster is up. */
async function runMaster(
  dir: string,
  env: string,
  environment: NodeJS.ProcessEnv,
  servers: Record<string, ServerEntry[]>,
  gate: { host: string; port: number; webPort: number },
): Promise<ChatCluster> {
  const master: ChildProcess = spawn(process.execPath, [join(dir, 'dist', 'app.js'), `env=${env}`], {
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
      const killed = await terminate(master, exit, pids, 15_000);
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

  const list = serverList(servers);
  return {
    dir,
    gate: { host: gate.host, port: gate.port },
    web: `http://${gate.host}:${gate.webPort}/`,
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

/** Where a scale-out cluster's shared services are, and the name that keeps its keys apart. */
export interface ScaleServices {
  /** The cluster's name (`SHADDOCK_CLUSTER`): every NATS bucket and Redis key of it carries it. */
  readonly cluster: string;
  readonly nats: string;
  readonly redis: string;
}

/**
 * The services the example's `scale` environment uses (config/cluster.json), as its servers will
 * read them: `SHADDOCK_NATS_URL` and `SHADDOCK_REDIS_URL` win over the file when set.
 */
export function scaleServices(cluster: string): ScaleServices {
  const file = JSON.parse(readFileSync(join(EXAMPLE, 'config', 'cluster.json'), 'utf8')) as {
    scale?: { nats?: string | { servers?: string | string[] }; redis?: string | { url?: string } };
  };
  const config = file.scale ?? {};
  const servers = typeof config.nats === 'string' ? config.nats : config.nats?.servers;
  const fileNats = Array.isArray(servers) ? servers[0] : servers;
  const fileRedis = typeof config.redis === 'string' ? config.redis : config.redis?.url;
  const nats = process.env['SHADDOCK_NATS_URL']?.split(',')[0]?.trim() || fileNats;
  const redis = process.env['SHADDOCK_REDIS_URL']?.trim() || fileRedis;
  if (nats === undefined || redis === undefined) {
    throw new Error('config/cluster.json names no NATS or no Redis for the scale environment');
  }
  return { cluster, nats, redis };
}

/** A running scale-out chat cluster (no master); `stop()` always (it is safe to call twice). */
export interface ScaleChatCluster {
  readonly dir: string;
  readonly services: ScaleServices;
  readonly gate: { readonly host: string; readonly port: number };
  readonly servers: readonly TestServer[];
  /** Every pid the cluster's servers have had. */
  readonly pids: readonly number[];
  /** What the current (or last) process of server `id` printed. */
  output(id: string): string;
  /** The pid of server `id`, while it runs. */
  pidOf(id: string): number | undefined;
  /** Kills server `id` with SIGKILL (no goodbye to anyone) and resolves once it is gone. */
  kill(id: string): Promise<void>;
  /** Starts server `id` again, after it died, and resolves once it says every server is up. */
  restart(id: string): Promise<void>;
  /** Stops every server gracefully (SIGTERM), then kills whatever is left; resolves to the pids that had to be killed. */
  stop(): Promise<number[]>;
}

/** What a server of the example logs once every server of servers.json is in its membership. */
const READY = 'every server of servers.json is up';

/** The variables a server reads that would change which app, server or admin it is. */
const SERVER_VARIABLES = ['SHADDOCK_BASE', 'SHADDOCK_SERVER_ID', 'SHADDOCK_ADMIN_USER', 'NODE_ENV'];

/**
 * Starts the built chat example's `scale` environment with 1 gate, 2 connectors and 2 chat servers
 * on free ports, every server its own `shaddock server --env scale --id <id> --dir <folder>`, with
 * the example's config/cluster.json and `SHADDOCK_CLUSTER` set to `services.cluster`; resolves
 * once every server has said that every other one is up.
 */
export async function startScaleChatCluster(services: ScaleServices): Promise<ScaleChatCluster> {
  const env = 'scale';
  const host = '127.0.0.1';
  const { servers, gatePort } = await testServers(host);
  const cluster = JSON.parse(readFileSync(join(EXAMPLE, 'config', 'cluster.json'), 'utf8')) as unknown;
  const dir = await writeAppFolder(env, host, servers, cluster);
  const environment: NodeJS.ProcessEnv = { ...process.env, SHADDOCK_CLUSTER: services.cluster };
  for (const name of SERVER_VARIABLES) delete environment[name];

  const list = serverList(servers);
  type Running = { child: ChildProcess; exited: Promise<void>; done: boolean; output: string };
  const running = new Map<string, Running>();
  const pids = new Set<number>();
  /** Starts server `id` (again): exactly the command a supervisor runs. */
  const launch = (id: string): Running => {
    const child = spawn(process.execPath, [SHADDOCK_BIN, 'server', '--env', env, '--id', id, '--dir', dir], {
      cwd: dir,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const entry: Running = { child, exited: Promise.resolve(), done: false, output: '' };
    const append = (text: string): void => {
      entry.output += text;
    };
    child.stdout?.setEncoding('utf8').on('data', append);
    child.stderr?.setEncoding('utf8').on('data', append);
    if (child.pid !== undefined) pids.add(child.pid);
    entry.exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        entry.done = true;
        resolve();
      }),
    );
    running.set(id, entry);
    return entry;
  };
  /** Resolves once each of these servers has said that every server is up; rejects if one exits, naming the late ones. */
  const ready = async (ids: readonly string[]): Promise<void> => {
    const late = (): string[] => ids.filter((id) => !running.get(id)?.output.includes(READY));
    try {
      await waitFor(
        `${ids.join(', ')} to be up`,
        () => {
          for (const id of ids) {
            const entry = running.get(id);
            if (entry?.done) throw new Error(`${id} exited during start-up:\n${entry.output}`);
          }
          return late().length === 0 ? true : undefined;
        },
        45_000,
      );
    } catch (error) {
      const outputs = late().map((id) => `--- ${id}:\n${running.get(id)?.output ?? ''}`);
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${outputs.join('\n')}`, {
        cause: error,
      });
    }
  };
  for (const { id } of list) launch(id);

  let stopping: Promise<number[]> | undefined;
  const stop = (): Promise<number[]> => {
    stopping ??= (async () => {
      const entries = [...running.values()];
      for (const entry of entries) if (!entry.done) entry.child.kill('SIGTERM');
      const all = Promise.all(entries.map((entry) => entry.exited));
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      const killed: number[] = [];
      for (const entry of entries) {
        if (entry.done || entry.child.pid === undefined) continue;
        killed.push(entry.child.pid);
        entry.child.kill('SIGKILL');
      }
      await all;
      rmSync(dir, { recursive: true, force: true });
      return killed;
    })();
    return stopping;
  };

  try {
    await ready(list.map(({ id }) => id));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    services,
    gate: { host, port: gatePort },
    servers: list,
    get pids() {
      return [...pids];
    },
    output: (id) => running.get(id)?.output ?? '',
    pidOf(id) {
      const entry = running.get(id);
      return entry === undefined || entry.done ? undefined : entry.child.pid;
    },
    async kill(id) {
      const entry = running.get(id);
      if (entry === undefined) throw new Error(`no server "${id}" in the cluster`);
      if (!entry.done) entry.child.kill('SIGKILL');
      await entry.exited;
    },
    async restart(id) {
      if (running.get(id)?.done === false) throw new Error(`${id} still runs`);
      launch(id);
      await ready([id]);
    },
    stop,
  };
}
