// Runs the scale-app fixture (./scale-app/) as a cluster spread over the hosts of a TestNetwork:
// an app folder (config/ generated for the environment `test`, each server on its host's address;
// `app.js` and `app/` linked to the fixture's), one process per server started inside its host's
// namespace with `shaddock server` (or, until the CLI has that command, `node app.js env=test
// id=…`, which is what it does), no master, and the events every process appends to one file:
// boot, ready, and every membership change it sees, with its time. Masters of a NATS cluster
// (`shaddock master`) are started the same way, on the host asked for, and the CLI's admin
// commands (`shaddock list`, `stop`) run inside a host's namespace too.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClusterEvent, readClusterEvents } from '../support/cluster-events.js';
import { SHADDOCK_BIN, waitFor } from '../support/processes.js';
import type { CommandResult, HostProcess, TestNetwork } from './netns.js';

const FIXTURE = fileURLToPath(new URL('./scale-app/', import.meta.url));
const ENV = 'test';
/** Variables that would point the servers at other services than the config's. */
const DRIVER_VARIABLES = [
  'SHADDOCK_CLUSTER',
  'SHADDOCK_NATS_URL',
  'SHADDOCK_REDIS_URL',
  'SHADDOCK_RPC_TRANSPORT',
];

/** The admin user every master of the cluster accepts (`config/adminUser.json`). */
export const ADMIN_USER = { id: 'admin', username: 'admin', password: 'multi-host', level: 1 } as const;

/** A master of a NATS cluster: its id, its host, its admin port (on the host's address). */
export interface MasterSpec {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** How a server process is started: the CLI's `shaddock server`, or the entry itself. */
export type Launcher = 'shaddock server' | 'node app.js';

let launcher: Launcher | undefined;

/** `shaddock server` when the built CLI has that command, else the app's entry run directly. */
export function serverLauncher(): Launcher {
  if (launcher === undefined) {
    try {
      execFileSync(process.execPath, [SHADDOCK_BIN, 'server', '--help'], {
        stdio: 'ignore',
        timeout: 15_000,
      });
      launcher = 'shaddock server';
    } catch {
      launcher = 'node app.js';
    }
  }
  return launcher;
}

/** One server of the cluster: `host` is the network's host it runs on (its address goes in servers.json). */
export interface ScaleServerSpec {
  readonly id: string;
  readonly serverType: string;
  readonly host: string;
  readonly port: number;
  /** Frontends: the port players connect to. */
  readonly clientPort?: number;
}

/** Options of {@link ScaleCluster.create}. */
export interface ScaleClusterOptions {
  readonly network: TestNetwork;
  readonly servers: readonly ScaleServerSpec[];
  /** `config/cluster.json`'s content (name, nats, redis, rpc); absent: no file (a fixed membership). */
  readonly cluster?: Readonly<Record<string, unknown>>;
}

/** A membership change one server saw: `subject` joined or left, at `at` (ms since the epoch). */
export interface MemberChange {
  readonly observer: string;
  readonly subject: string;
  readonly kind: 'add' | 'remove';
  readonly at: number;
}

/** A scale-app cluster; `dispose()` it always. */
export class ScaleCluster {
  readonly dir: string;
  readonly network: TestNetwork;
  readonly specs: readonly ScaleServerSpec[];
  readonly #processes = new Map<string, HostProcess>();

  private constructor(dir: string, network: TestNetwork, specs: readonly ScaleServerSpec[]) {
    this.dir = dir;
    this.network = network;
    this.specs = specs;
  }

  /** Writes the app folder; starts nothing. */
  static create(options: ScaleClusterOptions): ScaleCluster {
    const { network, servers } = options;
    const dir = mkdtempSync(join(tmpdir(), 'shaddock-multi-host-'));
    mkdirSync(join(dir, 'config'));
    const write = (name: string, content: unknown): void =>
      writeFileSync(join(dir, 'config', name), JSON.stringify(content, null, 2));
    const byType: Record<string, Record<string, unknown>[]> = {};
    for (const { id, serverType, host, port, clientPort } of servers) {
      const list = byType[serverType] ?? [];
      byType[serverType] = list;
      list.push({
        id,
        host: network.address(host),
        port,
        ...(clientPort === undefined ? {} : { clientPort, frontend: true }),
      });
    }
    write('servers.json', { [ENV]: byType });
    // No master runs unless `startMaster` starts one (each with its own id, host and port); the
    // config still names one.
    const first = network.hosts[0] ?? '';
    write('master.json', { [ENV]: { id: 'master-1', host: network.address(first), port: 3005 } });
    write('adminUser.json', [ADMIN_USER]);
    if (options.cluster !== undefined) write('cluster.json', options.cluster);
    symlinkSync(join(FIXTURE, 'app.js'), join(dir, 'app.js'));
    symlinkSync(join(FIXTURE, 'app'), join(dir, 'app'), 'dir');
    return new ScaleCluster(dir, network, servers);
  }

