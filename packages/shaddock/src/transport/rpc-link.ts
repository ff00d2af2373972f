import { connectFramed } from './connect.js';
import type { FramedSocket, PayloadHandlers } from './framed-socket.js';
import { type HandshakeRefusal, secretOrDevelopment } from './handshake.js';
import { type FramedListener, listenFramed } from './listen.js';

/** Where a link reaches a server: its id, and its address for links that use one. */
export interface LinkAddress {
  readonly id: string;
  readonly host: string;
  /** The RPC port (TCP). */
  readonly port?: number;
}

/**
 * How a link opens a connection. Every link proves, at its opening, that this process knows the
 * cluster secret and requires the server to prove it too, over fresh nonces, before the
 * connection is handed over.
 */
export interface LinkConnectOptions {
  /** Milliseconds allowed to open it, handshake included. */
  readonly connectTimeout: number;
  /**
   * The largest frame accepted from the peer, in bytes (default 64 MiB); the cluster's one bound, so
   * also the largest sent (a larger one throws from `send`).
   */
  readonly maxFrameLength?: number;
  /** The cluster secret (default: the well-known development one, which production refuses). */
  readonly secret?: string;
  /** This process's id, proven to the server (default `''`). */
  readonly self?: string;
}

/**
 * How a link listens. Every peer proves it knows the cluster secret before anything it sends is
 * read; `onConnection` sees only those that did.
 */
export interface LinkListenOptions {
  /**
   * The largest frame accepted from a peer, in bytes (default 64 MiB); the cluster's one bound, so
   * also the largest sent (a larger one throws from `send`).
   */
  readonly maxFrameLength?: number;
  /** The cluster secret (default: the well-known development one, which production refuses). */
  readonly secret?: string;
  /** Bytes queued for a peer that does not read them, past which it is cut (default: no bound). */
  readonly maxPendingBytes?: number;
  /** Milliseconds from a peer's arrival to its valid proof (default 5 000). */
  readonly handshakeTimeout?: number;
  /** Milliseconds a peer not yet authenticated may stay silent (default 2 000; TCP only). */
  readonly idleTimeout?: number;
  /** Hears each peer refused before it was authenticated (log it rate-limited, keyed by the reason). */
  readonly onRefused?: (refusal: HandshakeRefusal) => void;
}

/** A listening link: what `listen` resolves to. */
export type LinkListener = FramedListener;

/**
 * How one server reaches another: connections that carry frames both ways (connect, send, close,
 * closed). Routing, deadlines, filters and proxies live above it in `rpc/`, so a second
 * implementation (NATS, for servers that cannot reach each other) changes none of them. Chosen at
 * start-up (`drivers.rpcLink`); every implementation passes `describeRpcLinkContract`.
 */
export interface RpcLink {
  /** Names the link in logs. */
  readonly name: string;
  /** Opens a connection to `target`; rejects when it cannot (refused, gone, timed out). */
  connect(target: LinkAddress, options: LinkConnectOptions, handlers: PayloadHandlers): Promise<FramedSocket>;
  /** Accepts connections for `self`; `onConnection` returns who receives each one's frames. */
  listen(
    self: LinkAddress,
    options: LinkListenOptions,
    onConnection: (socket: FramedSocket) => PayloadHandlers,
  ): Promise<LinkListener>;
  /** Releases what the link holds open (a NATS connection); called once, as the server stops. */
  close?(): void | Promise<void>;
}

/** The purpose RPC connections prove for (`handshake.ts`): `'rpc client'`, `'rpc server'`. */
export const RPC_PURPOSE = 'rpc';

/**
 * The embedded default: length-prefixed frames over one TCP connection per pair of servers, opened
 * by the mutual handshake of `handshake.ts`.
 */
export const tcpRpcLink: RpcLink = {
  name: 'tcp',
  connect(target, options, handlers) {
    return connectFramed({
      host: target.host,
      port: target.port ?? 0,
      timeout: options.connectTimeout,
      // one bound for the cluster's RPC frames: a call too large fails alone, before it is sent
      ...(options.maxFrameLength === undefined
        ? {}
        : { maxFrameLength: options.maxFrameLength, maxSendLength: options.maxFrameLength }),
      authenticate: {
        secret: secretOrDevelopment(options.secret),
        self: options.self ?? '',
        peer: target.id,
        purpose: RPC_PURPOSE,
      },
      ...handlers,
    });
  },
  listen(self, options, onConnection) {
    const { maxFrameLength, maxPendingBytes, handshakeTimeout, idleTimeout, onRefused } = options;
    return listenFramed({
      host: self.host,
      port: self.port ?? 0,
      // one bound for the cluster's RPC frames: a result too large is refused alone, not sent
      ...(maxFrameLength === undefined ? {} : { maxFrameLength, maxSendLength: maxFrameLength }),
      ...(maxPendingBytes === undefined ? {} : { maxPendingBytes }),
      authenticate: {
        secret: secretOrDevelopment(options.secret),
        self: self.id,
        purpose: RPC_PURPOSE,
        ...(handshakeTimeout === undefined ? {} : { handshakeTimeout }),
        ...(idleTimeout === undefined ? {} : { idleTimeout }),
        ...(onRefused === undefined ? {} : { onRefused }),
      },
      onConnection,
    });
  },
};
