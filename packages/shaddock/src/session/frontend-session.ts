import type { ClientAddress } from '../connector/client-connection.js';
import type { Session, SessionClosedListener } from './session.js';
import { SessionCopy } from './session-copy.js';
import type { SessionService } from './session-service.js';

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
  readonly #service: SessionService;

  constructor(session: Session, service: SessionService) {
    super(session.id, session.frontendId, session.settings);
    this.#session = session;
    this.#service = service;
  }

  get uid(): string | undefined {
    return this.#session.uid;
  }

  /** The client's address. */
  get remoteAddress(): ClientAddress {
    return this.#session.connection.remoteAddress;
  }

  /** Whether the connection has closed (a request may still be running). */
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
