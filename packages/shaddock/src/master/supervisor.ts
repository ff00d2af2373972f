import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { serverArguments } from '../config/index.js';
import { findPortHolders } from './port-holders.js';
import { type Registry, restartsOnCrash, type ServerRecord } from './registry.js';
import { type ServerOutput, spawnServer } from './spawner.js';

/** The delays between restarts of a crashing server. */
export interface RestartBackoff {
  /** The first delay (default 500 ms); each crash in a row doubles it. */
  readonly initialMs: number;
  /** The longest delay (default 30 s). */
  readonly maxMs: number;
  /** A server that ran this long before crashing starts again from `initialMs` (default 60 s). */
  readonly stableMs: number;
}

/** The default {@link RestartBackoff}. */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 500, maxMs: 30_000, stableMs: 60_000 };

/** The default deadline of a graceful stop, in milliseconds. */
export const DEFAULT_STOP_DEADLINE_MS = 10_000;

// A stop order's deadline is the server's drain timeout; after it the server still kicks its clients
// (the close grace, 2 s), leaves membership and closes its RPC server (about 1 s): it is killed only
// after this much more, so a server whose requests ran right up to the deadline still exits on its own.
const STOP_GRACE_MS = 5_000;
// How long to wait for exits after SIGKILL, or after SIGTERM before escalating.
const KILL_WAIT_MS = 5_000;
// A server whose control connection dropped exits by itself (its monitor sees the loss); killed after this.
const LOST_GRACE_MS = 5_000;

/** What the supervisor needs from the master. */
export interface SupervisorOptions {
  readonly registry: Registry;
  readonly entry: string;
  readonly execArgv: readonly string[];
  readonly env: string;
  /** The address servers connect back to. */
  readonly masterAddress: () => { host: string; port: number };
  readonly output: ServerOutput;
  readonly backoff: RestartBackoff;
  readonly log: (line: string) => void;
  /** Whether the master is shutting down: then no exit is a crash and nothing restarts. */
  readonly shuttingDown: () => boolean;
}

