/**
 * Sessions: a frontend's `SessionService` (one `Session` per client, with its own id, attached to the
 * `SessionConnection` that carries it now; indexed by id and uid),
 * the `FrontendSession` and `BackendSession` handlers receive, the `BackendSessionService` that
 * reaches any frontend's sessions over RPC through the system remote `sessionRemote`, and the
 * session component that provides them.
 */

export { BackendSession } from './backend-session.js';
export {
  BackendSessionService,
  type BackendSessionServiceOptions,
  type SessionRpcClient,
} from './backend-session-service.js';
export { FrontendSession, type FrontendSessionOwner } from './frontend-session.js';
export { Session, type SessionClosedListener } from './session.js';
export { type SessionConfig, sessionComponent } from './session-component.js';
export type { ClientAddress, SessionConnection } from './session-connection.js';
export { SessionCopy } from './session-copy.js';
export type { HandlerSession, SessionData, SessionRemote } from './session-data.js';
export { createSessionRemote } from './session-remote.js';
export {
  type SessionBindListener,
  SessionService,
  type SessionServiceOptions,
  type SingleSessionMode,
} from './session-service.js';
export { MemoryStatusStore, type StatusEntry, type StatusStore } from './status-store.js';
