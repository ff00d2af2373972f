import { randomBytes } from 'node:crypto';
import {
  type LoginLimits,
  type SecurityLog,
  type ServerRow,
  securityLog,
  withDiskOnlyFields,
} from '../admin/index.js';
import { type ClusterConfig, resolveClusterSecret, serverArguments } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { type FramedListener, listenFramed } from '../transport/index.js';
import { adminCommandsFor, adminPort } from './admin-commands.js';
import { CLUSTER_SECRET_ENV } from './control-protocol.js';
import {
  type ControlServerOptions,
  DEFAULT_PORT_LIMITS,
  handleConnection,
  MAX_CONTROL_FRAME,
  type PortLimits,
} from './control-server.js';
import { awaitReady } from './readiness.js';
import { Registry, type ServerRecord, type ServerStatus, statusOf } from './registry.js';
import { masterRow, serverRow } from './rows.js';
import { reachableHost, type ServerOutput } from './spawner.js';
import {
  DEFAULT_RESTART_BACKOFF,
  DEFAULT_STOP_DEADLINE_MS,
  type RestartBackoff,
  Supervisor,
} from './supervisor.js';

/** How to run a cluster. */
export interface MasterOptions {
  readonly config: ClusterConfig;
  /** The app's entry script, which every server runs with its own `key=value` arguments. */
  readonly entry: string;
  /** Node options for every server, before each server's own `args`. */
  readonly execArgv?: readonly string[];
  /** Milliseconds for servers to report ready, in `start()`, `add`, `restart` (default 60 000). */
  readonly startupTimeout?: number;
  /** Where the master's own lines go (default: stdout, `[master] ` in front). */
  readonly log?: (line: string) => void;
  /** Where the servers' stdout and stderr go (default `'prefix'`). */
  readonly output?: ServerOutput;
  readonly restartBackoff?: Partial<RestartBackoff>;
  /** How failed admin logins are slowed down and locked out (default `DEFAULT_LOGIN_LIMITS`). */
  readonly adminLogin?: Partial<LoginLimits>;
  /** What a connection may cost before it proved itself (default `DEFAULT_PORT_LIMITS`). */
  readonly portLimits?: Partial<PortLimits>;
}

type Phase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

const STATS_TIMEOUT_MS = 2_000;
// Servers that did come up when start() fails get this long to stop.
const FAILED_START_STOP_MS = 5_000;

/**
 * The master: listens on `config.master`, spawns every server of `config.servers`, holds the
 * registry that feeds every server's membership, sends `afterStartAll` once all are ready (and,
 * later, to each server restarted or added, on its own ready), restarts crashed servers that have
 * `auto-restart`, and serves admin connections on the same port.
 *
 * @example
 * const master = new Master({ config: await loadClusterConfig({ base, env }), entry: 'dist/app.js' });
 * await master.start();
 * // … later
 * await master.stop();
 */
export class Master {
  /** Settles once the master has stopped: by `stop()`, `kill()`, a failed `start()`, or an admin `stop`/`kill`. */
  readonly stopped: Promise<void>;
  readonly #config: ClusterConfig;
  readonly #log: (line: string) => void;
  readonly #startupTimeout: number;
  readonly #registry = new Registry();
  readonly #supervisor: Supervisor;
  readonly #options: MasterOptions;
  readonly #security: SecurityLog;
  #resolveStopped: () => void = () => {};
  #phase: Phase = 'idle';
  #allStarted = false;
  #listener: FramedListener | undefined;
  #finishing: Promise<void> | undefined;

