/** Why the connector closed a connection (protocol errors close with their `ProtocolErrorCode`). */
export const CloseReason = {
  ClientClosed: 'client closed',
  HeartbeatTimeout: 'heartbeat timeout',
  HandshakeTimeout: 'handshake timeout',
  HandshakeRefused: 'handshake refused',
  OldClient: 'old client',
  UnexpectedPackage: 'unexpected package',
  SlowClient: 'slow client',
  ServerStopping: 'server stopping',
  InternalError: 'internal error',
} as const;

/** One of {@link CloseReason}'s values. */
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];
