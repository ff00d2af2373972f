import type { ChildProcess } from 'node:child_process';
import type { ServerState } from '../admin/index.js';
import type { ServerInfo } from '../membership/index.js';
import { MemoryPlacementTable } from '../placement/index.js';
import type { FramedSocket } from '../transport/index.js';
import type { MasterMessage, ProcessStats } from './control-protocol.js';

/** Everything the master knows about one server id, across its restarts. */
export interface ServerRecord {
  /** As configured (or as `add` gave it); what the next spawn uses. */
  info: ServerInfo;
  state: ServerState;
  child: ChildProcess | undefined;
  pid: number | undefined;
  /** When the current (or last) process was spawned, in ms since the epoch. */
  startedAt: number | undefined;
  readyAt: number | undefined;
  ready: boolean;
  /** Spawns after the first. */
  restarts: number;
  launches: number;
  /** The secret the current child must present to register. */
  token: string | undefined;
  /** The control connection of the current child, once it registered. */
  socket: FramedSocket | undefined;
  /** What the server registered as: it gets membership at once, the others hear of it once it is ready. */
  registered: ServerInfo | undefined;
  /** What membership holds for this server while it is registered and ready. */
  member: ServerInfo | undefined;
  /** A stop was asked for: its exit is no crash, and it is not restarted. */
  stopOrdered: boolean;
  /** Crashes in a row without a stable run, for the restart backoff. */
  crashStreak: number;
  restartTimer: NodeJS.Timeout | undefined;
  lostTimer: NodeJS.Timeout | undefined;
  /** How the last process ended (`code 1`, `signal SIGKILL`). */
  lastExit: string | undefined;
}

/** A server's entry as {@link Master.servers} shows it. */
export interface ServerStatus {
  readonly id: string;
  readonly info: ServerInfo;
  readonly state: ServerState;
  readonly pid: number | undefined;
  readonly startedAt: number | undefined;
  readonly restarts: number;
}

/** A record as {@link ServerStatus}. */
export function statusOf(record: ServerRecord): ServerStatus {
  const { info, state, pid, startedAt, restarts } = record;
  return { id: info.id, info, state, pid, startedAt, restarts };
}

/** Whether the master restarts this server after an unexpected exit. */
export function restartsOnCrash(info: ServerInfo): boolean {
  return info['auto-restart'] === true || info['restart-force'] === true;
}

/**
 * The master's registry: every server record, the membership they form (the registered ones),
 * and announcements of its changes to every registered server. State changes call
 * {@link Registry.changed}, which wakes whoever waits on a condition with {@link Registry.until}.
 */
export class Registry {
  readonly #records = new Map<string, ServerRecord>();
  /** The run-time IP blacklist every frontend holds; a frontend gets it when it registers. */
  readonly blacklist = new Set<string>();
  /**
   * The cluster's placement table (room → owning server): one authority, here, that every server
   * reaches over its monitor connection. A server's keys are freed as it leaves membership, and a
   * key released is announced to every server (they cache owners).
   */
  readonly placement = new MemoryPlacementTable();
  readonly #waiters = new Set<() => void>();
  readonly #stats = new Map<number, (stats: ProcessStats | undefined) => void>();
  #nextRequestId = 1;

  constructor() {
    this.placement.watch((entry) => {
      for (const record of this.#records.values())
        if (record.registered) this.send(record, { type: 'placement-released', entry });
    });
  }

  /** Adds a record for a server that is not running yet. */
  add(info: ServerInfo): ServerRecord {
    const record: ServerRecord = {
      info,
      state: 'stopped',
      child: undefined,
      pid: undefined,
      startedAt: undefined,
      readyAt: undefined,
      ready: false,
      restarts: 0,
      launches: 0,
      token: undefined,
      socket: undefined,
      registered: undefined,
      member: undefined,
      stopOrdered: false,
      crashStreak: 0,
      restartTimer: undefined,
      lostTimer: undefined,
      lastExit: undefined,
    };
    this.#records.set(info.id, record);
    return record;
  }

  /** The record of this server id, if the master knows it. */
  get(id: string): ServerRecord | undefined {
    return this.#records.get(id);
  }

  /** Every record, in the order they were added. */
  records(): ServerRecord[] {
    return [...this.#records.values()];
  }

  /** The servers now registered: the membership every server holds. */
  members(): ServerInfo[] {
    const members: ServerInfo[] = [];
    for (const record of this.#records.values()) if (record.member) members.push(record.member);
    return members;
  }

  /**
   * Registers a server: it gets the whole membership (itself included) at once, so its components
   * can call others while they start; the others hear of it only once it is ready
   * ({@link Registry.announce}), so no call reaches a server that is not listening yet.
   */
  join(record: ServerRecord, socket: FramedSocket, member: ServerInfo): void {
    record.socket = socket;
    record.registered = member;
    this.send(record, { type: 'registered', servers: [...this.members(), member] });
    if (member.frontend && this.blacklist.size > 0) {
      this.send(record, { type: 'blacklist', add: [...this.blacklist], remove: [] });
    }
    this.changed();
  }

  /** A registered server is ready: every other registered server hears of it. */
  announce(record: ServerRecord): void {
    if (!record.registered || record.member) return;
    record.member = record.registered;
    this.#broadcast({ type: 'add', server: record.member }, record);
    this.changed();
  }

  /** Takes a server out of membership, telling every other registered server at once. */
  leave(record: ServerRecord): void {
    record.registered = undefined;
    // before the others hear it left: a claim they make then finds its keys free
    this.placement.releaseServerNow(record.info.id);
    if (!record.member) return;
    record.member = undefined;
    this.#broadcast({ type: 'remove', id: record.info.id }, record);
    this.changed();
  }

  /** Sends to one server's control connection, if it has one. */
  send(record: ServerRecord, message: MasterMessage): void {
    record.socket?.send(message);
  }

  /** Asks a registered server for its process figures; `undefined` when it does not answer in time. */
  requestStats(record: ServerRecord, timeoutMs: number): Promise<ProcessStats | undefined> {
    if (!record.socket || !record.registered) return Promise.resolve(undefined);
    const requestId = this.#nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.answerStats(requestId, undefined), timeoutMs);
      this.#stats.set(requestId, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      this.send(record, { type: 'stats', requestId });
    });
  }

  /** Delivers a server's answer to {@link Registry.requestStats}. */
  answerStats(requestId: number, stats: ProcessStats | undefined): void {
    const resolve = this.#stats.get(requestId);
    this.#stats.delete(requestId);
    resolve?.(stats);
  }

  /** Wakes every {@link Registry.until} so it checks its condition again. */
  changed(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves `true` once `condition` holds (checked after each change), or `false` after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(result);
      };
      const check = (): void => {
        if (condition()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(check);
    });
  }

  #broadcast(message: MasterMessage, except: ServerRecord): void {
    for (const record of this.#records.values()) {
      if (record !== except && record.registered) this.send(record, message);
    }
  }
}
