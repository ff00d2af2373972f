import type { JsonObject, MessageCodec } from '@shaddock/protocol';
import type { ClientMessage } from '../handler/index.js';
import type { HandlerSession, SessionConnection } from '../session/index.js';
import type { ConnectorSettings } from './connector-config.js';
import type { HandshakeResponses } from './handshake.js';
import type { SchedulableConnection } from './push-scheduler.js';

/** What the connector needs of the session service (`sessionService`); `S` is its session type. */
export interface ConnectorSessions<S extends { readonly id: number }> {
  /** Called once the handshake is acknowledged: a new session (with its own id) attached to `connection`. */
  create(connection: SessionConnection): S;
  /** Called once, with the session's id, when its connection closes, whoever closed it. */
  remove(sessionId: number, reason: string): void;
  /** The session a handler receives for one message. */
  frontendSession(session: S): HandlerSession;
}

/** What the connector needs of the handler pipeline (`handlers`). */
export interface ConnectorHandlers {
  /** Runs the message; resolves with the response body (undefined for a notify); never rejects. */
  handleClientMessage(session: HandlerSession, message: ClientMessage): Promise<JsonObject | undefined>;
}

/** What every connection of one connector shares, made once at start. */
export interface ConnectionContext<S extends { readonly id: number }> {
  readonly settings: ConnectorSettings;
  readonly codec: MessageCodec;
  readonly handshake: HandshakeResponses;
  readonly sessions: ConnectorSessions<S>;
  readonly handlers: ConnectorHandlers;
  /** Reports a failure of the server's own (never a client's bad input). */
  report(error: unknown): void;
  /** Session `sessionId` is carried by `connection` from now on: pushes to the session go there. */
  attached(sessionId: number, connection: SchedulableConnection): void;
  /** Session `sessionId` is no longer carried by `connection`: pushes to it are dropped. */
  detached(sessionId: number, connection: SchedulableConnection): void;
  /** The connection (by its own id) is closed: the connector forgets it. */
  closed(connectionId: number): void;
  /** Messages in the handlers for every connection: +1 or −1. */
  inflight(delta: 1 | -1): void;
  /**
   * Set once by the connector when it starts to drain: from then on a new request is answered
   * with `ResponseCode.ServerStopping` and a new notify is dropped (both counted by `refused`).
   */
  stopping: boolean;
  /** A message that came while stopping was refused (`request`) or dropped (a notify). */
  refused(request: boolean): void;
}
