import type { JsonObject, JsonValue } from '@shaddock/protocol';
import type { ClientConnection } from '../connector/client-connection.js';
import { ListenerList } from './listener-list.js';
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
 * One client connection's session on its frontend (internal to the frontend: handlers receive a
 * `FrontendSession`). Its uid changes only through the `SessionService`, which keeps the indexes.
 *
 * `settings` is copy-on-write: handing it out (to a `FrontendSession`, an export) marks it shared,
 * and the next change here works on a fresh shallow copy, so what was handed out never changes.
 * Values are never changed in place, only replaced.
 */
export class Session {
  /** The connection's id. */
  readonly id: number;
  readonly frontendId: string;
  readonly connection: ClientConnection;
  #uid: string | undefined;
  #settings: JsonObject = {};
  #settingsShared = false;
  #closeReason: string | undefined;
  #onBind: ListenerList<[uid: string]> | undefined;
  #onUnbind: ListenerList<[uid: string]> | undefined;
  #onClosed: ListenerList<Parameters<SessionClosedListener>> | undefined;

  constructor(connection: ClientConnection, frontendId: string) {
    this.id = connection.id;
    this.frontendId = frontendId;
    this.connection = connection;
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
