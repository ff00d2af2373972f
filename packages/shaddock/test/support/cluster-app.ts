// Runs the cluster-app fixture (test/fixtures/cluster-app/) as real processes for cluster.test.ts:
// an app folder per cluster (generated config with free ports, `app/` linked to the fixture's),
// the master started as `node app.js env=test`, the events every process appends to one file, the
// admin connection, the `shaddock` bin, a typed RPC client into the cluster, and cleanup that kills
// whatever is left and tells whether anything had to be killed.
import { type ChildProcess, spawn } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRpcProxy, LocalMembership, type Remotes, type RpcProxy, type ServerInfo } from 'shaddock';
import { RpcClient } from 'shaddock/internal';
import { AdminClient, type ServerRow } from '../../src/admin/index.js';
import type {} from '../fixtures/cluster-app/remotes.js';
import { ADMIN, freePort, makeAppFolder } from './app-folder.js';
import { type ClusterEvent, readClusterEvents } from './cluster-events.js';
import { alive, PidTracker, SHADDOCK_BIN, waitFor, waitGone } from './processes.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/cluster-app/', import.meta.url));
/** The fixture's entry: the master, and every server. */
export const CLUSTER_APP_ENTRY = join(FIXTURE, 'app.js');

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What a finished command printed. */
export interface CommandResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** serverType → servers as in servers.json, without `host` and `port`: the harness adds 127.0.0.1 and a free port. */
export type ServerSpecs = Record<string, Record<string, unknown>[]>;

/** Two chat servers that restart after a crash, one area server. */
export const DEFAULT_SERVERS: ServerSpecs = {
  chat: [
    { id: 'chat-1', 'auto-restart': true },
    { id: 'chat-2', 'auto-restart': true },
  ],
  area: [{ id: 'area-1' }],
};

/** A generated app folder: config/ for the environment `test`, and app/ linked to the fixture's. */
export interface ClusterFolder {
  readonly dir: string;
  readonly masterPort: number;
  readonly servers: readonly ServerInfo[];
  /** The servers.json content it was written from. */
  readonly specs: Record<string, Record<string, unknown>[]>;
  remove(): void;
}

/** Makes an app folder for these servers, each with host 127.0.0.1 and a free RPC port. */
export async function makeClusterFolder(specs: ServerSpecs = DEFAULT_SERVERS): Promise<ClusterFolder> {
  const written: Record<string, Record<string, unknown>[]> = {};
  const servers: ServerInfo[] = [];
  for (const [serverType, list] of Object.entries(specs)) {
    written[serverType] = [];
    for (const spec of list) {
      const entry = { host: '127.0.0.1', port: await freePort(), ...spec };
      written[serverType].push(entry);
      servers.push({ serverType, frontend: false, ...entry } as ServerInfo);
    }
  }
  const masterPort = await freePort();
  const folder = makeAppFolder({ masterPort, servers: written, prefix: 'shaddock-cluster-' });
  symlinkSync(join(FIXTURE, 'app'), join(folder.dir, 'app'), 'dir');
  return { dir: folder.dir, masterPort, servers, specs: written, remove: folder.remove };
}

/** The environment of every process the harness starts: the app folder, the events file, no ambient admin user. */
function environment(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHADDOCK_APP_BASE: dir,
    CLUSTER_APP_EVENTS: join(dir, 'events.log'),
    ...extra,
  };
  delete env['SHADDOCK_ADMIN_USER'];
  return env;
}

