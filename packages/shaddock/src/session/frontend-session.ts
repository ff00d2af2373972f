import type { JsonObject } from '@shaddock/protocol';
import type { Session, SessionClosedListener } from './session.js';
import type { ClientAddress } from './session-connection.js';
import { SessionCopy } from './session-copy.js';

/**
 * What a `FrontendSession` asks of its frontend's sessions, by session id: the `SessionService`
 * (declared here so that the service may make frontend sessions without an import cycle).
 */
export interface FrontendSessionOwner {
  bind(sessionId: number, uid: string): void;
  unbind(sessionId: number, uid: string): void;
  import(sessionId: number, settings: JsonObject, removed?: readonly string[]): void;
  importAll(sessionId: number, settings: JsonObject): void;
  kickBySessionId(sessionId: number, reason?: string): void;
}

/**
 * The session a handler on the frontend receives, one per request. `get`/`set`/`remove` work on a
 * copy of the settings (see `SessionCopy`: creating one copies nothing); `push`/`pushAll` copy
 * them into the real session for later requests; `bind`, `unbind` and `kick` act on the real
 * session at once. `uid` is the real session's, as it is now.
 *
 * @example
 * async entry(msg: { uid: string }, session: FrontendSession) {
 *   await session.bind(msg.uid);
 *   session.set('room', 'lobby');
 *   await session.push('room');
 *   session.onClosed((closed) => leaveRoom(closed.uid));
 * }
 */
export class FrontendSession extends SessionCopy {
  readonly #session: Session;
  readonly #service: FrontendSessionOwner;

  constructor(session: Session, service: FrontendSessionOwner) {
    super(session.id, session.frontendId, session.settings);
    this.#session = session;
    this.#service = service;
  }

  get uid(): string | undefined {
    return this.#session.uid;
  }

  /** The client's address (its last connection's while the session is detached). */
  get remoteAddress(): ClientAddress {
    return this.#session.remoteAddress;
  }

  /** Whether the session has closed (a request may still be running). */
  get closed(): boolean {
    return this.#session.closed;
  }

  async bind(uid: string): Promise<void> {
    this.#service.bind(this.id, uid);
  }

  async unbind(uid: string): Promise<void> {
    this.#service.unbind(this.id, uid);
  }

  async push(...keys: string[]): Promise<void> {
    const { settings, removed } = this.pickSettings(keys);
    this.#service.import(this.id, settings, removed);
  }

  async pushAll(): Promise<void> {
    this.#service.importAll(this.id, this.currentSettings());
  }

  async kick(reason = 'kick'): Promise<void> {
    this.#service.kickBySessionId(this.id, reason);
  }

  /** Called once when the connection closes (in a microtask if it already has); Pomelo's `session.on('closed')`. */
  onClosed(listener: SessionClosedListener): () => void {
    return this.#session.onClosed(listener);
  }

  onBind(listener: (uid: string) => void): () => void {
    return this.#session.onBind(listener);
  }

  onUnbind(listener: (uid: string) => void): () => void {
    return this.#session.onUnbind(listener);
  }
}