  /** The spec of server `id`. */
  spec(id: string): ScaleServerSpec {
    const spec = this.specs.find((server) => server.id === id);
    if (spec === undefined) throw new Error(`no server "${id}" in the cluster`);
    return spec;
  }

  /** The ids of the servers on `host`. */
  idsOn(host: string): string[] {
    return this.specs.filter((spec) => spec.host === host).map((spec) => spec.id);
  }

  /** The ids of every server. */
  get ids(): string[] {
    return this.specs.map((spec) => spec.id);
  }

  /** Starts server `id` in its host's namespace (see {@link serverLauncher}); does not wait. */
  start(id: string): HostProcess {
    const { host } = this.spec(id);
    const running = this.#processes.get(id);
    if (running !== undefined && running.exit === undefined) throw new Error(`${id} already runs`);
    const env = this.#environment({ SHADDOCK_SERVER_ID: id });
    const args =
      serverLauncher() === 'shaddock server'
        ? [SHADDOCK_BIN, 'server', '--env', ENV, '--id', id, '--dir', this.dir]
        : [join(this.dir, 'app.js'), `env=${ENV}`, `id=${id}`];
    const started = this.network.spawn(host, process.execPath, args, { name: id, cwd: this.dir, env });
    this.#processes.set(id, started);
    return started;
  }

  /**
   * Starts a master of the NATS cluster in `master.host`'s namespace (`shaddock master`, spawning
   * nothing), listening for admins on that host's address; does not wait. Its log (level info)
   * says when it leads: see {@link HostProcess.waitForLine}.
   */
  startMaster(master: MasterSpec): HostProcess {
    const { id, host, port } = master;
    if (this.specs.some((spec) => spec.id === id)) throw new Error(`master id ${id} is a server's`);
    const running = this.#processes.get(id);
    if (running !== undefined && running.exit === undefined) throw new Error(`${id} already runs`);
    const env = this.#environment({ SHADDOCK_LOG_LEVEL: 'info' });
    const args = [SHADDOCK_BIN, 'master', '--env', ENV, '--id', id, '--dir', this.dir];
    args.push('--host', this.network.address(host), '--port', String(port));
    const started = this.network.spawn(host, process.execPath, args, { name: id, cwd: this.dir, env });
    this.#processes.set(id, started);
    return started;
  }

  /**
   * Runs `shaddock <command> [args]` inside `from`'s namespace against the master `master` (its
   * address and port, the cluster's admin user), to its end.
   */
  admin(
    from: string,
    master: MasterSpec,
    command: string,
    args: readonly string[] = [],
    timeoutMs = 30_000,
  ): Promise<CommandResult> {
    const connection = ['--dir', this.dir, '--env', ENV, '--host', this.network.address(master.host)];
    connection.push('--port', String(master.port), '-u', ADMIN_USER.username, '-p', ADMIN_USER.password);
    return this.network.run(
      from,
      process.execPath,
      [SHADDOCK_BIN, command, ...connection, ...args],
      timeoutMs,
    );
  }

