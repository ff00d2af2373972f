import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import { getLogger, type Logger } from '../logging/index.js';
import { FrontendSession } from './frontend-session.js';
import { ListenerList } from './listener-list.js';
import { Session, type SessionClosedListener, sessionInternals } from './session.js';
import type { SessionConnection } from './session-connection.js';
import { cloneJson, cloneSettings } from './settings.js';

/**
 * What binding a uid that already has a live session on this frontend does: `false` allows
 * several sessions per uid, `'reject'` refuses the new bind (Pomelo's `singleSession: true`),
 * `'replace'` kicks the older sessions with the reason `'replaced'`, then binds.
 */
export type SingleSessionMode = false | 'reject' | 'replace';

/** Options of {@link SessionService}. */
export interface SessionServiceOptions {
  /** This frontend's server id. */
  frontendId: string;
  /** Default `false`: a uid may have several sessions. */
  singleSession?: SingleSessionMode;
  /** Where a listener's error is logged (default the `session` category); the other listeners still run. */
  logger?: Logger;
}

/** Called with the session and its uid when a session is bound or unbound. */
export type SessionBindListener = (session: Session, uid: string) => void;

const NO_SESSIONS: readonly Session[] = Object.freeze([]);

/**
 * The sessions of one frontend, by session id and by uid. A session's id is its own, counted
 * here: never the id of the connection that carries it (the connector maps one to the other).
 * The uid index holds arrays that are replaced, never changed in place: `getByUid` returns them
 * as they are (no copy, no allocation on the push path) and an array returned stays valid while
 * its sessions are kicked.
 *
 * @example
 * const sessions = new SessionService({ frontendId: 'connector-1', singleSession: 'replace' });
 * const session = sessions.create(connection);
 * sessions.bind(session.id, 'alice');
 * sessions.kick('alice', 'maintenance');
 */
export class SessionService {
  readonly frontendId: string;
  readonly singleSession: SingleSessionMode;
  readonly #sessions = new Map<number, Session>();
  #nextId = 1;
  readonly #byUid = new Map<string, readonly Session[]>();
  #boundCount = 0;
  readonly #onClosed = new ListenerList<Parameters<SessionClosedListener>>();
  readonly #onBind = new ListenerList<Parameters<SessionBindListener>>();
  readonly #onUnbind = new ListenerList<Parameters<SessionBindListener>>();
  readonly #report: (error: unknown) => void;

