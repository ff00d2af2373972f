import type { JsonObject, JsonValue } from '@shaddock/protocol';

/** A session as it travels between servers: the snapshot a forwarded message carries. */
export interface SessionData {
  /** The session's id, unique on its frontend (not the id of the connection that carries it). */
  readonly id: number;
  /** The id of the frontend server that holds the connection. */
  readonly frontendId: string;
  /** The bound user id, once bound. */
  readonly uid: string | undefined;
  readonly settings: JsonObject;
}

/**
 * The session a handler receives: a `FrontendSession` on the frontend, a `BackendSession` on a
 * backend. `set` changes this copy only; `push`/`pushAll` make the change visible to later requests.
 */
export interface HandlerSession {
  readonly id: number;
  readonly frontendId: string;
  readonly uid: string | undefined;
  get(key: string): JsonValue | undefined;
  set(key: string, value: JsonValue): void;
  remove(key: string): void;
  /** Binds the session to `uid` (on the frontend, for every later request). */
  bind(uid: string): Promise<void>;
  unbind(uid: string): Promise<void>;
  /** Copies these settings into the frontend's session. */
  push(...keys: string[]): Promise<void>;
  /** Copies every setting into the frontend's session. */
  pushAll(): Promise<void>;
  /** Sends the kick package with `reason`, then closes the connection. */
  kick(reason?: string): Promise<void>;
  export(): SessionData;
}

/** The system remote every frontend offers (`sys.<frontendType>.sessionRemote`). */
export interface SessionRemote {
  bind(sessionId: number, uid: string): Promise<void>;
  unbind(sessionId: number, uid: string): Promise<void>;
  /** Merges `settings` into the session's settings, then deletes the `removed` keys. */
  push(sessionId: number, settings: JsonObject, removed?: string[]): Promise<void>;
  /** Replaces the session's settings. */
  pushAll(sessionId: number, settings: JsonObject): Promise<void>;
  getSessionById(sessionId: number): Promise<SessionData | null>;
  getSessionsByUid(uid: string): Promise<SessionData[]>;
  kickBySessionId(sessionId: number, reason: string): Promise<void>;
  kickByUid(uid: string, reason: string): Promise<void>;
}
