import type { JsonValue } from '@shaddock/protocol';
import {
  type AdminCommandMap,
  type AdminCommandName,
  type AdminCommands,
  type LoginLimits,
  type SecurityLog,
  securityLog,
  serverFromWire,
  withDiskOnlyFields,
} from '../admin/index.js';
import type { ClusterConfig } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ControlPlane, Leadership, Membership, ServerInfo } from '../membership/index.js';
import { type FramedListener, listenFramed } from '../transport/index.js';
import { adminPort } from './admin-commands.js';
import { ClusterOperations } from './cluster-operations.js';
import {
  type ClusterServerRow,
  type MasterRequest,
  type MasterStatus,
  parseMasterRequest,
} from './cluster-protocol.js';
import {
  DEFAULT_PORT_LIMITS,
  handleConnection,
  MAX_CONTROL_FRAME,
  type PortLimits,
} from './control-server.js';
import { DetachedSupervisor } from './detached-supervisor.js';
import { hostIsAmong, localAddresses } from './local-host.js';
import { ownStats } from './rows.js';
import { DEFAULT_RESTART_BACKOFF, DEFAULT_STOP_DEADLINE_MS, type RestartBackoff } from './supervisor.js';

/** How a master of a scale-out cluster runs. */
export interface ClusterMasterOptions {
  /** This master: `id`, and the `host` and `port` admins connect to (port 0: the OS chooses). */
  readonly self: ServerInfo;
  readonly config: ClusterConfig;
  /** The cluster's membership, which this master joins (as serverType `master`) and reads. */
  readonly membership: Membership;
  readonly controlPlane: ControlPlane;
  /** The app's entry script, which every server it spawns runs with its own `key=value` arguments. */
  readonly entry: string;
  /** Node options for every server it spawns, before each server's own `args`. */
  readonly execArgv?: readonly string[];
  /** Spawn the servers `servers.json` lists for this host that run nowhere yet (default false). */
  readonly spawnListed?: boolean;
  /** Milliseconds for a spawned server to join the cluster (default 60 000). */
  readonly startupTimeout?: number;
  readonly restartBackoff?: Partial<RestartBackoff>;
  /** Called once an admin `stop` or `kill` of the whole cluster (or of this master) is done: end the process. */
  readonly onFinish?: () => void;
  /** Where the master's own lines go (default: stdout, `[master <id>] ` in front). */
  readonly log?: (line: string) => void;
  /** How failed admin logins are slowed down and locked out (default `DEFAULT_LOGIN_LIMITS`). */
  readonly adminLogin?: Partial<LoginLimits>;
  /** What a connection may cost before it proved itself (default `DEFAULT_PORT_LIMITS`). */
  readonly portLimits?: Partial<PortLimits>;
}

// How long a standby waits for a leader to forward a command to: one lease and a write.
const LEADER_WAIT_MS = 3_000;
const ENSURE_RETRY_MS = 1_000;
// How often a forwarded command checks that the leader running it is still a member.
const MEMBER_CHECK_MS = 100;

type Phase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * A master of a scale-out cluster (membership over NATS): one of any number, on any hosts. It
 * spawns no server unless asked, holds no server's connection, and a server never dies because a
 * master did. Every master serves the admin protocol on its port: `list` is answered by whichever
 * master an admin reaches (every member, on every host, with the masters and which one leads); the
 * other commands change the cluster, so a standby forwards them to the leader, which runs one at a
 * time. The leader is elected on the control plane; when it dies a standby leads within the lease.
 *
 * Servers a master spawned (`add`, `start`, `spawnListed`) run detached on its host: it restarts
 * them on a crash while it lives, and stops, kills and restarts them when the leader asks.
 *
 * @example
 * const master = new ClusterMaster({ self, config, membership, controlPlane, entry: 'dist/app.js' });
 * await master.start();
 * // … later: this master leaves; every server keeps running
 * await master.stop();
 */
