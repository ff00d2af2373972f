// Runs the frontend-app fixture (test/fixtures/frontend-app/) as real processes for
// frontend-cluster.test.ts: a master, two connectors (frontends with a client port each) and two
// room servers, on 127.0.0.1 with free ports. Each cluster gets its own app folder (config/
// generated with the connectors' fields, the fixture's dictionary and protos copied in, app/ linked
// to the fixture's), the events every process appends to one file, clients of both kinds that it
// closes itself, an RPC client into the cluster, and cleanup that kills whatever is left.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Client, type ConnectOptions, connect } from '@shaddock/client';
import type { JsonValue } from '@shaddock/protocol';
import { createRpcProxy, LocalMembership, type RpcProxy, type ServerInfo } from 'shaddock';
import { RpcClient } from 'shaddock/internal';
import type { FrontendAppRemotes } from '../fixtures/frontend-app/remotes.js';
import { freePort, makeAppFolder } from './app-folder.js';
import { type ClusterEvent, readClusterEvents } from './cluster-events.js';
import { PinusClient, type Transport } from './pinus-client.js';
import { PidTracker, alive as pidAlive, waitFor } from './processes.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/frontend-app/', import.meta.url));
const ENTRY = join(FIXTURE, 'app.js');
const CODEC_FILES = ['dictionary.json', 'serverProtos.json', 'clientProtos.json'];

/** The frontends of every frontend-app cluster. */
export type ConnectorId = 'connector-1' | 'connector-2';
/** The backends: each hosts the rooms its id starts. */
export type RoomServerId = 'room-1' | 'room-2';
/** A room: `room-1`, or one of many on room-1 as `room-1/<name>`. */
export type RoomName = RoomServerId | `${RoomServerId}/${string}`;

/** Extra servers.json fields of a connector: `heartbeat`, `singleSession`, `max-connections`, … */
export type ConnectorFields = Readonly<Record<string, JsonValue>>;

/** Options of {@link FrontendCluster.start}. */
export interface FrontendClusterOptions {
  readonly connectors?: Partial<Record<ConnectorId, ConnectorFields>>;
  /** Extra environment of the master, and so of every server (`FRONTEND_APP_*`). */
  readonly env?: Readonly<Record<string, string>>;
}

const SERVER_IDS = ['connector-1', 'connector-2', 'room-1', 'room-2'] as const;

/** A running frontend-app cluster; always `dispose()` it (see {@link withFrontendCluster}). */
export class FrontendCluster {
  readonly dir: string;
  readonly #remove: () => void;
  readonly #servers: readonly ServerInfo[];
  readonly #master: ChildProcess;
  readonly #pids = new PidTracker();
  readonly #output: string[] = [];
  readonly #clients: Client[] = [];
  readonly #pinusClients: PinusClient[] = [];
  readonly #rpcClients: RpcClient[] = [];
  #exit: string | undefined;

  private constructor(
    folder: { dir: string; remove(): void },
    servers: readonly ServerInfo[],
    env: Readonly<Record<string, string>>,
  ) {
    this.dir = folder.dir;
    this.#remove = folder.remove;
    this.#servers = servers;
    const environment: NodeJS.ProcessEnv = {
      ...process.env,
      SHADDOCK_APP_BASE: folder.dir,
      FRONTEND_APP_EVENTS: join(folder.dir, 'events.log'),
      ...env,
    };
    delete environment['SHADDOCK_ADMIN_USER'];
    this.#master = spawn(process.execPath, [ENTRY, 'env=test'], {
      cwd: folder.dir,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#pids.add(this.#master.pid);
    // Read everything the master prints (its servers' lines come through it): a full pipe would stall it.
    for (const stream of [this.#master.stdout, this.#master.stderr]) {
      createInterface({ input: stream!, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        if (this.#output.push(line) > 1_000) this.#output.splice(0, 500);
      });
    }
    this.#master.once('exit', (code, signal) => {
      this.#exit = `code ${code}, signal ${signal}`;
    });
  }

