import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { encodeFrame } from './frame-codec.js';
import { NodeFramedSocket } from './framed-socket.js';
import { connectFramed, type FramedListener, type FramedSocket, listenFramed } from './index.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoListener(maxFrameLength?: number): Promise<FramedListener> {
  const listener = await listenFramed({
    host: '127.0.0.1',
    port: 0,
    ...(maxFrameLength === undefined ? {} : { maxFrameLength }),
    onConnection: (socket) => ({ onMessage: (message) => socket.send(message) }),
  });
  cleanups.push(() => listener.close());
  return listener;
}

/** A plain TCP server that records what arrives, 'data' event by 'data' event. */
async function rawServer(): Promise<{ port: number; chunks: Buffer[]; sockets: Socket[]; server: Server }> {
  const chunks: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk) => chunks.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, chunks, sockets, server };
}

function collect(): {
  messages: unknown[];
  next: (count: number) => Promise<unknown[]>;
  onMessage: (m: unknown) => void;
} {
  const messages: unknown[] = [];
  let waiter: { count: number; resolve: (messages: unknown[]) => void } | undefined;
  return {
    messages,
    onMessage: (message) => {
      messages.push(message);
      if (waiter && messages.length >= waiter.count) waiter.resolve(messages);
    },
    next: (count) =>
      new Promise((resolve) => {
        if (messages.length >= count) resolve(messages);
        else waiter = { count, resolve };
      }),
  };
}

