// What an attacker does on a socket, for the security tests of the framework and of the examples:
// a slowloris trickle, a socket that says nothing, a recording man in the middle, a WebSocket
// upgrade by hand, JSON nested past any parser's comfort. Plain `node:net`, no framework code.
import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** A WebSocket upgrade request, as a browser sends it. */
export function upgradeRequest(headers: Record<string, string> = {}): Buffer {
  return Buffer.from(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      '\r\n',
  );
}

/** JSON nested `depth` objects deep, as text (JSON.stringify would overflow the stack first). */
export function deepJson(depth: number): Buffer {
  return Buffer.from(`${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`);
}

/** A socket that writes `bytes` one byte every `everyMs`: what a slowloris does. */
export interface Trickle {
  readonly socket: net.Socket;
  /** Bytes sent so far. */
  readonly sent: () => number;
  /** Everything the server wrote. */
  readonly received: () => Buffer;
  /** Resolves once the socket is closed. */
  readonly closed: Promise<void>;
}

/** Opens a socket to `port` that trickles `bytes`, one every `everyMs`, until they are all sent or the socket closes. */
export function trickle(port: number, bytes: Uint8Array, everyMs: number, host = '127.0.0.1'): Trickle {
  const socket = net.connect({ port, host });
  socket.on('error', () => {});
  let index = 0;
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const timer = setInterval(() => {
    if (index < bytes.length && !socket.destroyed) socket.write(bytes.subarray(index, ++index));
  }, everyMs);
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve();
    }),
  );
  return { socket, sent: () => index, received: () => Buffer.concat(chunks), closed };
}

/** Resolves once `socket` is connected (the server may not have accepted it yet). */
export function connected(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!socket.connecting) resolve();
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
}

/** A socket that connects and says nothing; resolves with it once connected. */
export async function silent(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ port, host });
  socket.on('error', () => {});
  await connected(socket);
  return socket;
}

/** Resolves, once `socket` is closed, with every byte the server wrote on it (none: closed unanswered). */
export function closedUnanswered(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(Buffer.concat(chunks));
    socket.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** A TCP proxy on 127.0.0.1 in front of `port` that records every byte its clients send through it. */
export interface RecordingProxy {
  readonly port: number;
  /** Everything clients sent so far, in order. */
  recorded(): Buffer;
  close(): Promise<void>;
}

/** Starts a {@link RecordingProxy} to `port` on 127.0.0.1. */
export async function recordingProxy(port: number): Promise<RecordingProxy> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    recorded: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/**
 * Writes `piece` on `socket` until `bytes` are queued, without waiting for the server, and samples
 * how much of it this side still holds unsent: a server that reads drains it in a few hundred ms
 * on loopback; one that stopped reading leaves nearly all of it here when it drops the socket.
 * Resolves, once the socket is closed, with the bytes held at the last sample before.
 */
export function flood(socket: net.Socket, piece: Buffer, bytes: number): Promise<number> {
  for (let sent = 0; sent < bytes; sent += piece.length) socket.write(piece);
  let held = socket.writableLength;
  const sampler = setInterval(() => {
    held = socket.writableLength;
  }, 10);
  return new Promise((resolve) => {
    const done = (): void => {
      clearInterval(sampler);
      resolve(held);
    };
    if (socket.destroyed) done();
    else socket.once('close', done);
  });
}