export class ClusterMaster {
  /** Settles once the master has stopped. */
  readonly stopped: Promise<void>;
  readonly #options: ClusterMasterOptions;
  readonly #log: (line: string) => void;
  readonly #security: SecurityLog;
  readonly #children: DetachedSupervisor;
  readonly #operations: ClusterOperations;
  readonly #addresses = localAddresses();
  readonly #startupTimeout: number;
  #resolveStopped: () => void = () => {};
  #phase: Phase = 'idle';
  #listener: FramedListener | undefined;
  #leadership: Leadership | undefined;
  #stopServing: (() => Promise<void>) | undefined;
  #serial: Promise<unknown> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  constructor(options: ClusterMasterOptions) {
    this.#options = options;
    const { self, config, membership, controlPlane } = options;
    this.#log = options.log ?? ((line) => process.stdout.write(`[master ${self.id}] ${line}\n`));
    this.#security = securityLog(this.#log);
    this.#startupTimeout = options.startupTimeout ?? 60_000;
    this.stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
    this.#children = new DetachedSupervisor({
      masterId: self.id,
      entry: options.entry,
      execArgv: options.execArgv ?? [],
      env: config.env,
      base: config.base,
      membership,
      controlPlane,
      backoff: { ...DEFAULT_RESTART_BACKOFF, ...options.restartBackoff },
      startupTimeout: this.#startupTimeout,
      log: this.#log,
    });
    this.#operations = new ClusterOperations({
      id: self.id,
      config,
      membership,
      controlPlane,
      startupTimeout: this.#startupTimeout,
      send: (master, request, timeoutMs) => this.#send(master, request, timeoutMs),
      leaderId: () => this.#leadership?.leader()?.id,
      finishSoon: () => setImmediate(() => (options.onFinish ? options.onFinish() : void this.stop())),
      log: this.#log,
    });
  }

  get id(): string {
    return this.#options.self.id;
  }

  /** The port admins connect to (the bound one when the config says 0). */
  get port(): number {
    return this.#listener?.port ?? this.#options.self.port ?? 0;
  }

  /** Whether this master leads now. */
  isLeader(): boolean {
    return this.#leadership?.isLeader() ?? false;
  }

  /** The leading master's id, as this master sees it. */
  leaderId(): string | undefined {
    return this.#leadership?.leader()?.id;
  }

  /** The admin commands, as this master serves them on its port. */
  readonly commands: AdminCommands = {
    list: () => this.#operations.list(),
    stop: (args) => this.#lead('stop', args),
    kill: (args) => this.#lead('kill', args),
    add: (args) => this.#lead('add', args),
    restart: (args) => this.#lead('restart', args),
    start: (args) => this.#lead('start', args),
    blacklist: (args) => this.#lead('blacklist', args),
  };

  /**
   * Listens for admins, joins membership, answers other masters, and runs for leadership; with
   * `spawnListed`, then has the servers of this host spawned (in the background: a failure is logged).
   */
  async start(): Promise<void> {
    if (this.#phase !== 'idle') throw this.#wrongPhase('start');
    this.#phase = 'starting';
    const { self, membership, controlPlane } = this.#options;
    try {
      const admin = await adminPort({
        config: this.#options.config,
        commands: this.commands,
        limits: this.#options.adminLogin,
        security: this.#security,
        log: this.#log,
      });
      const connections = {
        admin,
        limits: { ...DEFAULT_PORT_LIMITS, ...this.#options.portLimits },
        log: this.#log,
        security: this.#security,
      };
      this.#listener = await listenFramed({
        host: self.host,
        port: self.port ?? 0,
        maxFrameLength: MAX_CONTROL_FRAME,
        maxPendingBytes: connections.limits.maxPendingBytes,
        onConnection: (socket) => handleConnection(socket, connections),
      });
      await membership.start();
      await membership.ready();
      this.#stopServing = await controlPlane.serve(self.id, (request) => this.#answer(request));
      this.#leadership = await controlPlane.campaign(
        { id: self.id, host: self.host, port: this.port },
        (leader, mine) => this.#leaderChanged(leader?.id, mine),
      );
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#phase = 'running';
    this.#log(`master ${self.id} listening on ${self.host}:${this.port}`);
    if (this.#options.spawnListed) void this.#spawnListed();
  }

  /**
   * Leaves: resigns (a standby leads at once), stops answering, closes the admin port. The servers
   * it spawned keep running, unsupervised. (Membership is left by whoever started it: `app.stop()`.)
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#close();
    return this.#stopping;
  }

  async #close(): Promise<void> {
    this.#phase = 'stopping';
    this.#children.detach();
    const steps = [
      () => this.#leadership?.resign(),
      () => this.#stopServing?.(),
      () => this.#listener?.close(),
      () => this.#options.controlPlane.close(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        this.#log(`while stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.#phase = 'stopped';
    this.#security.flush();
    this.#log('master stopped');
    this.#resolveStopped();
  }

  /** This master's own status: what `status` answers. */
  async #status(): Promise<MasterStatus> {
    const { self } = this.#options;
    const stats = ownStats();
    return {
      id: self.id,
      host: self.host,
      port: this.port,
      pid: stats.pid,
      uptime: stats.uptime,
      rss: stats.rss,
      cpu: stats.cpu,
      leader: this.isLeader(),
      addresses: this.#addresses,
      children: await this.#children.statuses(),
    };
  }

  /** Runs a cluster-changing admin command: here when this master leads, else at the leader. */
  async #lead<K extends AdminCommandName>(
    command: K,
    args: AdminCommandMap[K]['args'],
  ): Promise<AdminCommandMap[K]['result']> {
    let failed: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const leader = await this.#awaitLeader(failed);
      if (leader === this.id)
        return (await this.#execute(command, args, this.id)) as AdminCommandMap[K]['result'];
      if (this.#options.membership.get(leader) === undefined && attempt < 2) {
        // the leader left membership (dead, cut off): its lease has yet to age; wait for the next one
        failed = leader;
        continue;
      }
      try {
        const request: MasterRequest = { type: 'admin', command, args, origin: this.id };
        const answer = this.#send(leader, request, this.#forwardTimeout(args));
        return (await this.#whileMember(leader, command, answer)) as AdminCommandMap[K]['result'];
      } catch (error) {
        // only when the command surely did not run there: that master no longer leads, or is gone
        const notRun =
          error instanceof ShaddockError &&
          ((error.code === ErrorCode.MasterState && /not the leader/.test(error.message)) ||
            (error.code === ErrorCode.ServerUnavailable && /nobody answers/.test(error.message)));
        if (!notRun || attempt >= 2) throw error;
        failed = leader;
      }
    }
  }

  /**
   * `answer`, unless master `leader` leaves membership first (it died with the command in flight):
   * then fails at once, rather than at the request's long timeout, saying the outcome is unknown.
   */
  #whileMember(leader: string, command: string, answer: Promise<unknown>): Promise<unknown> {
    answer.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const left = new Promise<never>((_, reject) => {
      const check = (): void => {
        if (this.#options.membership.get(leader) !== undefined) {
          timer = setTimeout(check, MEMBER_CHECK_MS);
          return;
        }
        reject(
          new ShaddockError(
            ErrorCode.MasterUnreachable,
            `the leading master ${leader} left the cluster while running ${command}: it may or may not have ` +
              'been done; check with shaddock list, then try again',
          ),
        );
      };
      timer = setTimeout(check, MEMBER_CHECK_MS);
    });
    return Promise.race([answer, left]).finally(() => clearTimeout(timer));
  }

  /**
   * The leader's id. Waits for one while there is none (an election in progress), and for another
   * than `failed` (a leader that just did not answer: dead, or no longer leading), up to a lease and
   * a write; then takes the leader there is, or fails when there is none.
   */
  async #awaitLeader(failed?: string): Promise<string> {
    const deadline = performance.now() + LEADER_WAIT_MS;
    for (;;) {
      if (this.isLeader()) return this.id;
      const leader = this.leaderId();
      const late = performance.now() >= deadline;
      if (leader !== undefined && leader !== this.id && (leader !== failed || late)) return leader;
      if (late || this.#phase === 'stopping' || this.#phase === 'stopped') {
        throw new ShaddockError(
          ErrorCode.MasterState,
          'no master leads the cluster now; try again in a moment',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs an admin command as the leader, one at a time. */
  #execute(command: AdminCommandName, rawArgs: unknown, origin: string): Promise<unknown> {
    const run = async (): Promise<unknown> => {
      if (!this.isLeader()) throw new ShaddockError(ErrorCode.MasterState, `${this.id} is not the leader`);
      const args = (rawArgs ?? {}) as Record<string, unknown>;
      const ids =
        Array.isArray(args['ids']) && args['ids'].length > 0 ? (args['ids'] as string[]) : undefined;
      const deadlineMs =
        typeof args['deadlineMs'] === 'number' ? args['deadlineMs'] : DEFAULT_STOP_DEADLINE_MS;
      const operations = this.#operations;
      switch (command) {
        case 'list':
          return operations.list();
        case 'stop':
          return {
            stopped: ids ? await operations.stop(ids, deadlineMs) : await operations.stopCluster(deadlineMs),
          };
        case 'kill':
          return { killed: await operations.killCluster(args['force'] === true) };
        case 'add': {
          // checked again here: a forwarded command comes from another master, not through a session
          const server = withDiskOnlyFields(serverFromWire(args['server']), this.#options.config.servers);
          return operations.add(server, origin);
        }
        case 'restart':
          return { restarted: await operations.restart(ids) };
        case 'start':
          return operations.start(String(args['id']), origin);
        case 'blacklist':
          return operations.blacklist();
      }
    };
    const result = this.#serial.then(run, run);
    this.#serial = result.catch(() => {});
    return result;
  }

  /** Answers a request from another master (or from this one, sent to itself). */
  async #answer(raw: JsonValue): Promise<JsonValue> {
    return ((await this.#handle(parseMasterRequest(raw))) ?? null) as JsonValue;
  }

  async #handle(request: MasterRequest): Promise<unknown> {
    const children = this.#children;
    switch (request.type) {
      case 'status':
        return this.#status();
      case 'admin':
        return this.#execute(request.command, request.args, request.origin);
      case 'ensure': {
        const run = async (): Promise<unknown> => {
          if (!this.isLeader())
            throw new ShaddockError(ErrorCode.MasterState, `${this.id} is not the leader`);
          return this.#operations.ensure(request.ids, request.origin);
        };
        const result = this.#serial.then(run, run);
        this.#serial = result.catch(() => {});
        return result;
      }
      case 'spawn':
        return children.spawn(request.server);
      case 'start':
        return children.start(request.id);
      case 'stop':
        return children.stop(request.ids, request.deadlineMs);
      case 'kill':
        return children.kill(request.ids, request.force);
      case 'restart':
        return children.restart(request.ids, DEFAULT_STOP_DEADLINE_MS);
      case 'hold':
        children.holdAll();
        return null;
    }
  }

  /** A request to a master: this one answers in this process, the others through the control plane. */
  #send(master: string, request: MasterRequest, timeoutMs: number): Promise<unknown> {
    if (master === this.id) return this.#handle(request);
    return this.#options.controlPlane.request(master, request as unknown as JsonValue, timeoutMs);
  }

  /** Has the leader make sure this host's listed servers run (retried while there is no leader to ask). */
  async #spawnListed(): Promise<void> {
    const ids = this.#options.config.servers
      .filter((server) => hostIsAmong(server.host, this.#addresses))
      .map((server) => server.id);
    if (ids.length === 0) return;
    const deadline = performance.now() + this.#startupTimeout;
    while (this.#phase === 'running') {
      try {
        const leader = await this.#awaitLeader();
        const request: MasterRequest = { type: 'ensure', ids, origin: this.id };
        const spawned = (await this.#send(leader, request, this.#startupTimeout + 10_000)) as string[];
        this.#log(spawned.length === 0 ? 'every server of this host runs' : `spawned ${spawned.join(', ')}`);
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (performance.now() >= deadline) {
          this.#log(`could not start the servers of this host: ${reason}`);
          return;
        }
        this.#log(`starting the servers of this host: ${reason}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, ENSURE_RETRY_MS));
      }
    }
  }

  #leaderChanged(leader: string | undefined, mine: boolean): void {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') return;
    if (mine) this.#log('leading the cluster');
    else if (leader === undefined) this.#log('no leader now');
    else this.#log(`standby; ${leader} leads`);
  }

  #forwardTimeout(args: unknown): number {
    const deadline = (args as { deadlineMs?: unknown } | undefined)?.deadlineMs;
    const stop = typeof deadline === 'number' ? deadline : DEFAULT_STOP_DEADLINE_MS;
    return this.#startupTimeout + 2 * stop + 30_000;
  }

  #wrongPhase(what: string): ShaddockError {
    return new ShaddockError(ErrorCode.MasterState, `cannot ${what}: the master is ${this.#phase}`);
  }
}

export type { ClusterServerRow };