  constructor(options: MasterOptions) {
    this.#config = options.config;
    this.#options = options;
    this.#log = options.log ?? ((line) => process.stdout.write(`[master] ${line}\n`));
    this.#security = securityLog(this.#log);
    this.#startupTimeout = options.startupTimeout ?? 60_000;
    this.stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
    const { host } = this.#config.master;
    this.#supervisor = new Supervisor({
      registry: this.#registry,
      entry: options.entry,
      execArgv: options.execArgv ?? [],
      env: this.#config.env,
      masterAddress: () => ({ host: reachableHost(host), port: this.port }),
      output: options.output ?? 'prefix',
      backoff: { ...DEFAULT_RESTART_BACKOFF, ...options.restartBackoff },
      log: this.#log,
      shuttingDown: () => this.#ending(),
    });
  }

  /** The port the master listens on (the bound one when the config says 0). */
  get port(): number {
    return this.#listener?.port ?? this.#config.master.port;
  }

  /**
   * Listens, spawns every server, and resolves once all reported ready (then sends them
   * `afterStartAll`). Rejects with `StartupTimeout` (naming the servers not ready) after the
   * startup timeout, or `StartupFailed` when a server without auto-restart exits first; either way
   * everything it started is stopped before it rejects.
   */
  async start(): Promise<void> {
    if (this.#phase !== 'idle') throw this.#wrongPhase('start');
    this.#phase = 'starting';
    const { id, host, port } = this.#config.master;
    try {
      const connections = await this.#connectionOptions();
      this.#listener = await listenFramed({
        host,
        port,
        maxFrameLength: MAX_CONTROL_FRAME,
        maxPendingBytes: connections.limits.maxPendingBytes,
        onConnection: (socket) => handleConnection(socket, connections),
      });
    } catch (error) {
      await this.#finish();
      throw error;
    }
    if (this.#phase !== 'starting') {
      // stop() or kill() came while binding, and finished without this listener.
      await this.#listener.close();
      throw this.#wrongPhase('start');
    }
    this.#log(`master ${id} listening on ${host}:${this.port}`);
    const records = this.#config.servers.map((info) => this.#registry.add(info));
    try {
      for (const record of records) this.#supervisor.launch(record);
      await this.#awaitReady(records);
    } catch (error) {
      if (this.#phase === 'starting') {
        this.#phase = 'stopping';
        const ready = records.filter((record) => record.ready);
        const notReady = records.filter((record) => !record.ready);
        await Promise.all([
          this.#supervisor.kill(notReady, 'SIGKILL'),
          this.#supervisor.stop(ready, FAILED_START_STOP_MS),
        ]);
        await this.#finish();
      }
      await this.stopped;
      throw error;
    }
    this.#phase = 'running';
    this.#allStarted = true;
    for (const record of this.#registry.records()) {
      if (record.ready) this.#registry.send(record, { type: 'after-start-all' });
    }
    this.#log(`all ${records.length} servers are ready`);
  }

  /**
   * Stops every server gracefully (a `stop` order, SIGKILL after the deadline): the frontends, then
   * the backends, each group within `deadlineMs`; then the listener.
   */
  async stop(deadlineMs = DEFAULT_STOP_DEADLINE_MS): Promise<void> {
    if (this.#ending()) return this.stopped;
    await this.#stopCluster(deadlineMs);
    await this.#finish();
  }

  /** Signals every server at once (SIGKILL with `force`, else SIGTERM), then closes the listener. */
  async kill(force = false): Promise<void> {
    if (this.#ending()) return this.stopped;
    await this.#killCluster(force);
    await this.#finish();
  }

  /**
   * Starts a new server (or one known and down, with this new info); resolves once it is ready.
   * A server `servers.json` lists keeps its Node options (`args`) and `restart-force` from there
   * (an `add` from an admin connection carries neither: see `serverFromWire`).
   */
  async add(added: ServerInfo): Promise<ServerRow> {
    this.#requireRunning('add');
    const server = withDiskOnlyFields(added, this.#config.servers);
    const known = this.#registry.get(server.id);
    if (known?.child) throw failed(`server ${server.id} already exists (${known.state})`);
    // Throws a ConfigError for a field that cannot be passed as key=value, before the registry changes.
    serverArguments(server);
    const record = known ?? this.#registry.add(server);
    record.info = server;
    record.crashStreak = 0;
    this.#supervisor.launch(record);
    await this.#awaitReady([record]);
    return serverRow(record, undefined);
  }

  /**
   * Lets a server that this master does not spawn (one run under a debugger, a test's in-process
   * server) register as `server.id`: returns the secret its monitor must present (`token`). It
   * joins membership like any other once it registers and reports ready; it is never restarted.
   */
  admit(server: ServerInfo): string {
    if (this.#phase !== 'starting' && this.#phase !== 'running') throw this.#wrongPhase('admit');
    const known = this.#registry.get(server.id);
    if (known?.child || known?.socket) throw failed(`server ${server.id} already exists (${known.state})`);
    const record = known ?? this.#registry.add(server);
    record.info = server;
    record.ready = false;
    record.readyAt = undefined;
    record.token = randomBytes(24).toString('base64url');
    return record.token;
  }

  /** Starts a known server that is stopped or crashed; resolves once it is ready. */
  async startServer(id: string): Promise<ServerRow> {
    this.#requireRunning('start');
    const record = this.#known(id);
    if (record.child) throw failed(`server ${id} is already ${record.state}`);
    record.crashStreak = 0;
    this.#supervisor.launch(record);
    await this.#awaitReady([record]);
    return serverRow(record, undefined);
  }

  /** Stops these servers (default: every running one) gracefully and starts them again; resolves once they are ready. */
  async restart(ids?: readonly string[]): Promise<string[]> {
    this.#requireRunning('restart');
    const records = ids?.length ? ids.map((id) => this.#known(id)) : this.#live();
    await this.#supervisor.stop(records, DEFAULT_STOP_DEADLINE_MS);
    for (const record of records) {
      record.crashStreak = 0;
      this.#supervisor.launch(record);
    }
    await this.#awaitReady(records);
    return records.map((record) => record.info.id);
  }

  /** Stops these servers gracefully; they stay down (no auto-restart) until `startServer` or `restart`. */
  async stopServers(ids: readonly string[], deadlineMs = DEFAULT_STOP_DEADLINE_MS): Promise<string[]> {
    this.#requireRunning('stop');
    const records = ids.map((id) => this.#known(id));
    await this.#supervisor.stop(records, deadlineMs);
    return records.map((record) => record.info.id);
  }

  /** Changes every frontend's run-time IP blacklist; frontends that register later get it too. */
  blacklist(
    add: readonly string[] = [],
    remove: readonly string[] = [],
  ): { blacklist: string[]; frontends: string[] } {
    for (const ip of remove) this.#registry.blacklist.delete(ip);
    for (const ip of add) this.#registry.blacklist.add(ip);
    const frontends = this.#registry.records().filter((record) => record.registered?.frontend === true);
    for (const record of frontends)
      this.#registry.send(record, { type: 'blacklist', add: [...add], remove: [...remove] });
    return { blacklist: [...this.#registry.blacklist], frontends: frontends.map((record) => record.info.id) };
  }

  /** The `list` rows: the master, then every server, with the figures each reports. */
  async list(): Promise<ServerRow[]> {
    const { id, host } = this.#config.master;
    const rows = this.#registry
      .records()
      .map(async (record) => serverRow(record, await this.#registry.requestStats(record, STATS_TIMEOUT_MS)));
    return [masterRow({ id, host, port: this.port }), ...(await Promise.all(rows))];
  }

  /** Every server the master knows, as it stands now. */
  servers(): ServerStatus[] {
    return this.#registry.records().map(statusOf);
  }

  async #stopCluster(deadlineMs: number): Promise<void> {
    if (this.#ending()) throw this.#wrongPhase('stop');
    this.#phase = 'stopping';
    this.#log(`stopping every server (deadline ${deadlineMs} ms)`);
    // Frontends first: their last requests and session clean-up still reach running backends.
    const records = this.#registry.records();
    await this.#supervisor.stop(
      records.filter((record) => record.info.frontend),
      deadlineMs,
    );
    await this.#supervisor.stop(
      records.filter((record) => !record.info.frontend),
      deadlineMs,
    );
  }

  async #killCluster(force: boolean): Promise<void> {
    if (this.#ending()) throw this.#wrongPhase('kill');
    this.#phase = 'stopping';
    this.#log(`killing every server (${force ? 'SIGKILL' : 'SIGTERM'})`);
    await this.#supervisor.kill(this.#registry.records(), force ? 'SIGKILL' : 'SIGTERM');
  }

  /**
   * What the port's connections need: the cluster secret (see {@link clusterSecret}), the admin
   * users' keys (and, in development without any user, the generated one), the login guard.
   */
  async #connectionOptions(): Promise<ControlServerOptions> {
    const admin = await adminPort({
      config: this.#config,
      commands: adminCommandsFor(this, {
        live: () => this.#live().map((record) => record.info.id),
        stopCluster: (deadlineMs) => this.#stopCluster(deadlineMs),
        killCluster: (force) => this.#killCluster(force),
        // Lets the admin's reply leave before the listener closes its connection.
        finishSoon: () => setImmediate(() => void this.#finish()),
      }),
      limits: this.#options.adminLogin,
      security: this.#security,
      log: this.#log,
    });
    const secret = clusterSecret(this.#config);
    return {
      admin,
      monitors: {
        registry: this.#registry,
        supervisor: this.#supervisor,
        secret,
        allStarted: () => this.#allStarted,
      },
      limits: { ...DEFAULT_PORT_LIMITS, ...this.#options.portLimits },
      log: this.#log,
      security: this.#security,
    };
  }

  #finish(): Promise<void> {
    this.#finishing ??= (async () => {
      this.#phase = 'stopping';
      await this.#listener?.close();
      this.#security.flush();
      this.#phase = 'stopped';
      this.#log('master stopped');
      this.#resolveStopped();
    })();
    return this.#finishing;
  }

  #awaitReady(records: readonly ServerRecord[]): Promise<void> {
    return awaitReady(records, {
      registry: this.#registry,
      supervisor: this.#supervisor,
      timeoutMs: this.#startupTimeout,
      stopping: () => this.#ending(),
    });
  }

  #live(): ServerRecord[] {
    return this.#registry.records().filter((record) => record.child !== undefined);
  }

  #known(id: string): ServerRecord {
    const record = this.#registry.get(id);
    if (!record) throw failed(`unknown server ${id}`);
    return record;
  }

  #ending(): boolean {
    return this.#phase === 'stopping' || this.#phase === 'stopped';
  }

  #requireRunning(what: string): void {
    if (this.#phase !== 'running') throw this.#wrongPhase(what);
  }

  #wrongPhase(what: string): ShaddockError {
    return new ShaddockError(ErrorCode.MasterState, `cannot ${what}: the master is ${this.#phase}`);
  }
}

/**
 * The secret the master's monitors prove: the configured one (`config/cluster.*` or
 * `SHADDOCK_CLUSTER_SECRET`), else outside production the well-known development one (in
 * production, none is a `ConfigError`: see `resolveClusterSecret`). A configured one is put in this
 * process's environment when it is not there yet, so the servers the master spawns (their
 * environment is a copy of it) know it even when their own config is not where they look.
 */
function clusterSecret(config: ClusterConfig): string {
  const { secret, source } = resolveClusterSecret(config.drivers, config.env, config.base);
  if (source === 'configured') process.env[CLUSTER_SECRET_ENV] ??= secret;
  return secret;
}

function failed(message: string): ShaddockError {
  return new ShaddockError(ErrorCode.AdminCommandFailed, message);
}
