/** A client's address, from the socket or from a trusted proxy header. */
export interface ClientAddress {
  readonly ip: string;
  readonly port: number;
}

/**
 * One client connection on a frontend, whatever its transport (WebSocket or TCP, with or without
 * TLS): what sessions and push schedulers need of it.
 */
export interface ClientConnection {
  /** Unique in this process; it becomes the session id. */
  readonly id: number;
  readonly remoteAddress: ClientAddress;
  /** Bytes accepted by `send` but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  readonly closed: boolean;
  /** Writes whole packages (one or more, already encoded); never throws, drops after close. */
  send(packages: Uint8Array): void;
  /** Sends the kick package with `{reason}`, then closes. */
  kick(reason: string): void;
  /** Closes without a kick package. */
  close(reason: string): void;
}
