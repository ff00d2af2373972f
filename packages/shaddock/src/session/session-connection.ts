/** A client's address, from the socket or from a trusted proxy header. */
export interface ClientAddress {
  readonly ip: string;
  readonly port: number;
}

/**
 * What a session needs of the client connection that carries it now: its address, and a way to
 * kick or close it. The connector's connections implement it; a session outlives the connection it
 * is attached to only in the connector's hands (see `Session.attach`/`Session.detach`).
 */
export interface SessionConnection {
  /** The connection's own id, unique in this process; NOT the session's id. */
  readonly id: number;
  readonly remoteAddress: ClientAddress;
  readonly closed: boolean;
  /** Sends the kick package with `{reason}`, then closes. */
  kick(reason: string): void;
  /** Closes without a kick package. */
  close(reason: string): void;
}
