import { connect } from 'node:net';
import { type FramedSocket, NodeFramedSocket, type SocketHandlers } from './framed-socket.js';
import { authenticateServer, type ClientAuthentication } from './handshake.js';

/** Where to connect. */
export interface ConnectFramedAddress {
  host: string;
  port: number;
  /** Milliseconds allowed for the TCP connect, and the handshake if any (default 10 000). */
  timeout?: number;
  /** The largest payload accepted from the peer, in bytes (default 64 MiB). */
  maxFrameLength?: number;
  /** The largest payload sent to the peer: a larger frame throws from `send` (default: no bound). */
  maxSendLength?: number;
  /**
   * Proves this process belongs to the cluster and requires the server to prove it too, before the
   * promise resolves (see `handshake.ts`). Absent: no handshake.
   */
  authenticate?: ClientAuthentication;
}

/** Where to connect, and who receives the messages. */
export type ConnectFramedOptions = ConnectFramedAddress & SocketHandlers;

/**
 * Opens a framed connection. Rejects with the connect error, a timeout error, or (with
 * `authenticate`) the handshake's failure; the handlers hear nothing before it resolves.
 *
 * @example
 * const socket = await connectFramed({ host: '127.0.0.1', port, onMessage: (message) => console.log(message) });
 * socket.send({ hello: 'world' });
 */
export function connectFramed(options: ConnectFramedOptions): Promise<FramedSocket> {
  const { host, port, timeout = 10_000, maxFrameLength, maxSendLength, authenticate } = options;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      const what = authenticate === undefined ? 'connect' : 'connect and handshake';
      socket.destroy(new Error(`${what} to ${host}:${port} timed out after ${timeout} ms`));
    }, timeout);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      const framed = new NodeFramedSocket(socket, maxFrameLength, undefined, maxSendLength);
      if (authenticate === undefined) {
        clearTimeout(timer);
        socket.off('error', fail);
        framed.attach(options);
        resolve(framed);
        return;
      }
      authenticateServer(framed, authenticate).then(
        () => {
          clearTimeout(timer);
          socket.off('error', fail);
          resolve(framed);
          // after the caller's continuation: it has the socket before any frame reaches it
          setImmediate(() => framed.release(options));
        },
        (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
      );
    });
  });
}