  constructor(options: SessionServiceOptions) {
    this.frontendId = options.frontendId;
    this.singleSession = options.singleSession ?? false;
    const log = options.logger ?? getLogger('session');
    this.#report = (error) =>
      log.error({ err: error, frontendId: this.frontendId }, 'a session listener failed');
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Sessions bound to a uid now. */
  get boundCount(): number {
    return this.#boundCount;
  }

  /** Distinct uids bound now. */
  get uidCount(): number {
    return this.#byUid.size;
  }

  /** Makes a new session, with a new id, attached to `connection` (called after the handshake). */
  create(connection: SessionConnection): Session {
    const session = new Session(this.#nextId++, this.frontendId, connection);
    this.#sessions.set(session.id, session);
    return session;
  }

  get(sessionId: number): Session | undefined {
    return this.#sessions.get(sessionId);
  }

  /** The open sessions of `uid`; do not change the array. */
  getByUid(uid: string): readonly Session[] {
    return this.#byUid.get(uid) ?? NO_SESSIONS;
  }

  /**
   * Binds a session to `uid`; the same uid again does nothing. Throws `SessionNotFound`,
   * `SessionAlreadyBound` (bound to another uid) or, with `singleSession: 'reject'`,
   * `SessionUidTaken`. With `'replace'` the uid's other sessions are kicked first.
   */
  bind(sessionId: number, uid: string): void {
    const session = this.#require(sessionId);
    if (session.uid === uid) return;
    if (session.uid !== undefined) {
      throw new ShaddockError(
        ErrorCode.SessionAlreadyBound,
        `session ${sessionId} is bound to another uid; unbind it first`,
      );
    }
    const others = this.getByUid(uid);
    if (others.length > 0 && this.singleSession === 'reject') {
      throw new ShaddockError(
        ErrorCode.SessionUidTaken,
        `uid ${uid} already has a session on ${this.frontendId}`,
      );
    }
    if (others.length > 0 && this.singleSession === 'replace') {
      for (const other of others) this.#kick(other, 'replaced');
      // a listener of the kicked session may have closed this one
      if (session.closed) throw notFound(sessionId);
    }
    const current = this.#byUid.get(uid);
    this.#byUid.set(uid, current === undefined ? [session] : [...current, session]);
    this.#boundCount++;
    sessionInternals.bind(session, uid, this.#report);
    this.#onBind.emit(this.#report, session, uid);
  }

  /** Unbinds a session from `uid`. Throws `SessionNotFound`, or `SessionNotBound` when it is not bound to `uid`. */
  unbind(sessionId: number, uid: string): void {
    const session = this.#require(sessionId);
    if (session.uid !== uid) {
      throw new ShaddockError(ErrorCode.SessionNotBound, `session ${sessionId} is not bound to uid ${uid}`);
    }
    this.#unindex(session, uid);
    sessionInternals.unbind(session, this.#report);
    this.#onUnbind.emit(this.#report, session, uid);
  }

  /** Merges (a copy of) `settings` into the session's, then deletes `removed` (a `push`). Throws `SessionNotFound`. */
  import(sessionId: number, settings: JsonObject, removed: readonly string[] = []): void {
    const session = this.#require(sessionId);
    for (const key of Object.keys(settings)) {
      const value = settings[key];
      if (value !== undefined) session.set(key, cloneJson(value));
    }
    for (const key of removed) session.remove(key);
  }

  /** Replaces the session's settings with (a copy of) `settings` (a `pushAll`). Throws `SessionNotFound`. */
  importAll(sessionId: number, settings: JsonObject): void {
    sessionInternals.replaceSettings(this.#require(sessionId), cloneSettings(settings));
  }

  /** Kicks every session of `uid`: the kick package with `reason`, then close. An unknown uid does nothing. */
  kick(uid: string, reason = 'kick'): void {
    for (const session of this.getByUid(uid)) this.#kick(session, reason);
  }

  /** Kicks one session by its (session) id; an unknown id does nothing. */
  kickBySessionId(sessionId: number, reason = 'kick'): void {
    const session = this.#sessions.get(sessionId);
    if (session !== undefined) this.#kick(session, reason);
  }

  /**
   * Forgets a session whose connection closed (by the session's id): out of the indexes, then its closed listeners and the
   * service's, once, with the uid it had. An unknown or already removed id does nothing.
   */
  remove(sessionId: number, reason: string): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    this.#sessions.delete(sessionId);
    if (session.uid !== undefined) this.#unindex(session, session.uid);
    const snapshot = sessionInternals.close(session, reason, this.#report);
    this.#onClosed.emit(this.#report, snapshot, reason);
  }

  /** Calls `listener` for every session that closes; returns the function that stops it. */
  onClosed(listener: SessionClosedListener): () => void {
    return this.#onClosed.add(listener);
  }

  /** Calls `listener` for every bind; returns the function that stops it. */
  onBind(listener: SessionBindListener): () => void {
    return this.#onBind.add(listener);
  }

  /** Calls `listener` for every unbind (a closing session is reported by `onClosed` instead). */
  onUnbind(listener: SessionBindListener): () => void {
    return this.#onUnbind.add(listener);
  }

  forEachSession(visit: (session: Session) => void): void {
    for (const session of this.#sessions.values()) visit(session);
  }

  forEachBoundSession(visit: (session: Session) => void): void {
    for (const sessions of this.#byUid.values()) for (const session of sessions) visit(session);
  }

  /** The session a handler on this frontend receives for one request. */
  frontendSession(session: Session): FrontendSession {
    return new FrontendSession(session, this);
  }

  #kick(session: Session, reason: string): void {
    // removed first, so the closed listeners see the kick's reason and may still send on the connection
    this.remove(session.id, reason);
    // a detached session has no connection to kick: closing it is all there is
    session.connection?.kick(reason);
  }

  #unindex(session: Session, uid: string): void {
    const sessions = this.#byUid.get(uid);
    if (sessions === undefined) return;
    const rest = sessions.filter((other) => other !== session);
    if (rest.length === sessions.length) return;
    this.#boundCount--;
    if (rest.length === 0) this.#byUid.delete(uid);
    else this.#byUid.set(uid, rest);
  }

  #require(sessionId: number): Session {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) throw notFound(sessionId);
    return session;
  }
}

function notFound(sessionId: number): ShaddockError {
  return new ShaddockError(ErrorCode.SessionNotFound, `no session ${sessionId} on this frontend`);
}
