import type { SessionConnection } from '../session/index.js';

export type { ClientAddress } from '../session/index.js';

/**
 * One client connection on a frontend, whatever its transport (WebSocket or TCP, with or without
 * TLS): what sessions (its `SessionConnection` part) and push schedulers need of it. Its `id` is
 * the connection's own; the session it carries has another id, and the connector maps one to the
 * other.
 */
export interface ClientConnection extends SessionConnection {
  /** Bytes accepted by `send` but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Writes whole packages (one or more, already encoded); never throws, drops after close. */
  send(packages: Uint8Array): void;
}
