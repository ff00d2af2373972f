/**
 * Smoke test of the real-Pinus fixture, WITHOUT @shaddock/client: the Pomelo protocol is spoken by
 * hand with pinus-protocol (and pinus-protobuf for the protobuf route), over WebSocket and raw TCP.
 */
import net from 'node:net';
import {
  decodePinusPackages,
  Message,
  Package,
  type ParsedProtos,
  type PinusMessage,
  type PinusPackage,
  Protobuf,
  splitPackages,
} from '@shaddock/test-support';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { type PinusServer, startPinusServer } from './pinus-server.js';

interface HandshakeResponse {
  code: number;
  sys?: {
    heartbeat?: number;
    useDict?: boolean;
    dict?: Record<string, number>;
    dictVersion?: string;
    useProto?: boolean;
    protos?: { server: ParsedProtos; client: ParsedProtos; version: string };
  };
}

/** A connection that yields whole Pomelo packages, over WebSocket or raw TCP. */
interface RawConnection {
  send(data: Buffer): void;
  /** The next package from the server; rejects when the connection closed first. */
  next(): Promise<PinusPackage>;
  readonly closed: Promise<void>;
  close(): void;
}

class PackageQueue {
  private readonly packages: PinusPackage[] = [];
  private readonly waiters: Array<{ resolve(pkg: PinusPackage): void; reject(err: Error): void }> = [];
  private ended = false;

