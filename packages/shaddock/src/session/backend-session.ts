import type { JsonObject } from '@shaddock/protocol';
import { SessionCopy } from './session-copy.js';
import type { SessionData } from './session-data.js';

/**
 * The calls a {@link BackendSession} makes to its frontend: what `BackendSessionService` offers
 * (declared here, so the session does not import its service).
 */
export interface BackendSessionCalls {
  bind(frontendId: string, sessionId: number, uid: string): Promise<void>;
  unbind(frontendId: string, sessionId: number, uid: string): Promise<void>;
  push(frontendId: string, sessionId: number, settings: JsonObject, removed?: string[]): Promise<void>;
  pushAll(frontendId: string, sessionId: number, settings: JsonObject): Promise<void>;
  kickBySessionId(frontendId: string, sessionId: number, reason?: string): Promise<void>;
}

/**
 * The session a handler on a backend receives: made from the snapshot forwarded with the message.
 * `get`/`set`/`remove` work on a copy; `bind`, `unbind`, `push`, `pushAll` and `kick` are calls to
 * the frontend that holds the connection (`sessionRemote`). A frontend that is gone rejects with
 * `ServerUnavailable`; the frontend's refusals keep their session error codes.
 *
 * @example
 * async join(msg: { room: string }, session: BackendSession) {
 *   session.set('room', msg.room);
 *   await session.push('room');
 * }
 */
export class BackendSession extends SessionCopy {
  #uid: string | undefined;
  readonly #service: BackendSessionCalls;

  /** Prefer `backendSessionService.create(data)`. The session shares `data.settings` until its first write. */
  constructor(data: SessionData, service: BackendSessionCalls) {
    super(data.id, data.frontendId, data.settings);
    // a missing uid may arrive as null from the wire
    this.#uid = data.uid ?? undefined;
    this.#service = service;
  }

  /** The uid as of the snapshot, or as this session's own `bind`/`unbind` left it. */
  get uid(): string | undefined {
    return this.#uid;
  }

  async bind(uid: string): Promise<void> {
    await this.#service.bind(this.frontendId, this.id, uid);
    this.#uid = uid;
  }

  async unbind(uid: string): Promise<void> {
    await this.#service.unbind(this.frontendId, this.id, uid);
    this.#uid = undefined;
  }

  async push(...keys: string[]): Promise<void> {
    const { settings, removed } = this.pickSettings(keys);
    await this.#service.push(this.frontendId, this.id, settings, removed);
  }

  async pushAll(): Promise<void> {
    await this.#service.pushAll(this.frontendId, this.id, this.currentSettings());
  }

  async kick(reason = 'kick'): Promise<void> {
    await this.#service.kickBySessionId(this.frontendId, this.id, reason);
  }
}
