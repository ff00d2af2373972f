import type { PackageType } from '@shaddock/protocol';

/** TLS settings for `wss` and `tls`; browsers use their own trust store and ignore them. */
export interface TlsOptions {
  /** Reject a server whose certificate does not verify. Default true. */
  readonly rejectUnauthorized?: boolean;
  /** PEM certificate(s) of the authority to trust, e.g. a test CA. */
  readonly ca?: string;
}

/** Which transport carries the Pomelo packages: WebSocket, or raw TCP (Node only). */
export type TransportKind = 'ws' | 'tcp';

/** Where a transport connects. */
export interface TransportTarget {
  readonly kind: TransportKind;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsOptions | undefined;
  /** The WebSocket path; unused by TCP. */
  readonly path: string;
  readonly maxBodyLength: number | undefined;
  /** Aborting it while the socket opens destroys the socket and rejects the open. */
  readonly signal: AbortSignal;
}

/** What a transport reports to its owner. */
export interface TransportHandlers {
  /** One whole package arrived. */
  onPackage(type: PackageType, body: Uint8Array): void;
  /**
   * The transport closed, once, for good: `error` is the socket's error, or the
   * {@link @shaddock/protocol#ProtocolError} of bytes that did not frame, if any.
   */
  onClose(error: Error | undefined): void;
}

/**
 * One connection to a server, whatever carries it: packages in (through
 * {@link TransportHandlers}), `send`, `close`, `closed`.
 */
export interface Transport {
  /** Writes bytes (one or more whole packages) in one write. */
  send(bytes: Uint8Array): void;
  /**
   * Starts closing; `closed` settles when the socket is gone. `force` drops the connection
   * without a closing handshake (for a peer that stopped answering). Idempotent.
   */
  close(force?: boolean): void;
  /** Resolves once the socket is closed, however that came about. */
  readonly closed: Promise<void>;
}

/** Opens a transport; rejects when the socket cannot be opened or `target.signal` aborts. */
export type OpenTransport = (target: TransportTarget, handlers: TransportHandlers) => Promise<Transport>;
