import type { JsonObject, JsonValue } from '@shaddock/protocol';
import type { BackendSessionService, Session, SessionService } from '../session/index.js';
import { type Callback, settle } from './callback.js';
import { PomeloSession, type Report } from './session.js';

/** The callback among `[reason], cb`: Pomelo lets the reason out. */
function reasonAndCallback(
  reason: unknown,
  callback: unknown,
): { reason: string; callback: Callback | undefined } {
  if (typeof reason === 'function') return { reason: 'kick', callback: reason as Callback };
  return {
    reason: typeof reason === 'string' ? reason : 'kick',
    callback: typeof callback === 'function' ? (callback as Callback) : undefined,
  };
}

/** Runs a synchronous native call and hands its outcome to a Pomelo callback. */
function call(action: () => unknown, callback: Callback | undefined, report: Report): void {
  let outcome: Promise<unknown>;
  try {
    const value = action();
    outcome = Promise.resolve(value);
  } catch (error) {
    outcome = Promise.reject(error);
  }
  settle(outcome, callback, report, () => []);
}

/**
 * Pomelo's frontend `sessionService` over the native one. Kept Pomelo's: `getByUid(uid)` answers
 * `undefined` when the uid has no session (the native one answers `[]`), sessions are
 * {@link PomeloSession}s, and every change takes a callback.
 */
export class PomeloSessionService {
  readonly #native: () => SessionService;
  readonly #report: Report;

  constructor(native: () => SessionService, report: Report) {
    this.#native = native;
    this.#report = report;
  }

  /** The native service, for code that wants promises. */
  get native(): SessionService {
    return this.#native();
  }

  get(sessionId: number): PomeloSession | undefined {
    const session = this.#native().get(Number(sessionId));
    return session && this.#wrap(session);
  }

  getByUid(uid: string): PomeloSession[] | undefined {
    const sessions = this.#native().getByUid(String(uid));
    return sessions.length === 0 ? undefined : sessions.map((session) => this.#wrap(session));
  }

  bind(sessionId: number, uid: string, callback?: Callback): void {
    call(() => this.#native().bind(Number(sessionId), String(uid)), callback, this.#report);
  }

  unbind(sessionId: number, uid: string, callback?: Callback): void {
    call(() => this.#native().unbind(Number(sessionId), String(uid)), callback, this.#report);
  }

  import(sessionId: number, key: string, value: JsonValue, callback?: Callback): void {
    call(() => this.#native().import(Number(sessionId), { [key]: value }), callback, this.#report);
  }

  importAll(sessionId: number, settings: JsonObject, callback?: Callback): void {
    call(() => this.#native().importAll(Number(sessionId), settings), callback, this.#report);
  }

  kick(uid: string, reason?: string | Callback, callback?: Callback): void {
    const chosen = reasonAndCallback(reason, callback);
    call(() => this.#native().kick(String(uid), chosen.reason), chosen.callback, this.#report);
  }

  kickBySessionId(sessionId: number, reason?: string | Callback, callback?: Callback): void {
    const chosen = reasonAndCallback(reason, callback);
    call(
      () => this.#native().kickBySessionId(Number(sessionId), chosen.reason),
      chosen.callback,
      this.#report,
    );
  }

  getClientAddressBySessionId(sessionId: number): { ip: string; port: number } | null {
    const session = this.#native().get(Number(sessionId));
    if (session === undefined) return null;
    const { ip, port } = session.remoteAddress;
    return { ip, port };
  }

  forEachSession(visit: (session: PomeloSession) => void): void {
    this.#native().forEachSession((session) => visit(this.#wrap(session)));
  }

  forEachBindedSession(visit: (session: PomeloSession) => void): void {
    this.#native().forEachBoundSession((session) => visit(this.#wrap(session)));
  }

  getSessionsCount(): number {
    return this.#native().sessionCount;
  }

  #wrap(session: Session): PomeloSession {
    return new PomeloSession(this.#native().frontendSession(session), this.#report);
  }
}

/** Pomelo's `backendSessionService`: every call by frontend id, answers through the callback. */
export class PomeloBackendSessionService {
  readonly #native: () => BackendSessionService;
  readonly #report: Report;

  constructor(native: () => BackendSessionService, report: Report) {
    this.#native = native;
    this.#report = report;
  }

  /** The native service, for code that wants promises. */
  get native(): BackendSessionService {
    return this.#native();
  }

  create(data: { id: number; frontendId: string; uid?: string; settings?: JsonObject }): PomeloSession {
    return new PomeloSession(
      this.#native().create({
        id: data.id,
        frontendId: data.frontendId,
        uid: data.uid,
        settings: data.settings ?? {},
      }),
      this.#report,
    );
  }

  get(frontendId: string, sessionId: number, callback: Callback): void {
    settle(this.#native().get(frontendId, Number(sessionId)), callback, this.#report, (session) => [
      session && new PomeloSession(session, this.#report),
    ]);
  }

  getByUid(frontendId: string, uid: string, callback: Callback): void {
    settle(this.#native().getByUid(frontendId, String(uid)), callback, this.#report, (sessions) => [
      sessions.length === 0 ? undefined : sessions.map((session) => new PomeloSession(session, this.#report)),
    ]);
  }

  kickBySid(frontendId: string, sessionId: number, reason?: string | Callback, callback?: Callback): void {
    const chosen = reasonAndCallback(reason, callback);
    settle(
      this.#native().kickBySessionId(frontendId, Number(sessionId), chosen.reason),
      chosen.callback,
      this.#report,
    );
  }

  kickByUid(frontendId: string, uid: string, reason?: string | Callback, callback?: Callback): void {
    const chosen = reasonAndCallback(reason, callback);
    settle(this.#native().kickByUid(frontendId, String(uid), chosen.reason), chosen.callback, this.#report);
  }

  bind(frontendId: string, sessionId: number, uid: string, callback?: Callback): void {
    settle(this.#native().bind(frontendId, Number(sessionId), String(uid)), callback, this.#report);
  }

  unbind(frontendId: string, sessionId: number, uid: string, callback?: Callback): void {
    settle(this.#native().unbind(frontendId, Number(sessionId), String(uid)), callback, this.#report);
  }

  push(frontendId: string, sessionId: number, key: string, value: JsonValue, callback?: Callback): void {
    settle(this.#native().push(frontendId, Number(sessionId), { [key]: value }), callback, this.#report);
  }

  pushAll(frontendId: string, sessionId: number, settings: JsonObject, callback?: Callback): void {
    settle(this.#native().pushAll(frontendId, Number(sessionId), settings), callback, this.#report);
  }
}