function signalProcess(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // The whole group: the server's own children go too (each server leads its group, see spawner).
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Starts server processes, watches their exits, restarts crashed ones, and stops or kills them. */
export class Supervisor {
  readonly #options: SupervisorOptions;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  /** Spawns the record's server; it joins membership when it registers. */
  launch(record: ServerRecord): void {
    const { registry, entry, execArgv, env, output, log } = this.#options;
    clearTimeout(record.restartTimer);
    record.restartTimer = undefined;
    const { host, port } = this.#options.masterAddress();
    const token = randomBytes(24).toString('base64url');
    const child = spawnServer({
      server: record.info,
      entry,
      execArgv,
      arguments: serverArguments(record.info, { env, masterHost: host, masterPort: port }),
      token,
      output,
    });
    if (record.launches > 0) record.restarts++;
    record.launches++;
    record.state = 'starting';
    record.child = child;
    record.pid = child.pid;
    record.token = token;
    record.startedAt = Date.now();
    record.readyAt = undefined;
    record.ready = false;
    record.stopOrdered = false;
    child.once('exit', (code, signal) =>
      this.#exited(record, child, signal ? `signal ${signal}` : `code ${code}`),
    );
    child.once('error', (error) => {
      if (child.pid === undefined) this.#exited(record, child, `spawn failed: ${error.message}`);
      else log(`${record.info.id}: ${error.message}`);
    });
    if (child.pid !== undefined)
      log(`started ${record.info.id} (${record.info.serverType}, pid ${child.pid})`);
    registry.changed();
  }

  /** The server's control connection closed without a stop order: it leaves membership now, and its process soon. */
  connectionLost(record: ServerRecord): void {
    const { child } = record;
    this.#options.registry.leave(record);
    if (!child || record.stopOrdered || this.#options.shuttingDown()) return;
    this.#options.log(`${record.info.id}: control connection lost`);
    clearTimeout(record.lostTimer);
    record.lostTimer = setTimeout(() => {
      if (record.child === child) signalProcess(child, 'SIGKILL');
    }, LOST_GRACE_MS);
  }

  /**
   * Stops servers gracefully: a `stop` order to the registered ones (SIGTERM to the others), then
   * SIGKILL to any still running after the deadline. None of them restarts.
   */
  async stop(records: readonly ServerRecord[], deadlineMs: number): Promise<void> {
    const { registry } = this.#options;
    for (const record of records) {
      this.#holdDown(record);
      if (!record.child) continue;
      record.state = 'stopping';
      if (record.registered) registry.send(record, { type: 'stop', deadlineMs });
      else signalProcess(record.child, 'SIGTERM');
    }
    registry.changed();
    if (await this.#exitedAll(records, deadlineMs + STOP_GRACE_MS)) return;
    await this.kill(records, 'SIGKILL');
  }

  /** Sends `signal` to every one of these servers at once; SIGKILLs those still up a while later. */
  async kill(records: readonly ServerRecord[], signal: NodeJS.Signals): Promise<void> {
    for (const record of records) {
      this.#holdDown(record);
      if (!record.child) continue;
      record.state = 'stopping';
      signalProcess(record.child, signal);
    }
    this.#options.registry.changed();
    if (await this.#exitedAll(records, KILL_WAIT_MS)) return;
    if (signal === 'SIGKILL') return;
    for (const record of records) if (record.child) signalProcess(record.child, 'SIGKILL');
    await this.#exitedAll(records, KILL_WAIT_MS);
  }

  /** No restart from now on; a server waiting for one is stopped. */
  #holdDown(record: ServerRecord): void {
    record.stopOrdered = true;
    clearTimeout(record.restartTimer);
    record.restartTimer = undefined;
    if (!record.child && record.state === 'crashed') record.state = 'stopped';
  }

  #exitedAll(records: readonly ServerRecord[], timeoutMs: number): Promise<boolean> {
    return this.#options.registry.until(
      () => records.every((record) => record.child === undefined),
      timeoutMs,
    );
  }

  #exited(record: ServerRecord, child: ChildProcess, how: string): void {
    if (record.child !== child) return;
    const { registry, log } = this.#options;
    clearTimeout(record.lostTimer);
    record.socket?.destroy();
    record.child = undefined;
    record.pid = undefined;
    record.token = undefined;
    record.socket = undefined;
    record.ready = false;
    record.lastExit = how;
    registry.leave(record);
    if (record.stopOrdered || record.state === 'stopping' || this.#options.shuttingDown()) {
      record.state = 'stopped';
      log(`${record.info.id} stopped (${how})`);
    } else {
      record.state = 'crashed';
      log(`${record.info.id} exited unexpectedly (${how})`);
      if (restartsOnCrash(record.info)) this.#scheduleRestart(record);
    }
    registry.changed();
  }

  #scheduleRestart(record: ServerRecord): void {
    const { initialMs, maxMs, stableMs } = this.#options.backoff;
    if (record.readyAt !== undefined && Date.now() - record.readyAt >= stableMs) record.crashStreak = 0;
    const delay = Math.min(initialMs * 2 ** record.crashStreak, maxMs);
    record.crashStreak++;
    this.#options.log(`${record.info.id}: restarting in ${delay} ms`);
    record.restartTimer = setTimeout(() => void this.#restart(record), delay);
  }

  async #restart(record: ServerRecord): Promise<void> {
    record.restartTimer = undefined;
    const wanted = (): boolean =>
      record.state === 'crashed' && !record.stopOrdered && !this.#options.shuttingDown();
    if (!wanted()) return;
    if (record.info['restart-force'] === true) await this.#freePorts(record);
    if (wanted()) this.launch(record);
  }

  /** `restart-force`: SIGKILL whatever still listens on the server's ports (Linux, see port-holders). */
  async #freePorts(record: ServerRecord): Promise<void> {
    for (const port of [record.info.port, record.info.clientPort]) {
      if (port === undefined || port === 0) continue;
      for (const pid of await findPortHolders(port)) {
        this.#options.log(`${record.info.id}: killing pid ${pid}, which holds port ${port}`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  }
}
