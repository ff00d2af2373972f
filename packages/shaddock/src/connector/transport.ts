import type { PackageType, ProtocolError } from '@shaddock/protocol';
import type { ClientAddress } from './client-connection.js';
import type { WebSocketFrameError } from './websocket-frames.js';

/** What a transport reports to the connection on top of it. */
export interface TransportSink {
  /** One whole package, in arrival order; `body` is valid during the call only. */
  onPackage(type: PackageType, body: Uint8Array): void;
  /** The client's bytes do not form packages (or WebSocket frames); the transport stops delivering. */
  onProtocolError(error: ProtocolError | WebSocketFrameError): void;
  /** The socket is gone (once), with a reason when it broke. */
  onClose(reason: string | undefined): void;
}

/**
 * One client socket, WebSocket or raw TCP (plain or TLS), as the Pomelo connection sees it:
 * packages in, bytes out, close, closed. The one small interface both transports implement.
 */
export interface ClientTransport {
  readonly remoteAddress: ClientAddress;
  /** Bytes written but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Starts delivering packages to `sink`; `first` holds bytes already read from the socket. */
  attach(sink: TransportSink, first?: Uint8Array): void;
  /** Writes whole packages; writes made in one event-loop turn leave in one system call. */
  write(bytes: Uint8Array): void;
  /**
   * Writes several packages as one write (one WebSocket frame while they fit). The transport may
   * keep `chunks` itself: the caller must not change the array afterwards.
   */
  writeMany(chunks: readonly Uint8Array[], totalBytes: number): void;
  /** Stops reading the socket (inbound backpressure). */
  pause(): void;
  resume(): void;
  /**
   * Sends what is written, then closes (WebSocket: a close frame without status, as Pinus). The
   * socket is still read, its bytes dropped unparsed, until the client closes its side or
   * {@link CLOSE_GRACE_MS} pass.
   */
  close(): void;
  /**
   * Closes as `close` does, for a client refused or misbehaving: its socket is not read any
   * more, and it is dropped {@link REFUSAL_LINGER_MS} later, whatever it keeps sending.
   */
  refuse(): void;
  /** Drops the socket at once, unsent bytes included. */
  destroy(): void;
}

/** How long a closing connection waits for the client's side of the close before dropping it. */
export const CLOSE_GRACE_MS = 2000;

/**
 * How long a refused client's socket stays after its refusal is written (for the refusal to reach
 * it before the drop can reset the connection); it is not read meanwhile.
 */
export const REFUSAL_LINGER_MS = 1000;

/** Below this, a batch of packages is joined into one buffer; above, each is written (under one cork). */
export const JOIN_LIMIT = 256 * 1024;

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as plain IPv4, so blacklists match either form. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
