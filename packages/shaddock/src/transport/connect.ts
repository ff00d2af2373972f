import { connect } from 'node:net';
import { type FramedSocket, NodeFramedSocket, type SocketHandlers } from './framed-socket.js';

/** Where to connect. */
export interface ConnectFramedAddress {
  host: string;
  port: number;
  /** Milliseconds allowed for the TCP connect (default 10 000). */
  timeout?: number;
  /** The largest payload accepted from the peer, in bytes (default 64 MiB). */
  maxFrameLength?: number;
}

/** Where to connect, and who receives the messages. */
export type ConnectFramedOptions = ConnectFramedAddress & SocketHandlers;

/**
 * Opens a framed connection. Rejects with the connect error (or a timeout error).
 *
 * @example
 * const socket = await connectFramed({ host: '127.0.0.1', port, onMessage: (message) => console.log(message) });
 * socket.send({ hello: 'world' });
 */
export function connectFramed(options: ConnectFramedOptions): Promise<FramedSocket> {
  const { host, port, timeout = 10_000, maxFrameLength } = options;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy(new Error(`connect to ${host}:${port} timed out after ${timeout} ms`));
    }, timeout);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      const framed = new NodeFramedSocket(socket, maxFrameLength);
      framed.attach(options);
      resolve(framed);
    });
  });
}