  push(pkg: PinusPackage): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(pkg);
    else this.packages.push(pkg);
  }

  end(): void {
    this.ended = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('connection closed'));
  }

  next(): Promise<PinusPackage> {
    const pkg = this.packages.shift();
    if (pkg) return Promise.resolve(pkg);
    if (this.ended) return Promise.reject(new Error('connection closed'));
    return new Promise<PinusPackage>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

async function connectWebSocket(server: PinusServer): Promise<RawConnection> {
  const ws = new WebSocket(`ws://${server.host}:${server.port}`);
  ws.binaryType = 'nodebuffer';
  const queue = new PackageQueue();
  ws.on('message', (data: Buffer) => {
    for (const pkg of decodePinusPackages(data)) queue.push(pkg);
  });
  const closed = new Promise<void>((resolve) => {
    ws.once('close', () => {
      queue.end();
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    send: (data) => ws.send(data, { binary: true }),
    next: () => queue.next(),
    closed,
    close: () => ws.terminate(),
  };
}

async function connectTcp(server: PinusServer): Promise<RawConnection> {
  const socket = net.connect({ host: server.host, port: server.port });
  const queue = new PackageQueue();
  socket.on(
    'data',
    splitPackages((bytes) => {
      for (const pkg of decodePinusPackages(bytes)) queue.push(pkg);
    }),
  );
  socket.on('error', () => {
    // reported through 'close'
  });
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      queue.end();
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return {
    send: (data) => socket.write(data),
    next: () => queue.next(),
    closed,
    close: () => socket.destroy(),
  };
}

async function handshake(conn: RawConnection, type: string): Promise<HandshakeResponse> {
  const request = { sys: { type, version: '0.0.1' }, user: {} };
  conn.send(Package.encode(Package.TYPE_HANDSHAKE, Buffer.from(JSON.stringify(request))));
  const pkg = await conn.next();
  expect(pkg.type).toBe(Package.TYPE_HANDSHAKE);
  return JSON.parse(String(pkg.body)) as HandshakeResponse;
}

/** The next DATA package, decoded as a message (heartbeats in between are skipped). */
async function nextMessage(conn: RawConnection): Promise<PinusMessage> {
  for (;;) {
    const pkg = await conn.next();
    if (pkg.type === Package.TYPE_HEARTBEAT) continue;
    expect(pkg.type).toBe(Package.TYPE_DATA);
    if (!pkg.body) throw new Error('DATA package without body');
    return Message.decode(pkg.body);
  }
}

function sendJson(conn: RawConnection, id: number, route: number | string, body: unknown): void {
  const type = id === 0 ? Message.TYPE_NOTIFY : Message.TYPE_REQUEST;
  const message = Message.encode(
    id,
    type,
    typeof route === 'number',
    route,
    Buffer.from(JSON.stringify(body)),
  );
  conn.send(Package.encode(Package.TYPE_DATA, message));
}

function json(message: PinusMessage): unknown {
  return JSON.parse(message.body.toString('utf8'));
}

function isProcessGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const ECHO = 'connector.entryHandler.echo';
const PROTO = 'connector.entryHandler.proto';

describe('real Pinus server fixture', () => {
  test('serves WebSocket and TCP clients, then cleans up after itself', { timeout: 60_000 }, async () => {
    const server = await startPinusServer({ heartbeatSeconds: 30 });
    const { pids, port } = server;
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(pids).toHaveLength(2);

      // ---- WebSocket ----
      const ws = await connectWebSocket(server);
      try {
        const hs = await handshake(ws, 'js-websocket');
        expect(hs.code).toBe(200);
        const sys = hs.sys;
        if (!sys?.dict || !sys.protos) throw new Error(`unexpected handshake: ${JSON.stringify(hs)}`);
        expect(sys.heartbeat).toBe(30);
        expect(sys.useDict).toBe(true);
        expect(sys.useProto).toBe(true);
        expect(sys.dict).toMatchObject({ [ECHO]: expect.any(Number), onPush: expect.any(Number) });
        expect(sys.dict).toHaveProperty(['onProtoPush']);
        expect(sys.protos.client).toHaveProperty([PROTO]);
        expect(sys.protos.server).toHaveProperty([PROTO]);
        expect(sys.protos.server).toHaveProperty(['onProtoPush']);
        const dict = sys.dict;
        const code = (route: string): number => {
          const value = dict[route];
          if (value === undefined) throw new Error(`no dictionary code for ${route}`);
          return value;
        };

        ws.send(Package.encode(Package.TYPE_HANDSHAKE_ACK));
        // Pinus answers the ACK with a heartbeat right away.
        expect((await ws.next()).type).toBe(Package.TYPE_HEARTBEAT);

        // request by route string
        sendJson(ws, 1, ECHO, { hello: 'world', n: [1, 2] });
        let message = await nextMessage(ws);
        expect(message).toMatchObject({ id: 1, type: Message.TYPE_RESPONSE });
        expect(json(message)).toEqual({ hello: 'world', n: [1, 2] });

        // request by dictionary code
        sendJson(ws, 2, code(ECHO), { compressed: true });
        message = await nextMessage(ws);
        expect(message.id).toBe(2);
        expect(json(message)).toEqual({ compressed: true });

        // protobuf both ways
        const protobuf = new Protobuf({ encoderProtos: sys.protos.client, decoderProtos: sys.protos.server });
        const request = {
          id: 7,
          name: 'ünï',
          delta: -3,
          ratio: 0.25,
          f: 1.5,
          nums: [1, 2, 300],
          tags: ['a', 'b'],
          pos: { x: 5, y: -6 },
          path: [
            { x: 1, y: 1 },
            { x: -1, y: 0 },
          ],
        };
        const encoded = protobuf.encode(PROTO, request);
        if (!encoded) throw new Error('protobuf encode failed');
        ws.send(
          Package.encode(
            Package.TYPE_DATA,
            Message.encode(3, Message.TYPE_REQUEST, true, code(PROTO), encoded),
          ),
        );
        message = await nextMessage(ws);
        expect(message.id).toBe(3);
        expect(protobuf.decode(PROTO, message.body)).toEqual({
          code: 200,
          id: 7,
          name: 'ünï',
          delta: 3,
          ratio: 0.5,
          f: 1.5,
          sum: 303,
          nums: [2, 4, 600],
          tags: ['b', 'a'],
          pos: { x: -5, y: 6, label: '5,-6' },
          path: [
            { x: 2, y: 2 },
            { x: 0, y: 1 },
          ],
        });

        // pushes (compressed routes), sent before the response
        sendJson(ws, 4, ECHO.replace('echo', 'pushMe'), { n: 5, proto: true });
        message = await nextMessage(ws);
        expect(message).toMatchObject({ type: Message.TYPE_PUSH, compressRoute: 1, route: code('onPush') });
        expect(json(message)).toEqual({ n: 5 });
        message = await nextMessage(ws);
        expect(message).toMatchObject({ type: Message.TYPE_PUSH, route: code('onProtoPush') });
        expect(protobuf.decode('onProtoPush', message.body)).toEqual({
          n: 5,
          text: 'push 5',
          items: [
            { x: 1, y: 2 },
            { x: -3, y: 4 },
          ],
          values: [5, 6, 7],
        });
        message = await nextMessage(ws);
        expect(message).toMatchObject({ id: 4, type: Message.TYPE_RESPONSE });
        expect(json(message)).toEqual({ ok: true });

        // notify -> push, no response
        sendJson(ws, 0, 'connector.entryHandler.notifyMe', { x: 'hi' });
        message = await nextMessage(ws);
        expect(message).toMatchObject({ type: Message.TYPE_PUSH, route: code('onPush') });
        expect(json(message)).toEqual({ fromNotify: 'hi' });

        // a handler that throws -> {"code":500}
        sendJson(ws, 5, 'connector.entryHandler.fail', {});
        message = await nextMessage(ws);
        expect(message).toMatchObject({ id: 5, type: Message.TYPE_RESPONSE });
        expect(json(message)).toEqual({ code: 500 });

        // kick: KICK package with the reason, then the server closes the connection
        sendJson(ws, 6, 'connector.entryHandler.kickMe', {});
        let pkg = await ws.next();
        while (pkg.type === Package.TYPE_HEARTBEAT) pkg = await ws.next();
        expect(pkg.type).toBe(Package.TYPE_KICK);
        expect(JSON.parse(String(pkg.body))).toEqual({ reason: 'bye' });
        await ws.closed;
      } finally {
        ws.close();
      }

      // ---- raw TCP on the same port ----
      const tcp = await connectTcp(server);
      try {
        const hs = await handshake(tcp, 'js-tcp');
        expect(hs.code).toBe(200);
        expect(hs.sys?.dict?.[ECHO]).toEqual(expect.any(Number));
        tcp.send(Package.encode(Package.TYPE_HANDSHAKE_ACK));
        sendJson(tcp, 1, ECHO, { over: 'tcp' });
        const message = await nextMessage(tcp);
        expect(message.id).toBe(1);
        expect(json(message)).toEqual({ over: 'tcp' });
      } finally {
        tcp.close();
      }
    } finally {
      await server.stop();
    }

    for (const pid of pids) expect(isProcessGroupAlive(pid)).toBe(false);
    expect(await accepts(port)).toBe(false);
    await server.stop(); // idempotent
  });

  test('heartbeat: answered at once, and a silent client is dropped', { timeout: 60_000 }, async () => {
    await using server = await startPinusServer({ heartbeatSeconds: 1 });
    const tcp = await connectTcp(server);
    try {
      const hs = await handshake(tcp, 'js-tcp');
      expect(hs.sys?.heartbeat).toBe(1);
      tcp.send(Package.encode(Package.TYPE_HANDSHAKE_ACK));
      expect((await tcp.next()).type).toBe(Package.TYPE_HEARTBEAT);
      tcp.send(Package.encode(Package.TYPE_HEARTBEAT));
      expect((await tcp.next()).type).toBe(Package.TYPE_HEARTBEAT);
      // no more heartbeats from us: the server closes the connection (no KICK package first)
      await expect(tcp.next()).rejects.toThrow('connection closed');
    } finally {
      tcp.close();
    }
  });

  test('heartbeatSeconds 0: the handshake carries no heartbeat', { timeout: 60_000 }, async () => {
    const server = await startPinusServer({ heartbeatSeconds: 0 });
    try {
      const ws = await connectWebSocket(server);
      try {
        const hs = await handshake(ws, 'js-websocket');
        expect(hs.code).toBe(200);
        expect(hs.sys).not.toHaveProperty('heartbeat');
      } finally {
        ws.close();
      }
    } finally {
      await server.stop();
    }
  });
});
