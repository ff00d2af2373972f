import type { JsonObject, MessageCodec } from '@shaddock/protocol';
import type { HandlerSession } from '../session/session-data.js';
import type { ClientConnection } from './client-connection.js';
import type { ConnectorSettings } from './connector-config.js';
import type { HandshakeResponses } from './handshake.js';

/** Why the connector closed a connection (protocol errors close with their `ProtocolErrorCode`). */
export const CloseReason = {
  ClientClosed: 'client closed',
  HeartbeatTimeout: 'heartbeat timeout',
  HandshakeTimeout: 'handshake timeout',
  HandshakeRefused: 'handshake refused',
  OldClient: 'old client',
  UnexpectedPackage: 'unexpected package',
  SlowClient: 'slow client',
  ServerFull: 'server full',
  ServerStopping: 'server stopping',
  InternalError: 'internal error',
} as const;

/** One of {@link CloseReason}'s values. */
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

/** What the connector needs of the session service (`sessionService`); `S` is its session type. */
export interface ConnectorSessions<S extends { readonly id: number }> {
  /** Called once the handshake is acknowledged. */
  create(connection: ClientConnection): S;
  /** Called once when the connection closes, whoever closed it. */
  remove(sessionId: number, reason: string): void;
  /** The session a handler receives for one message. */
  frontendSession(session: S): HandlerSession;
}

/** A client message on its way to the handlers; `id` is 0 for a notify. */
export interface ClientMessage {
  readonly id: number;
  readonly route: string;
  readonly body: JsonObject;
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
  /** The connection is closed: the connector forgets it. */
  closed(connectionId: number): void;
  /** Messages in the handlers for every connection: +1 or −1. */
  inflight(delta: 1 | -1): void;
}
