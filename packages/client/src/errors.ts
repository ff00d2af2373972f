/**
 * Every way a client call or connection can fail, as one list of codes.
 *
 * A failed call rejects with a {@link ClientError} carrying one of these; the original error
 * (a socket error, a {@link @shaddock/protocol#ProtocolError}) is kept as its `cause`.
 */
export const ClientErrorCode = {
  /** The server did not answer a request within its timeout. */
  Timeout: 'SHADDOCK_ERR_CLIENT_TIMEOUT',
  /** The connection ended while the request was pending. */
  Disconnected: 'SHADDOCK_ERR_CLIENT_DISCONNECTED',
  /** A request or notify was issued while the client was not connected; nothing is queued. */
  NotConnected: 'SHADDOCK_ERR_CLIENT_NOT_CONNECTED',
  /** The client was closed by its owner. */
  Closed: 'SHADDOCK_ERR_CLIENT_CLOSED',
  /** The server answered the handshake with a code other than 200; see `handshakeCode`. */
  HandshakeRejected: 'SHADDOCK_ERR_CLIENT_HANDSHAKE_REJECTED',
  /** The server did not answer the handshake in time. */
  HandshakeTimeout: 'SHADDOCK_ERR_CLIENT_HANDSHAKE_TIMEOUT',
  /** The socket could not be opened. */
  ConnectFailed: 'SHADDOCK_ERR_CLIENT_CONNECT_FAILED',
  /** The socket did not open in time. */
  ConnectTimeout: 'SHADDOCK_ERR_CLIENT_CONNECT_TIMEOUT',
  /** The server sent bytes that are not the Pomelo protocol; the connection is closed. */
  Protocol: 'SHADDOCK_ERR_CLIENT_PROTOCOL',
  /** A request or notify body could not be encoded (for instance it does not fit its proto). */
  EncodeFailed: 'SHADDOCK_ERR_CLIENT_ENCODE_FAILED',
  /** The server kicked this client; it does not reconnect. */
  Kicked: 'SHADDOCK_ERR_CLIENT_KICKED',
  /** Nothing arrived from the server within the heartbeat timeout. */
  HeartbeatTimeout: 'SHADDOCK_ERR_CLIENT_HEARTBEAT_TIMEOUT',
  /** The server closed the connection, or the network dropped it. */
  ConnectionLost: 'SHADDOCK_ERR_CLIENT_CONNECTION_LOST',
  /** Every reconnect attempt failed; the client is closed. */
  ReconnectFailed: 'SHADDOCK_ERR_CLIENT_RECONNECT_FAILED',
  /**
   * The resolver threw, answered something that is not an endpoint, or (`fromGate`) the gate
   * could not be reached or did not name a connector. The thrown error is the `cause`.
   */
  ResolveFailed: 'SHADDOCK_ERR_CLIENT_RESOLVE_FAILED',
  /** `connect()` was given options it cannot use. */
  InvalidOptions: 'SHADDOCK_ERR_CLIENT_INVALID_OPTIONS',
} as const;

/** One of {@link ClientErrorCode}'s values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Options of a {@link ClientError} beyond the standard `cause`. */
export interface ClientErrorOptions extends ErrorOptions {
  /** The code of a rejected handshake (e.g. 501 when the server refuses this client's version). */
  readonly handshakeCode?: number;
}

/**
 * The one error type the client rejects and emits with.
 *
 * @example
 * ```ts
 * try {
 *   await client.request('connector.entryHandler.enter', { username: 'a' });
 * } catch (error) {
 *   if (isClientError(error, ClientErrorCode.Timeout)) retryLater();
 * }
 * ```
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  /** Set on {@link ClientErrorCode.HandshakeRejected}: the code the server answered. */
  readonly handshakeCode: number | undefined;

  constructor(code: ClientErrorCode, message: string, options?: ClientErrorOptions) {
    super(message, options);
    this.code = code;
    this.handshakeCode = options?.handshakeCode;
  }
}

/** True when `error` is a {@link ClientError}, optionally of the given code. */
export function isClientError(error: unknown, code?: ClientErrorCode): error is ClientError {
  return error instanceof ClientError && (code === undefined || error.code === code);
}
