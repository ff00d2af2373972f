import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerState } from '../admin/index.js';
import { serverArguments } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ControlPlane, Membership, ServerInfo } from '../membership/index.js';
import type { ChildStatus } from './cluster-protocol.js';
import { SERVER_TOKEN_ENV } from './control-protocol.js';
import { processFigures } from './local-host.js';
import { restartsOnCrash } from './registry.js';
import type { RestartBackoff } from './supervisor.js';

/** The environment variable naming the master that spawned a server (scale-out clusters). */
export const SUPERVISOR_ENV = 'SHADDOCK_SUPERVISOR';

/** Variables of the master's environment that would change who a spawned server thinks it is. */
const NOT_INHERITED = [
  SERVER_TOKEN_ENV,
  'SHADDOCK_MASTER_HOST',
  'SHADDOCK_MASTER_PORT',
  'SHADDOCK_SERVER_ID',
  'SHADDOCK_SERVER_TYPE',
  'SHADDOCK_MASTER_SPAWN',
];

// How long a server gets to acknowledge a stop order.
const ORDER_TIMEOUT_MS = 2_000;
// A stop order's deadline is the server's drain timeout; after it the server still kicks its clients
// (the close grace, 2 s), leaves membership and closes its RPC server (about 1 s): it is killed only
// after this much more, so a server whose requests ran right up to the deadline still exits on its own.
const STOP_GRACE_MS = 5_000;
// How long to wait for exits after SIGKILL, or after SIGTERM before escalating.
const KILL_WAIT_MS = 5_000;
const POLL_MS = 25;
// How often a restart looks again whether membership has dropped the crashed process.
const MEMBER_GONE_POLL_MS = 100;

/** What a {@link DetachedSupervisor} needs. */
export interface DetachedSupervisorOptions {
  /** The master that spawns: every child gets it as `SHADDOCK_SUPERVISOR`. */
  readonly masterId: string;
  readonly entry: string;
  readonly execArgv: readonly string[];
  /** The environment name (`env=`) every child gets. */
  readonly env: string;
  /** The app's folder: the children's working folder and `SHADDOCK_BASE`; their output goes to `logs/<id>.out.log` there. */
  readonly base: string;
  /** Where children show up once ready. */
  readonly membership: Membership;
  /** How stop orders reach the children. */
  readonly controlPlane: ControlPlane;
  readonly backoff: RestartBackoff;
  /** How long a child gets to be ready. */
  readonly startupTimeout: number;
  readonly log: (line: string) => void;
}

interface Child {
  info: ServerInfo;
  state: ServerState;
  process: ChildProcess | undefined;
  pid: number | undefined;
  startedAt: number | undefined;
  readyAt: number | undefined;
  launches: number;
  restarts: number;
  crashStreak: number;
  /** A stop was asked for: the exit is no crash, and it is not restarted. */
  held: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  lastExit: string | undefined;
  /** The pid of the last process, once it exited. */
  lastPid: number | undefined;
}

function failed(message: string): ShaddockError {
  return new ShaddockError(ErrorCode.AdminCommandFailed, message);
}

/**
 * The servers one master of a scale-out cluster spawned on its own host. Each child is detached:
 * its own process group and session, its output in a file, no pipe and no connection to this
 * master. So a child never dies because its master did: it is in the cluster through NATS
 * membership, like a server any other supervisor started. While the master lives it restarts
 * children that crash (`auto-restart`), and stops and kills them on admin commands. A child that
 * exits with code 0 was stopped on purpose (a stop order from anywhere, a SIGTERM): it stays down.
 */
export class DetachedSupervisor {
  readonly #options: DetachedSupervisorOptions;
  readonly #children = new Map<string, Child>();
  #holding = false;

  constructor(options: DetachedSupervisorOptions) {
    this.#options = options;
  }

  /** Whether this master spawned server `id` (running or not). */
  has(id: string): boolean {
    return this.#children.has(id);
  }

  /** Whether server `id` has a process spawned by this master now. */
  runs(id: string): boolean {
    return this.#children.get(id)?.process !== undefined;
  }