describe('framed sockets over TCP', () => {
  it('round-trips messages and reports the peer', async () => {
    const listener = await echoListener();
    const inbox = collect();
    const socket = await connectFramed({
      host: '127.0.0.1',
      port: listener.port,
      onMessage: inbox.onMessage,
    });
    cleanups.push(() => socket.destroy());
    socket.send({ route: 'chat.send', args: ['hi', 1, true, null], bytes: new Uint8Array([1, 2, 3]) });
    socket.send('second');
    const [first, second] = await inbox.next(2);
    // binary comes back as a Buffer (a Uint8Array) viewing the received bytes
    expect(first).toEqual({ route: 'chat.send', args: ['hi', 1, true, null], bytes: Buffer.from([1, 2, 3]) });
    expect(second).toBe('second');
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect(listener.sockets.size).toBe(1);
  });

  it('sends every frame of one turn in a single write', async () => {
    const raw = await rawServer();
    const socket = await connectFramed({ host: '127.0.0.1', port: raw.port, onMessage: () => {} });
    cleanups.push(() => socket.destroy());
    const sent = Array.from({ length: 100 }, (_, index) => ({ index }));
    for (const message of sent) socket.send(message);
    await Promise.resolve().then(() => socket.send({ index: 100 }));
    expect(socket.bufferedAmount).toBeGreaterThan(0);
    const expected = Buffer.concat([...sent, { index: 100 }].map((message) => encodeFrame(message)));
    while (Buffer.concat(raw.chunks).length < expected.length)
      await new Promise((resolve) => setImmediate(resolve));
    expect(raw.chunks).toHaveLength(1);
    expect(raw.chunks[0]).toEqual(expected);
  });

  it('makes exactly one socket.write per turn; a large turn goes through cork/uncork', async () => {
    const raw = await rawServer();
    const inner = tcpConnect(raw.port, '127.0.0.1');
    cleanups.push(() => inner.destroy());
    await new Promise((resolve) => inner.once('connect', resolve));
    const writes: number[] = [];
    const write = inner.write.bind(inner);
    inner.write = ((chunk: Buffer) => {
      writes.push(chunk.length);
      return write(chunk);
    }) as typeof inner.write;
    let corks = 0;
    const cork = inner.cork.bind(inner);
    inner.cork = () => {
      corks++;
      cork();
    };
    const framed = new NodeFramedSocket(inner);
    framed.attach({ onMessage: () => {} });
    for (let index = 0; index < 10; index++) framed.send({ index });
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    expect(corks).toBe(0);
    framed.send('x'.repeat(300 * 1024));
    framed.send('tail');
    await new Promise((resolve) => setImmediate(resolve));
    // above the join limit: no copy; two write calls inside one cork, so one writev to the kernel
    expect(writes).toHaveLength(3);
    expect(corks).toBe(1);
  });

  it('destroys a socket that announces an oversize frame, with a clear error', async () => {
    const closed: (Error | undefined)[] = [];
    const listener = await listenFramed({
      host: '127.0.0.1',
      port: 0,
      maxFrameLength: 1024,
      onConnection: () => ({ onMessage: () => {}, onClose: (error) => closed.push(error) }),
    });
    cleanups.push(() => listener.close());
    const socket = await connectFramed({ host: '127.0.0.1', port: listener.port, onMessage: () => {} });
    socket.send('x'.repeat(2000));
    expect(await socket.closed).toBeUndefined();
    await expect.poll(() => closed.length).toBe(1);
    expect(closed[0]).toMatchObject({
      code: ErrorCode.RpcProtocol,
      message: expect.stringMatching(/exceeds/),
    });
  });

  it('destroys a socket that sends garbage and leaves the others alone', async () => {
    const errors: (Error | undefined)[] = [];
    const listener = await listenFramed({
      host: '127.0.0.1',
      port: 0,
      onConnection: (socket) => ({
        onMessage: (message) => socket.send(message),
        onClose: (e) => errors.push(e),
      }),
    });
    cleanups.push(() => listener.close());
    const inbox = collect();
    const good = await connectFramed({ host: '127.0.0.1', port: listener.port, onMessage: inbox.onMessage });
    cleanups.push(() => good.destroy());
    const bad = tcpConnect(listener.port, '127.0.0.1');
    bad.on('error', () => {});
    await new Promise((resolve) => bad.once('connect', resolve));
    bad.write(Buffer.from('00000003c1c1c1', 'hex'));
    await new Promise((resolve) => bad.once('close', resolve));
    expect(errors[0]).toMatchObject({
      code: ErrorCode.RpcProtocol,
      message: expect.stringMatching(/undecodable/),
    });
    good.send('still here');
    expect(await inbox.next(1)).toEqual(['still here']);
  });

  it('close() sends what is pending, then ends; closed settles on both sides', async () => {
    const inbox = collect();
    let serverSide: FramedSocket | undefined;
    const listener = await listenFramed({
      host: '127.0.0.1',
      port: 0,
      onConnection: (socket) => {
        serverSide = socket;
        return { onMessage: inbox.onMessage };
      },
    });
    cleanups.push(() => listener.close());
    const socket = await connectFramed({ host: '127.0.0.1', port: listener.port, onMessage: () => {} });
    socket.send(1);
    socket.send(2);
    socket.close();
    socket.send(3);
    expect(await socket.closed).toBeUndefined();
    expect(await serverSide?.closed).toBeUndefined();
    expect(inbox.messages).toEqual([1, 2]);
    expect(listener.sockets.size).toBe(0);
  });

  it('destroy(error) settles closed with that error and calls onClose', async () => {
    const listener = await echoListener();
    const seen: (Error | undefined)[] = [];
    const socket = await connectFramed({
      host: '127.0.0.1',
      port: listener.port,
      onMessage: () => {},
      onClose: (error) => seen.push(error),
    });
    const reason = new Error('going away');
    socket.destroy(reason);
    expect(await socket.closed).toBe(reason);
    expect(seen).toEqual([reason]);
  });

  it('a throwing onMessage destroys only that socket', async () => {
    const listener = await echoListener();
    const socket = await connectFramed({
      host: '127.0.0.1',
      port: listener.port,
      onMessage: () => {
        throw new Error('handler bug');
      },
    });
    socket.send('boom');
    expect((await socket.closed)?.message).toBe('handler bug');
  });

  it('rejects the connect with its error', async () => {
    const raw = await rawServer();
    const port = raw.port;
    await new Promise((resolve) => raw.server.close(resolve));
    await expect(connectFramed({ host: '127.0.0.1', port, onMessage: () => {} })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('listener.close() ends open sockets and resolves', async () => {
    const listener = await listenFramed({
      host: '127.0.0.1',
      port: 0,
      onConnection: () => ({ onMessage: () => {} }),
    });
    const socket = await connectFramed({ host: '127.0.0.1', port: listener.port, onMessage: () => {} });
    await expect.poll(() => listener.sockets.size).toBe(1);
    await listener.close();
    expect(await socket.closed).toBeUndefined();
    expect(listener.sockets.size).toBe(0);
  });
});
