import { createServer, type Socket } from 'node:net';
import { type FramedSocket, NodeFramedSocket, type SocketHandlers } from './framed-socket.js';
import { authenticatePeer, type ServerAuthentication } from './handshake.js';

/** Where to listen, and what to do with each connection. */
export interface ListenFramedOptions {
  host: string;
  /** The port; 0 picks a free one (read it from {@link FramedListener.port}). */
  port: number;
  /** The largest payload accepted from a peer, in bytes (default 64 MiB). */
  maxFrameLength?: number;
  /** Bytes queued for one peer that does not read them, past which it is cut (default: no bound). */
  maxPendingBytes?: number;
  /** The largest payload sent to a peer: a larger frame throws from `send` (default: no bound). */
  maxSendLength?: number;
  /**
   * Every peer proves it belongs to the cluster before anything else is read (see `handshake.ts`):
   * `onConnection` runs only for those that did. Absent: no handshake.
   */
  authenticate?: ServerAuthentication;
  /** Called once per accepted (and, with `authenticate`, authenticated) connection; returns who receives its messages. */
  onConnection(socket: FramedSocket): SocketHandlers;
}

/** A listening framed server. */
export interface FramedListener {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting, ends every open socket (destroying those still open after a grace), resolves when all are gone. */
  close(): Promise<void>;
  /** The sockets now open. */
  readonly sockets: ReadonlySet<FramedSocket>;
}

// How long close() lets peers finish their half of the goodbye before cutting them.
const CLOSE_GRACE_MS = 1_000;

/**
 * Listens for framed connections. Rejects with the listen error (such as `EADDRINUSE`).
 *
 * @example
 * const listener = await listenFramed({ host: '127.0.0.1', port: 0, onConnection: (socket) => ({
 *   onMessage: (message) => socket.send(message),
 * }) });
 */
export function listenFramed(options: ListenFramedOptions): Promise<FramedListener> {
  const { host, port, maxFrameLength, maxPendingBytes, maxSendLength, authenticate, onConnection } = options;
  const sockets = new Set<FramedSocket>();
  const server = createServer({ noDelay: true }, (raw: Socket) => {
    const socket = new NodeFramedSocket(raw, maxFrameLength, maxPendingBytes, maxSendLength);
    sockets.add(socket);
    const forget = (): void => {
      sockets.delete(socket);
    };
    const accepted = (): SocketHandlers => {
      let handlers: SocketHandlers;
      try {
        handlers = onConnection(socket);
      } catch (error) {
        socket.destroy(error instanceof Error ? error : new Error(String(error)));
        handlers = { onMessage: () => {} };
      }
      return withCloseHook(handlers, forget);
    };
    if (authenticate === undefined) socket.attach(accepted());
    else authenticatePeer(raw, socket, authenticate, accepted, forget);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({ port: bound, sockets, close: () => closeServer(server, sockets) });
    });
  });
}

/** The same handlers, with `forget` run before their `onClose` (the one wrapper on the frame path). */
function withCloseHook(handlers: SocketHandlers, forget: () => void): SocketHandlers {
  const onClose = (error: Error | undefined): void => {
    forget();
    handlers.onClose?.(error);
  };
  if ('onPayload' in handlers) {
    return { onPayload: (source, start, end) => handlers.onPayload(source, start, end), onClose };
  }
  return { onMessage: (message) => handlers.onMessage(message), onClose };
}

async function closeServer(
  server: ReturnType<typeof createServer>,
  sockets: Set<FramedSocket>,
): Promise<void> {
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  const open = [...sockets];
  for (const socket of open) socket.close();
  const grace = setTimeout(() => {
    for (const socket of open) socket.destroy();
  }, CLOSE_GRACE_MS);
  grace.unref();
  await Promise.all(open.map((socket) => socket.closed));
  clearTimeout(grace);
  await stopped;
}
