import type { JsonObject, JsonValue } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import { FrontendSession, type HandlerSession, type SessionData } from '../session/index.js';
import { type Callback, settle } from './callback.js';

/** Where a Pomelo session's failures without a callback go. */
export type Report = (error: unknown) => void;

/** The events `session.on` takes, as Pomelo names them. */
type SessionEvent = 'closed' | 'bind' | 'unbind';

/**
 * A session as Pomelo code sees it (Pomelo's `FrontendSession`/`BackendSession`): `id`,
 * `frontendId`, `uid`, `settings`, `get/set/remove`, `bind/unbind/push/pushAll(…, cb)`, `kick`,
 * `export()` and, on a frontend, `on('closed' | 'bind' | 'unbind', listener)`. It wraps the native
 * session a handler gets; one closed is a read-only snapshot whose calls fail through their callback.
 */
export class PomeloSession {
  readonly #native: HandlerSession | undefined;
  readonly #snapshot: SessionData | undefined;
  readonly #report: Report;

  constructor(source: HandlerSession | SessionData, report: Report) {
    if (typeof (source as HandlerSession).export === 'function') this.#native = source as HandlerSession;
    else this.#snapshot = source as SessionData;
    this.#report = report;
  }

  /** The native session behind this one (`undefined` for a closed session's snapshot). */
  get native(): HandlerSession | undefined {
    return this.#native;
  }

  get id(): number {
    return this.#native?.id ?? (this.#snapshot as SessionData).id;
  }

  get frontendId(): string {
    return this.#native?.frontendId ?? (this.#snapshot as SessionData).frontendId;
  }

  get uid(): string | undefined {
    return this.#native ? this.#native.uid : (this.#snapshot?.uid ?? undefined);
  }

  get settings(): Readonly<JsonObject> {
    return this.#native?.export().settings ?? (this.#snapshot as SessionData).settings;
  }

  get(key: string): JsonValue | undefined {
    return this.#native ? this.#native.get(key) : this.#snapshot?.settings[key];
  }

  /** `set(key, value)`, or Pomelo's `set({ key: value, … })`. Changes this copy; `push` sends it. */
  set(key: string | JsonObject, value?: JsonValue): void {
    const native = this.#live('set');
    if (typeof key === 'string') native.set(key, value ?? null);
    else for (const [name, each] of Object.entries(key)) native.set(name, each);
  }

  remove(key: string): void {
    this.#live('remove').remove(key);
  }

  bind(uid: string, callback?: Callback): void {
    this.#call((native) => native.bind(String(uid)), callback);
  }

  unbind(uid: string, callback?: Callback): void {
    this.#call((native) => native.unbind(String(uid)), callback);
  }

  push(key: string, callback?: Callback): void {
    this.#call((native) => native.push(key), callback);
  }

  pushAll(callback?: Callback): void {
    this.#call((native) => native.pushAll(), callback);
  }

  kick(reason?: string | Callback, callback?: Callback): void {
    const done = typeof reason === 'function' ? reason : callback;
    const why = typeof reason === 'string' ? reason : undefined;
    this.#call((native) => native.kick(why), done);
  }

  export(): SessionData {
    return this.#native?.export() ?? (this.#snapshot as SessionData);
  }

  /** Pomelo's `toFrontendSession()`: this object already is one. */
  toFrontendSession(): this {
    return this;
  }

  /**
   * Listens on the frontend's session: `closed` gets `(session, reason)` with a session object
   * (`get()` works, `uid` and `id` kept), `bind`/`unbind` get the uid. Frontends only, as in Pomelo.
   */
  on(event: SessionEvent, listener: (...args: unknown[]) => void): this {
    const native = this.#native;
    if (!(native instanceof FrontendSession)) {
      throw new ShaddockError(
        ErrorCode.AppState,
        `session.on('${event}') works on a frontend's session only`,
      );
    }
    const report = this.#report;
    const guarded = (...args: unknown[]): void => {
      try {
        listener(...args);
      } catch (error) {
        report(error);
      }
    };
    if (event === 'closed')
      native.onClosed((data, reason) => guarded(new PomeloSession(data, report), reason));
    else if (event === 'bind') native.onBind((uid) => guarded(uid));
    else if (event === 'unbind') native.onUnbind((uid) => guarded(uid));
    else
      throw new ShaddockError(
        ErrorCode.AppState,
        `session.on: unknown event "${String(event)}" (closed, bind, unbind)`,
      );
    return this;
  }

  #live(action: string): HandlerSession {
    if (this.#native === undefined) {
      throw new ShaddockError(ErrorCode.SessionNotFound, `session ${this.id} has closed: cannot ${action}`);
    }
    return this.#native;
  }

  #call(action: (native: HandlerSession) => Promise<void>, callback: Callback | undefined): void {
    let promise: Promise<void>;
    try {
      promise = action(this.#live('call'));
    } catch (error) {
      promise = Promise.reject(error);
    }
    settle(promise, callback, this.#report);
  }
}

/** The Pomelo session of a native one; a Pomelo session is returned as it is. */
export function toPomeloSession(session: unknown, report: Report): unknown {
  if (session instanceof PomeloSession) return session;
  if (isHandlerSession(session)) return new PomeloSession(session, report);
  return session;
}

function isHandlerSession(value: unknown): value is HandlerSession {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as HandlerSession).export === 'function' &&
    typeof (value as HandlerSession).frontendId === 'string' &&
    typeof (value as HandlerSession).pushAll === 'function'
  );
}