  /** The environment of a process of the cluster: the app folder, the events file, no stray driver variables. */
  #environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SHADDOCK_BASE: this.dir,
      NODE_ENV: ENV,
      SHADDOCK_LOG_LEVEL: process.env['SHADDOCK_LOG_LEVEL'] ?? 'warn',
      SCALE_APP_EVENTS: join(this.dir, 'events.log'),
      ...extra,
    };
    delete env['SHADDOCK_ADMIN_USER'];
    for (const name of DRIVER_VARIABLES) delete env[name];
    return env;
  }

  /** Starts these servers (default: every one) and waits until each has reported `ready`. */
  async startAll(ids: readonly string[] = this.ids, timeoutMs = 30_000): Promise<void> {
    for (const id of ids) this.start(id);
    await Promise.all(ids.map((id) => this.waitReady(id, timeoutMs)));
  }

  /** Waits until the current process of server `id` has reported `ready` (its components run). */
  async waitReady(id: string, timeoutMs = 30_000): Promise<void> {
    await this.waitFor(
      `${id} to be ready`,
      () => {
        const running = this.process(id);
        if (running.exit !== undefined) throw new Error(`${id} exited during start-up\n${running.output()}`);
        return this.seen(id, 'ready').some((event) => event.pid === running.pid);
      },
      timeoutMs,
    );
  }

  /** The current process of server `id`. */
  process(id: string): HostProcess {
    const running = this.#processes.get(id);
    if (running === undefined) throw new Error(`${id} was never started`);
    return running;
  }

  /** Every event reported so far, in the order it happened. */
  events(): ClusterEvent[] {
    return readClusterEvents(this.dir);
  }

  /** The events one server reported, optionally only those of one name. */
  seen(id: string, name?: string): ClusterEvent[] {
    return this.events().filter(
      (event) => event.serverId === id && (name === undefined || event.name === name),
    );
  }

  /** Every membership change the servers saw at or after `since`. */
  memberChanges(since = 0): MemberChange[] {
    const changes: MemberChange[] = [];
    for (const event of this.events()) {
      const kind =
        event.name === 'member:add' ? 'add' : event.name === 'member:remove' ? 'remove' : undefined;
      const data = event.data as { id?: unknown; at?: unknown } | undefined;
      if (kind === undefined || typeof data?.id !== 'string' || typeof data.at !== 'number') continue;
      if (data.at >= since) changes.push({ observer: event.serverId, subject: data.id, kind, at: data.at });
    }
    return changes;
  }

  /** The servers server `observer` has in its membership now, by its reported changes. */
  membersSeenBy(observer: string): Set<string> {
    const members = new Set<string>();
    for (const change of this.memberChanges()) {
      if (change.observer !== observer) continue;
      if (change.kind === 'add') members.add(change.subject);
      else members.delete(change.subject);
    }
    return members;
  }

  /**
   * Waits until every observer has seen every other subject change (`kind`) at or after `since`;
   * resolves with how long each took after `since`, by `observer → subject`. Fails after
   * `timeoutMs`, naming the pairs still waiting. (A server's view of itself is not asked for.)
   */
  async waitForChanges(
    kind: 'add' | 'remove',
    subjects: readonly string[],
    observers: readonly string[],
    since: number,
    timeoutMs = 15_000,
  ): Promise<Map<string, number>> {
    const pairs = observers.flatMap((observer) =>
      subjects.filter((subject) => subject !== observer).map((subject) => `${observer} → ${subject}`),
    );
    const found = (): Map<string, number> => {
      const times = new Map<string, number>();
      for (const change of this.memberChanges(since)) {
        const pair = `${change.observer} → ${change.subject}`;
        if (change.kind === kind && !times.has(pair)) times.set(pair, change.at - since);
      }
      return times;
    };
    const missing = (): string[] => {
      const times = found();
      return pairs.filter((pair) => !times.has(pair));
    };
    await waitFor(
      `every ${kind} of ${subjects.join(', ')} seen by ${observers.join(', ')}`,
      () => missing().length === 0,
      timeoutMs,
      () => `still missing: ${missing().join('; ')}\n${this.output()}`,
    );
    const times = found();
    return new Map(pairs.map((pair) => [pair, times.get(pair) ?? -1]));
  }

  /** Polls like `waitFor`; a timeout's error carries every server's last lines. */
  waitFor<T extends object | true>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 20_000,
  ): Promise<T> {
    return waitFor(what, probe, timeoutMs, () => this.output());
  }

  /** The last lines every server printed. */
  output(lines = 15): string {
    return [...this.#processes.values()].map((running) => running.output(lines)).join('\n');
  }

  /** Kills every server and master process, deletes the app folder. */
  async dispose(): Promise<void> {
    await Promise.all([...this.#processes.values()].map((running) => running.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