  /** Makes an app folder, starts the master, and resolves once every server ran `afterStartAll`. */
  static async start(options: FrontendClusterOptions = {}): Promise<FrontendCluster> {
    const servers: ServerInfo[] = [];
    const written: Record<string, Record<string, JsonValue>[]> = { connector: [], room: [] };
    for (const id of ['connector-1', 'connector-2'] as const) {
      const entry = {
        id,
        host: '127.0.0.1',
        port: await freePort(),
        clientPort: await freePort(),
        frontend: true,
        ...options.connectors?.[id],
      };
      written['connector']?.push(entry);
      servers.push({ ...entry, serverType: 'connector' });
    }
    for (const id of ['room-1', 'room-2'] as const) {
      const entry = { id, host: '127.0.0.1', port: await freePort() };
      written['room']?.push(entry);
      servers.push({ ...entry, serverType: 'room', frontend: false });
    }
    const folder = makeAppFolder({
      masterPort: await freePort(),
      servers: written,
      prefix: 'shaddock-frontend-',
    });
    for (const file of CODEC_FILES)
      copyFileSync(join(FIXTURE, 'codec', file), join(folder.dir, 'config', file));
    symlinkSync(join(FIXTURE, 'app'), join(folder.dir, 'app'), 'dir');
    const cluster = new FrontendCluster(folder, servers, options.env ?? {});
    try {
      await cluster.waitFor('every server to run afterStartAll', () => {
        if (cluster.#exit !== undefined)
          throw new Error(`the master exited during start-up (${cluster.#exit})`);
        return SERVER_IDS.every((id) => cluster.seen(id, 'ready').length > 0);
      });
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** The client port of a connector. */
  port(connector: ConnectorId): number {
    const port = this.#servers.find((server) => server.id === connector)?.clientPort;
    if (port === undefined) throw new Error(`no client port for ${connector}`);
    return port;
  }

  /** A `@shaddock/client` connected (handshake done) to `connector`; closed by `dispose`. */
  async connect(
    connector: ConnectorId,
    transport: Transport,
    options: Partial<ConnectOptions> = {},
  ): Promise<Client> {
    const client = await connect({ host: '127.0.0.1', port: this.port(connector), transport, ...options });
    this.#clients.push(client);
    return client;
  }

  /** A raw pinus-protocol client with its socket open to `connector` (no handshake yet); destroyed by `dispose`. */
  async pinus(connector: ConnectorId, transport: Transport): Promise<PinusClient> {
    const client = await PinusClient.connect(transport, this.port(connector));
    this.#pinusClients.push(client);
    return client;
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

  /** Why `connector` closed the session bound to `uid` (its `session:closed` event), once it has. */
  async closeReason(connector: ConnectorId, uid: string): Promise<string> {
    const event = await this.waitFor(`${connector} to close the session of ${uid}`, () =>
      this.seen(connector, 'session:closed').find((seen) => (seen.data as { uid: unknown }).uid === uid),
    );
    return (event.data as { reason: string }).reason;
  }

  /** The pid of a server process. */
  pid(serverId: string): number {
    const ready = this.seen(serverId, 'ready')[0];
    if (ready === undefined) throw new Error(`${serverId} never reported ready`);
    return ready.pid;
  }

  /** Whether every server process and the master still run. */
  allAlive(): boolean {
    return pidAlive(this.#master.pid ?? 0) && SERVER_IDS.every((id) => pidAlive(this.pid(id)));
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

  /** The room servers' remotes as seen from this test process (`room.roomRemote`). */
  rpc(): RpcProxy<FrontendAppRemotes> {
    const client = new RpcClient({
      serverId: 'frontend-test',
      membership: new LocalMembership(this.#servers),
    });
    this.#rpcClients.push(client);
    return createRpcProxy<FrontendAppRemotes>(client);
  }

  /** Closes every client and RPC client, SIGKILLs every process still there, deletes the app folder. */
  async dispose(): Promise<void> {
    for (const client of this.#pinusClients.splice(0)) client.destroy();
    await Promise.allSettled(this.#clients.splice(0).map((client) => client.close()));
    for (const client of this.#rpcClients.splice(0)) client.close();
    this.events();
    await this.#pids.killAll();
    this.#remove();
  }
}

/** Runs `body` with a new cluster, and always disposes of it. */
export async function withFrontendCluster<T>(
  options: FrontendClusterOptions,
  body: (cluster: FrontendCluster) => Promise<T>,
): Promise<T> {
  const cluster = await FrontendCluster.start(options);
  try {
    return await body(cluster);
  } finally {
    await cluster.dispose();
  }
}
