import type { JsonObject, JsonValue } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import { ListenerList } from './listener-list.js';
import type { ClientAddress, SessionConnection } from './session-connection.js';
import type { SessionData } from './session-data.js';
import { readSetting, writeSetting } from './settings.js';

/** Called once when a session closes, with its last snapshot (its uid still in it) and the reason. */
export type SessionClosedListener = (session: SessionData, reason: string) => void;

/**
 * What only the `SessionService` does to a session, reached through a static block because the
 * fields are private. Not exported from the folder's index.
 */
export interface SessionInternals {
  bind(session: Session, uid: string, report: (error: unknown) => void): void;
  unbind(session: Session, report: (error: unknown) => void): void;
  /** `settings` becomes the session's own: the caller gives it up. */
  replaceSettings(session: Session, settings: JsonObject): void;
  /** Marks it closed and calls its closed listeners; returns the snapshot they got. */
  close(session: Session, reason: string, report: (error: unknown) => void): SessionData;
}

// assigned by Session's static block, which runs before anything below
let internals!: SessionInternals;

/**
 * One client's session on its frontend (internal to the frontend: handlers receive a
 * `FrontendSession`). Its uid changes only through the `SessionService`, which keeps the indexes.
 *
 * A session is not its connection: it has its own id (given by the `SessionService`), and it is
 * attached to the connection that carries it now. The connector attaches it after the handshake;
 * {@link Session.detach} and {@link Session.attach} let it move to another connection later
 * (session resume). While detached it has no connection: a kick only closes it, and the
 * connector drops pushes to it.
 *
 * `settings` is copy-on-write: handing it out (to a `FrontendSession`, an export) marks it shared,
 * and the next change here works on a fresh shallow copy, so what was handed out never changes.
 * Values are never changed in place, only replaced.
 */
export class Session {
  /** The session's own id, unique on its frontend; never a connection's id. */
  readonly id: number;
  readonly frontendId: string;
  #connection: SessionConnection | undefined;
  #remoteAddress: ClientAddress;
  #uid: string | undefined;
  #settings: JsonObject = {};
  #settingsShared = false;
  #closeReason: string | undefined;
  #onBind: ListenerList<[uid: string]> | undefined;
  #onUnbind: ListenerList<[uid: string]> | undefined;
  #onClosed: ListenerList<Parameters<SessionClosedListener>> | undefined;

  /** Made by the `SessionService`, which chooses `id`; attached to `connection` from the start. */
  constructor(id: number, frontendId: string, connection: SessionConnection) {
    this.id = id;
    this.frontendId = frontendId;
    this.#connection = connection;
    this.#remoteAddress = connection.remoteAddress;
  }

  /** The connection that carries the session now; `undefined` while detached. */
  get connection(): SessionConnection | undefined {
    return this.#connection;
  }

  /** The client's address: its connection's, or while detached, the last connection's. */
  get remoteAddress(): ClientAddress {
    return this.#remoteAddress;
  }

  /**
   * Attaches the session to `connection` (a client resuming it on a new connection). Throws
   * `SessionExists` when it is attached to another connection (detach it first) and
   * `SessionNotFound` when it has closed.
   */
  attach(connection: SessionConnection): void {
    if (this.#connection === connection) return;
    if (this.#closeReason !== undefined) {
      throw new ShaddockError(ErrorCode.SessionNotFound, `session ${this.id} has closed`);
    }
    if (this.#connection !== undefined) {
      throw new ShaddockError(
        ErrorCode.SessionExists,
        `session ${this.id} is attached to connection ${this.#connection.id}; detach it first`,
      );
    }
    this.#connection = connection;
    this.#remoteAddress = connection.remoteAddress;
  }

  /** Detaches the session from its connection, which it returns (the session stays open). */
  detach(): SessionConnection | undefined {
    const connection = this.#connection;
    this.#connection = undefined;
    return connection;
  }

  /** The bound user id. A closed session keeps the uid it had. */
  get uid(): string | undefined {
    return this.#uid;
  }

  get closed(): boolean {
    return this.#closeReason !== undefined;
  }

  /** Why it closed; `undefined` while open. */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** The settings now; later changes never alter the object returned. Do not mutate it. */
  get settings(): Readonly<JsonObject> {
    this.#settingsShared = true;
    return this.#settings;
  }

  get(key: string): JsonValue | undefined {
    return readSetting(this.#settings, key);
  }

  /** Sets `key`; the session keeps `value` as it is (it is not copied): do not mutate it afterwards. */
  set(key: string, value: JsonValue): void {
    writeSetting(this.#writableSettings(), key, value);
  }

  remove(key: string): void {
    if (Object.hasOwn(this.#settings, key)) delete this.#writableSettings()[key];
  }

  /** A snapshot as it travels between servers. */
  export(): SessionData {
    return { id: this.id, frontendId: this.frontendId, uid: this.#uid, settings: this.settings };
  }

  /** Calls `listener` with the uid each time this session is bound. */
  onBind(listener: (uid: string) => void): () => void {
    this.#onBind ??= new ListenerList();
    return this.#onBind.add(listener);
  }

  /** Calls `listener` with the former uid each time this session is unbound (not when it closes). */
  onUnbind(listener: (uid: string) => void): () => void {
    this.#onUnbind ??= new ListenerList();
    return this.#onUnbind.add(listener);
  }

  /**
   * Calls `listener` once when the session closes. On a session already closed (the connection
   * dropped while a request was in flight) it is called in a microtask, so that a handler's
   * clean-up never goes missing.
   */
  onClosed(listener: SessionClosedListener): () => void {
    const reason = this.#closeReason;
    if (reason !== undefined) {
      let removed = false;
      const snapshot = this.export();
      queueMicrotask(() => {
        if (!removed) listener(snapshot, reason);
      });
      return () => {
        removed = true;
      };
    }
    this.#onClosed ??= new ListenerList();
    return this.#onClosed.add(listener);
  }

  #writableSettings(): JsonObject {
    if (this.#settingsShared) {
      this.#settings = { ...this.#settings };
      this.#settingsShared = false;
    }
    return this.#settings;
  }

  static {
    internals = {
      bind(session, uid, report) {
        session.#uid = uid;
        session.#onBind?.emit(report, uid);
      },
      unbind(session, report) {
        const uid = session.#uid;
        if (uid === undefined) return;
        session.#uid = undefined;
        session.#onUnbind?.emit(report, uid);
      },
      replaceSettings(session, settings) {
        session.#settings = settings;
        session.#settingsShared = false;
      },
      close(session, reason, report) {
        session.#closeReason = reason;
        const snapshot = session.export();
        const listeners = session.#onClosed;
        session.#onBind = session.#onUnbind = session.#onClosed = undefined;
        listeners?.emit(report, snapshot, reason);
        return snapshot;
      },
    };
  }
}

/** The `SessionService`'s access to its sessions' private state. */
export const sessionInternals: SessionInternals = internals;