  /** Every child, with its process's memory and CPU time when it runs. */
  async statuses(): Promise<ChildStatus[]> {
    return Promise.all(
      [...this.#children.values()].map(async (child) => {
        const figures = child.pid === undefined ? undefined : await processFigures(child.pid);
        return {
          id: child.info.id,
          info: child.info,
          state: child.state,
          pid: child.pid ?? null,
          startedAt: child.startedAt ?? null,
          restarts: child.restarts,
          rss: figures?.rss ?? null,
          cpu: figures?.cpu ?? null,
        };
      }),
    );
  }

  /** Spawns a new server (or one spawned before and down, with this info); resolves once it is ready. */
  async spawn(info: ServerInfo): Promise<ChildStatus> {
    this.#refuseWhileHolding('spawn');
    const known = this.#children.get(info.id);
    if (known?.process) throw failed(`server ${info.id} already runs here (${known.state})`);
    if (this.#options.membership.get(info.id) !== undefined) throw failed(`server ${info.id} already runs`);
    // a field that cannot be passed as key=value throws here, before anything changes
    serverArguments(info);
    const child = known ?? this.#record(info);
    child.info = info;
    child.crashStreak = 0;
    this.#launch(child);
    await this.#awaitReady(child);
    return this.#status(child);
  }

  /** Starts again a server this master spawned before, which is down; resolves once it is ready. */
  async start(id: string): Promise<ChildStatus> {
    const child = this.#children.get(id);
    if (!child) throw failed(`this master never spawned server ${id}`);
    return this.spawn(child.info);
  }

  /**
   * Stops these children gracefully: a stop order through the control plane (SIGTERM to one that
   * takes no orders yet), SIGKILL after the deadline. None of them restarts.
   */
  async stop(ids: readonly string[], deadlineMs: number): Promise<string[]> {
    const children = this.#known(ids);
    await Promise.all(
      children.map(async (child) => {
        this.#hold(child);
        const running = child.process;
        if (!running) return;
        child.state = 'stopping';
        try {
          await this.#options.controlPlane.order(
            child.info.id,
            { order: 'stop', deadlineMs },
            ORDER_TIMEOUT_MS,
          );
        } catch {
          signal(running, 'SIGTERM');
        }
      }),
    );
    if (!(await this.#exited(children, deadlineMs + STOP_GRACE_MS)))
      await this.#signalAll(children, 'SIGKILL');
    return ids.slice();
  }

  /** Signals these children (every one without `ids`) at once, escalating to SIGKILL; none restarts. */
  async kill(ids: readonly string[] | undefined, force: boolean): Promise<string[]> {
    const children = ids === undefined ? [...this.#children.values()] : this.#known(ids);
    const running = children.filter((child) => child.process !== undefined);
    await this.#signalAll(children, force ? 'SIGKILL' : 'SIGTERM');
    return running.map((child) => child.info.id);
  }

  /** Stops these children and starts them again; resolves once every one is ready. */
  async restart(ids: readonly string[], deadlineMs: number): Promise<string[]> {
    this.#refuseWhileHolding('restart');
    const children = this.#known(ids);
    await this.stop(ids, deadlineMs);
    // the old processes left membership (goodbye) or are about to (silence): wait for it
    await until(
      () => children.every((child) => this.#options.membership.get(child.info.id) === undefined),
      this.#options.startupTimeout,
    );
    for (const child of children) {
      child.crashStreak = 0;
      this.#launch(child);
    }
    await Promise.all(children.map((child) => this.#awaitReady(child)));
    return ids.slice();
  }

  /** The cluster is stopping: from now on nothing restarts and nothing new is spawned. */
  holdAll(): void {
    this.#holding = true;
    for (const child of this.#children.values()) this.#hold(child);
  }

  /** This master is going away: its children keep running, unsupervised (no restart timer is left). */
  detach(): void {
    this.#holding = true;
    for (const child of this.#children.values()) {
      clearTimeout(child.restartTimer);
      child.restartTimer = undefined;
    }
  }

  #record(info: ServerInfo): Child {
    const child: Child = {
      info,
      state: 'stopped',
      process: undefined,
      pid: undefined,
      startedAt: undefined,
      readyAt: undefined,
      launches: 0,
      restarts: 0,
      crashStreak: 0,
      held: false,
      restartTimer: undefined,
      lastExit: undefined,
      lastPid: undefined,
    };
    this.#children.set(info.id, child);
    return child;
  }

  #known(ids: readonly string[]): Child[] {
    return ids.map((id) => {
      const child = this.#children.get(id);
      if (!child) throw failed(`this master never spawned server ${id}`);
      return child;
    });
  }

  #launch(child: Child): void {
    const { masterId, entry, execArgv, env, base, log } = this.#options;
    clearTimeout(child.restartTimer);
    child.restartTimer = undefined;
    const environment: NodeJS.ProcessEnv = {
      ...process.env,
      [SUPERVISOR_ENV]: masterId,
      SHADDOCK_BASE: base,
    };
    for (const name of NOT_INHERITED) delete environment[name];
    const logs = join(base, 'logs');
    mkdirSync(logs, { recursive: true });
    const output = openSync(join(logs, `${child.info.id}.out.log`), 'a');
    let spawned: ChildProcess;
    try {
      spawned = spawn(
        process.execPath,
        [...execArgv, ...(child.info.args ?? []), entry, ...serverArguments(child.info, { env })],
        // its own process group and session, nothing shared with this process: it outlives the master
        { cwd: base, detached: true, env: environment, stdio: ['ignore', output, output] },
      );
    } finally {
      closeSync(output);
    }
    spawned.unref();
    if (child.launches > 0) child.restarts++;
    child.launches++;
    child.state = 'starting';
    child.process = spawned;
    child.pid = spawned.pid;
    child.startedAt = Date.now();
    child.readyAt = undefined;
    child.held = false;
    spawned.once('exit', (code, how) => this.#onExit(child, spawned, code, how));
    spawned.once('error', (error) => {
      if (spawned.pid === undefined)
        this.#onExit(child, spawned, null, null, `spawn failed: ${error.message}`);
    });
    if (spawned.pid !== undefined)
      log(`started ${child.info.id} (${child.info.serverType}, pid ${spawned.pid})`);
  }

  #onExit(
    child: Child,
    spawned: ChildProcess,
    code: number | null,
    how: NodeJS.Signals | null,
    reason?: string,
  ): void {
    if (child.process !== spawned) return;
    const { log } = this.#options;
    const exit = reason ?? (how ? `signal ${how}` : `code ${code}`);
    child.process = undefined;
    child.lastPid = child.pid;
    child.pid = undefined;
    child.lastExit = exit;
    if (child.held || this.#holding) {
      child.state = 'stopped';
      log(`${child.info.id} stopped (${exit})`);
    } else if (code === 0) {
      // a stop order from anywhere (or a SIGTERM) ends a server with code 0: a stop, not a crash
      child.state = 'stopped';
      log(`${child.info.id} exited (${exit}): stopped, not restarted`);
    } else {
      child.state = 'crashed';
      log(`${child.info.id} exited unexpectedly (${exit})`);
      if (restartsOnCrash(child.info)) this.#scheduleRestart(child);
    }
  }

  #scheduleRestart(child: Child): void {
    const { initialMs, maxMs, stableMs } = this.#options.backoff;
    if (child.readyAt !== undefined && Date.now() - child.readyAt >= stableMs) child.crashStreak = 0;
    const delay = Math.min(initialMs * 2 ** child.crashStreak, maxMs);
    child.crashStreak++;
    this.#options.log(`${child.info.id}: restarting in ${delay} ms`);
    this.#restartIn(child, delay);
  }

  /** Launches a crashed child after `delay`, once membership no longer holds its dead process. */
  #restartIn(child: Child, delay: number): void {
    const deadPid = child.lastPid;
    child.restartTimer = setTimeout(() => {
      child.restartTimer = undefined;
      if (child.state !== 'crashed' || child.held || this.#holding) return;
      const { membership, log } = this.#options;
      if (membership.get(child.info.id) !== undefined) {
        const pid = memberPid(membership, child.info.id);
        if (pid !== undefined && pid !== deadPid) {
          log(`${child.info.id} runs again elsewhere (pid ${pid}): not restarted`);
          return;
        }
        // the dead process is still a member until its silence is noticed (within a second)
        this.#restartIn(child, MEMBER_GONE_POLL_MS);
        return;
      }
      this.#launch(child);
      // nobody waits for a restart: its outcome is logged
      this.#awaitReady(child).catch((error: unknown) =>
        log(`${child.info.id}: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, delay);
    child.restartTimer.unref();
  }

  /** Resolves once the child is in membership (its own process: same pid when membership says); rejects when it exits first or times out. */
  async #awaitReady(child: Child): Promise<void> {
    const { membership, startupTimeout } = this.#options;
    const spawned = child.process;
    const ready = (): boolean => {
      if (membership.get(child.info.id) === undefined) return false;
      const pid = memberPid(membership, child.info.id);
      return pid === undefined || pid === child.pid;
    };
    const settled = await until(() => ready() || child.process !== spawned, startupTimeout);
    if (settled && child.process === spawned && spawned !== undefined) {
      child.readyAt = Date.now();
      child.state = 'running';
      this.#options.log(`${child.info.id} is ready`);
      return;
    }
    if (child.process === spawned && spawned !== undefined) {
      this.#hold(child);
      signal(spawned, 'SIGKILL');
      throw new ShaddockError(
        ErrorCode.StartupTimeout,
        `server ${child.info.id} did not join the cluster within ${startupTimeout} ms (see logs/${child.info.id}.out.log)`,
      );
    }
    throw new ShaddockError(
      ErrorCode.StartupFailed,
      `server ${child.info.id} exited before it was ready (${child.lastExit ?? 'stopped'}; see logs/${child.info.id}.out.log)`,
    );
  }

  #status(child: Child): ChildStatus {
    return {
      id: child.info.id,
      info: child.info,
      state: child.state,
      pid: child.pid ?? null,
      startedAt: child.startedAt ?? null,
      restarts: child.restarts,
      rss: null,
      cpu: null,
    };
  }

  #hold(child: Child): void {
    child.held = true;
    clearTimeout(child.restartTimer);
    child.restartTimer = undefined;
    if (!child.process && child.state === 'crashed') child.state = 'stopped';
  }

  #refuseWhileHolding(what: string): void {
    if (this.#holding)
      throw new ShaddockError(ErrorCode.MasterState, `cannot ${what}: the cluster is stopping`);
  }

  /** Signals every child still running, waits for their exits, and SIGKILLs those a SIGTERM left. */
  async #signalAll(children: readonly Child[], first: NodeJS.Signals): Promise<void> {
    for (const child of children) {
      this.#hold(child);
      if (!child.process) continue;
      child.state = 'stopping';
      signal(child.process, first);
    }
    if (await this.#exited(children, KILL_WAIT_MS)) return;
    if (first === 'SIGKILL') return;
    for (const child of children) if (child.process) signal(child.process, 'SIGKILL');
    await this.#exited(children, KILL_WAIT_MS);
  }

  #exited(children: readonly Child[], timeoutMs: number): Promise<boolean> {
    return until(() => children.every((child) => child.process === undefined), timeoutMs);
  }
}

/** Signals the child's whole process group (it leads one: `detached`), else the child alone. */
function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, name);
  } catch {
    child.kill(name);
  }
}

/** The pid membership has for member `id`, when the driver tells (`NatsMembership.memberProcess`). */
export function memberPid(membership: Membership, id: string): number | undefined {
  const described = membership as Membership & {
    memberProcess?: (id: string) => { pid?: unknown } | undefined;
  };
  const pid = typeof described.memberProcess === 'function' ? described.memberProcess(id)?.pid : undefined;
  return typeof pid === 'number' ? pid : undefined;
}

/** The epoch ms at which member `id` announced itself, when the driver tells. */
export function memberStartedAt(membership: Membership, id: string): number | undefined {
  const described = membership as Membership & {
    memberProcess?: (id: string) => { startedAt?: unknown } | undefined;
  };
  const at =
    typeof described.memberProcess === 'function' ? described.memberProcess(id)?.startedAt : undefined;
  return typeof at === 'number' ? at : undefined;
}

/** Resolves `true` once `condition` holds (polled), or `false` after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}