/** Runs `node <args>` to its end, collecting what it prints; `onPid` hears its pid at once. */
export function runNode(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onPid?: (pid: number) => void },
): Promise<CommandResult> {
  const child = spawn(process.execPath, [...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) options.onPid?.(child.pid);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

/** Runs the fixture's entry in `dir` as the master would be run, to its end (for start-up failures). */
export function runEntry(
  dir: string,
  args: readonly string[],
  onPid: (pid: number) => void,
): Promise<CommandResult> {
  return runNode([CLUSTER_APP_ENTRY, ...args], { cwd: dir, env: environment(dir, {}), onPid });
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  readonly servers?: ServerSpecs;
  /** Extra environment for the master and so every server (the fixture's `CLUSTER_APP_*` switches). */
  readonly env?: Record<string, string>;
}

/** A running cluster-app cluster; `dispose()` always, in a `finally`. */
export class TestCluster {
  readonly folder: ClusterFolder;
  readonly master: ChildProcess;
  /** Settles when the master process has exited. */
  readonly exited: Promise<Exit>;
  readonly #pids = new PidTracker();
  readonly #output: string[] = [];
  readonly #clients: RpcClient[] = [];
  #exit: Exit | undefined;

  private constructor(folder: ClusterFolder, env: Record<string, string>) {
    this.folder = folder;
    this.master = spawn(process.execPath, [CLUSTER_APP_ENTRY, 'env=test'], {
      cwd: folder.dir,
      env: environment(folder.dir, env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#pids.add(this.master.pid);
    // Read everything the master prints (its servers' lines come through it): a full pipe would stall it.
    for (const stream of [this.master.stdout, this.master.stderr]) {
      if (stream)
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
          if (this.#output.push(line) > 1_000) this.#output.splice(0, 500);
        });
    }
    this.exited = new Promise((resolve) => {
      this.master.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  /** Starts the master of a new app folder and resolves once every server ran `afterStartAll`. */
  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster(await makeClusterFolder(options.servers), options.env ?? {});
    try {
      const ids = cluster.folder.servers.map((server) => server.id);
      await cluster.waitFor('every server to run afterStartAll', () => {
        if (cluster.#exit)
          throw new Error(`the master exited during start-up (${JSON.stringify(cluster.#exit)})`);
        return ids.every((id) => cluster.seen(id, 'hook:afterStartAll').length > 0);
      });
      await cluster.list();
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  get dir(): string {
    return this.folder.dir;
  }

  /** The master's pid. */
  get masterPid(): number {
    return this.master.pid ?? 0;
  }

  /** Every event reported so far, in the order it happened; their pids are tracked. */
  events(): ClusterEvent[] {
    const events = readClusterEvents(this.dir);
    for (const event of events) this.#pids.add(event.pid);
    return events;
  }

  /** The events one process reported, optionally only those of one name. */
  seen(serverId: string, name?: string): ClusterEvent[] {
    return this.events().filter(
      (event) => event.serverId === serverId && (name === undefined || event.name === name),
    );
  }

  /** Polls like `waitFor`; a timeout's error carries the tail of the master's output. */
  async waitFor<T extends object | true>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 20_000,
  ): Promise<T> {
    return waitFor(what, probe, timeoutMs, () => this.output());
  }

  /** The last lines the master (and its servers, through it) printed. */
  output(lines = 60): string {
    return `--- master output (last ${lines} lines) ---\n${this.#output.slice(-lines).join('\n')}`;
  }

  /** Runs `action` on an admin connection (as the generated adminUser.json's user). */
  async admin<T>(action: (admin: AdminClient) => Promise<T>): Promise<T> {
    const admin = await AdminClient.connect({ host: '127.0.0.1', port: this.folder.masterPort, ...ADMIN });
    try {
      return await action(admin);
    } finally {
      await admin.close();
    }
  }

  /** The master's `list`; every pid in it is tracked. */
  async list(): Promise<ServerRow[]> {
    const rows = await this.admin((admin) => admin.list());
    this.#pids.add(...rows.map((row) => row.pid));
    return rows;
  }

  /** One server's `list` row. */
  async row(id: string): Promise<ServerRow | undefined> {
    return (await this.list()).find((row) => row.id === id);
  }

  /** Runs the built `shaddock` bin against this cluster: `--dir <app folder> --env test` are added. */
  cli(...args: string[]): Promise<CommandResult> {
    return runNode([SHADDOCK_BIN, ...args, '--dir', this.dir, '--env', 'test'], {
      cwd: this.dir,
      env: environment(this.dir, {}),
      onPid: (pid) => this.#pids.add(pid),
    });
  }

  /**
   * `app.rpc` as seen from this test process: a client whose membership holds these configured
   * servers (default: every one) and `extra` ones (added at run time), typed by the fixture's
   * `Remotes` augmentation.
   */
  rpc(ids?: readonly string[], extra: readonly ServerInfo[] = [], timeout = 15_000): RpcProxy<Remotes> {
    const servers = [
      ...this.folder.servers.filter((server) => ids === undefined || ids.includes(server.id)),
      ...extra,
    ];
    const client = new RpcClient({
      serverId: 'cluster-test',
      membership: new LocalMembership(servers),
      timeout,
    });
    this.#clients.push(client);
    return createRpcProxy<Remotes>(client);
  }

  /** Tracks a pid seen elsewhere (say, in a CLI table). */
  track(...pids: (number | null | undefined)[]): void {
    this.#pids.add(...pids);
  }

  /** Every pid seen: the master, every server process ever reported or listed, every CLI run. */
  pids(): number[] {
    this.events();
    return this.#pids.all();
  }

  /** Asserts that every process seen is gone, within a bounded wait, without killing any. */
  async expectAllGone(timeoutMs = 15_000): Promise<void> {
    const pids = this.pids();
    try {
      await waitGone(pids, timeoutMs);
    } catch (error) {
      const left = pids.filter(alive);
      throw new Error(`processes left running: ${left.join(', ')}\n${this.output()}`, { cause: error });
    }
  }

  /** Closes the RPC clients, SIGKILLs every process still there, deletes the app folder. */
  async dispose(): Promise<void> {
    for (const client of this.#clients.splice(0)) client.close();
    this.pids();
    await this.#pids.killAll();
    this.folder.remove();
  }
}
