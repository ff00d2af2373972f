import { connectFramed } from './connect.js';
import type { FramedSocket, PayloadHandlers } from './framed-socket.js';
import { type FramedListener, listenFramed } from './listen.js';

/** Where a link reaches a server: its id, and its address for links that use one. */
export interface LinkAddress {
  readonly id: string;
  readonly host: string;
  /** The RPC port (TCP). */
  readonly port?: number;
}

/** How a link opens a connection. */
export interface LinkConnectOptions {
  /** Milliseconds allowed to open it. */
  readonly connectTimeout: number;
  /** The largest frame accepted from the peer, in bytes (default 64 MiB). */
  readonly maxFrameLength?: number;
}

/** How a link listens. */
export interface LinkListenOptions {
  /** The largest frame accepted from a peer, in bytes (default 64 MiB). */
  readonly maxFrameLength?: number;
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

/** The embedded default: length-prefixed frames over one TCP connection per pair of servers. */
export const tcpRpcLink: RpcLink = {
  name: 'tcp',
  connect(target, options, handlers) {
    return connectFramed({
      host: target.host,
      port: target.port ?? 0,
      timeout: options.connectTimeout,
      ...(options.maxFrameLength === undefined ? {} : { maxFrameLength: options.maxFrameLength }),
      ...handlers,
    });
  },
  listen(self, options, onConnection) {
    return listenFramed({
      host: self.host,
      port: self.port ?? 0,
      ...(options.maxFrameLength === undefined ? {} : { maxFrameLength: options.maxFrameLength }),
      onConnection,
    });
  },
};
