// The connector's own WebSocket server (no `ws` on the server side): the upgrade, frame errors
// and their close codes, control frames, fragmented messages and shared push frames, seen from
// raw sockets that speak RFC 6455 by hand, with real `ws` clients as bystanders.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import type { JsonObject } from '@shaddock/protocol';
import {
  BINARY,
  CLOSE,
  type ClientFrameOptions,
  CONTINUATION,
  clientFrame,
  closeBody,
  PING,
  PONG,
  readServerFrame,
  type ServerFrame,
  TEXT,
} from '@shaddock/test-support';
import { describe, expect, it } from 'vitest';
import type { ConnectorConfig } from '../src/connector/index.js';
import { encodeBinaryFrame } from '../src/connector/websocket-frames.js';
import {
  closeReasons,
  type DataMessage,
  decodeData,
  ECHO,
  eventually,
  type Harness,
  type HarnessOptions,
  Message,
  Package,
  pause,
  RawClient,
  type RawPackage,
  requestPackage,
  sessionsOf,
  withConnector,
} from './connector-harness.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A client frame as a browser sends it: a fresh random mask key for every frame, unless `options.mask` is given. */
function browserFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: ClientFrameOptions = {},
): Buffer {
  return clientFrame(opcode, payload, { mask: randomBytes(4), ...options });
}

/** Header overrides; `undefined` leaves a default header out. */
type HeaderOverrides = Readonly<Record<string, string | undefined>>;

interface UpgradeOptions {
  readonly headers?: HeaderOverrides;
  /** Bytes sent in the same write as the request. */
  readonly after?: Buffer;
  /** Keep the client's side open after the server's FIN (a client that never closes its TCP side). */
  readonly halfOpen?: boolean;
}

/** A WebSocket client on a raw socket: the HTTP upgrade by hand, then frames in both directions. */
class RawWebSocket {
  readonly socket: net.Socket;
  readonly key: string;
  status = 0;
  statusLine = '';
  readonly headers: Record<string, string> = {};
  /** What followed a response that was not 101. */
  body = '';
  /** Control frames from the server (close, pong), in order, not taken yet. */
  readonly controls: ServerFrame[] = [];
  /** Every binary frame from the server, as it came. */
  readonly binaryFrames: ServerFrame[] = [];
  readonly #packages: RawPackage[] = [];
  #pending = Buffer.alloc(0);
  #upgraded = false;
  #waiters: Array<() => void> = [];
  isClosed = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket, key: string) {
    this.socket = socket;
    this.key = key;
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.#wake();
        resolve();
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      this.#read();
      this.#wake();
    });
  }

  /** Connects and sends `request` as it is; resolves once the response head is in (or the socket closes). */
  static async request(
    port: number,
    request: Buffer | string | readonly Buffer[],
    key = '',
    allowHalfOpen = false,
  ): Promise<RawWebSocket> {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen, noDelay: true });
    socket.on('error', () => {});
    const client = new RawWebSocket(socket, key);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    if (typeof request === 'string' || Buffer.isBuffer(request)) {
      socket.write(request);
    } else {
      // Piece by piece, each in its own segment.
      for (const piece of request) {
        socket.write(piece);
        await pause(2);
      }
    }
    await client.#until(() => client.status !== 0 || client.isClosed);
    return client;
  }

  /** Sends an upgrade request (valid unless `options` change it). */
  static upgrade(port: number, options: UpgradeOptions = {}): Promise<RawWebSocket> {
    const key = randomBytes(16).toString('base64');
    const headers: Record<string, string | undefined> = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
      ...options.headers,
    };
    const lines = Object.entries(headers)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const request = Buffer.from(`GET / HTTP/1.1\r\n${lines}\r\n`);
    const bytes = Buffer.concat([request, options.after ?? Buffer.alloc(0)]);
    return RawWebSocket.request(port, bytes, key, options.halfOpen ?? false);
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendFrame(opcode: number, payload: Uint8Array | string, options?: ClientFrameOptions): void {
    this.send(browserFrame(opcode, payload, options));
  }

  /** Pomelo handshake and ACK, then one echo: the session exists once this resolves. */
  async open(): Promise<void> {
    const request = { sys: { type: 'js-websocket', version: '0.0.1' }, user: {} };
    this.sendFrame(BINARY, Package.encode(Package.TYPE_HANDSHAKE, Buffer.from(JSON.stringify(request))));
    const response = await this.nextPackage(Package.TYPE_HANDSHAKE);
    expect(JSON.parse(response.body.toString())).toMatchObject({ code: 200 });
    this.sendFrame(BINARY, Package.encode(Package.TYPE_HANDSHAKE_ACK));
    expect(await this.request(1, { opened: true })).toEqual({ opened: true });
  }

  /** An echo request in one frame; resolves with the answer's body. */
  async request(id: number, body: JsonObject): Promise<JsonObject> {
    this.sendFrame(BINARY, requestPackage(id, ECHO, body));
    const answer = await this.nextData();
    expect(answer.id).toBe(id);
    return answer.body;
  }

  /** The next control frame (of `opcode` when given); rejects when the socket closes first. */
  async nextControl(opcode?: number): Promise<ServerFrame> {
    for (;;) {
      const index = this.controls.findIndex((frame) => opcode === undefined || frame.opcode === opcode);
      if (index >= 0) return this.controls.splice(index, 1)[0] as ServerFrame;
      if (this.isClosed) throw new Error(`closed while waiting for a frame with opcode ${opcode}`);
      await this.#wait();
    }
  }

  /** The server's close frame's status code (undefined: no body), once the socket is closed. */
  async closeCode(): Promise<number | undefined> {
    const frame = await this.nextControl(CLOSE);
    await this.closed;
    return frame.payload.length === 0 ? undefined : frame.payload.readUInt16BE(0);
  }

  async nextPackage(type: number): Promise<RawPackage> {
    for (;;) {
      const index = this.#packages.findIndex((pkg) => pkg.type === type);
      if (index >= 0) return this.#packages.splice(index, 1)[0] as RawPackage;
      if (this.isClosed) throw new Error(`closed while waiting for a package of type ${type}`);
      await this.#wait();
    }
  }

  /** The next DATA package, decoded. */
  async nextData(): Promise<DataMessage> {
    return decodeData(await this.nextPackage(Package.TYPE_DATA));
  }

  get packages(): readonly RawPackage[] {
    return this.#packages;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #read(): void {
    if (!this.#upgraded) {
      const end = this.#pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = this.#pending.subarray(0, end).toString('latin1').split('\r\n');
      this.statusLine = statusLine;
      this.status = Number(statusLine.split(' ')[1]);
      for (const line of lines) {
        const colon = line.indexOf(':');
        this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      this.#pending = this.#pending.subarray(end + 4);
      this.#upgraded = true;
    }
    if (this.status !== 101) {
      this.body += this.#pending.toString('latin1');
      this.#pending = Buffer.alloc(0);
      return;
    }
    for (;;) {
      const frame = readServerFrame(this.#pending);
      if (frame === undefined) return;
      // A server never masks its frames.
      expect(frame.masked).toBe(false);
      this.#pending = this.#pending.subarray(frame.bytes.length);
      if (frame.opcode === BINARY) {
        this.binaryFrames.push(frame);
        const decoded = Package.decode(frame.payload);
        for (const pkg of Array.isArray(decoded) ? decoded : [decoded]) {
          this.#packages.push({ type: pkg.type, body: pkg.body ?? Buffer.alloc(0) });
        }
      } else {
        this.controls.push(frame);
      }
    }
  }

  async #until(ready: () => boolean): Promise<void> {
    while (!ready()) await this.#wait();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

const acceptFor = (key: string): string =>
  createHash('sha1')
    .update(key + GUID)
    .digest('base64');

/** A connector and ways to reach it; every socket opened through them is destroyed after the test. */
interface WebSocketTest {
  readonly harness: Harness;
  /** Sends an upgrade request (valid unless `options` change it). */
  upgrade(options?: UpgradeOptions): Promise<RawWebSocket>;
  /** Connects and sends `request` as it is (pieces in their own segments). */
  connectAndSend(request: Buffer | string | readonly Buffer[], key?: string): Promise<RawWebSocket>;
  /** A raw socket upgraded (checked) and opened: a Pomelo session that has been answered once. */
  session(): Promise<RawWebSocket>;
  /** A `ws` client that has shaken hands and been answered once. */
  bystander(): Promise<RawClient>;
}

type WebSocketTestBody = (test: WebSocketTest) => Promise<void>;

/** Runs `body` against a fresh connector; then destroys the sockets it opened and stops the connector. */
function withWebSockets(body: WebSocketTestBody): Promise<void>;
function withWebSockets(options: HarnessOptions, body: WebSocketTestBody): Promise<void>;
function withWebSockets(
  first: HarnessOptions | WebSocketTestBody,
  second?: WebSocketTestBody,
): Promise<void> {
  const [options, body] = typeof first === 'function' ? [{}, first] : [first, second as WebSocketTestBody];
  return withConnector(options, async (harness) => {
    const opened: Array<{ destroy(): void }> = [];
    const track = async <T extends { destroy(): void }>(connecting: Promise<T>): Promise<T> => {
      const socket = await connecting;
      opened.push(socket);
      return socket;
    };
    const upgrade = (upgradeOptions?: UpgradeOptions) =>
      track(RawWebSocket.upgrade(harness.port, upgradeOptions));
    try {
      await body({
        harness,
        upgrade,
        connectAndSend: (request, key) => track(RawWebSocket.request(harness.port, request, key)),
        async session() {
          const client = await upgrade();
          expect(client.status).toBe(101);
          await client.open();
          return client;
        },
        async bystander() {
          const client = await track(RawClient.ws(harness.port));
          await client.open();
          client.send(requestPackage(1, ECHO, { ready: true }));
          expect((await client.nextData()).body).toEqual({ ready: true });
          return client;
        },
      });
    } finally {
      for (const socket of opened) socket.destroy();
    }
  });
}

/** Still answered over `ws`. */
async function stillAnswers(client: RawClient, id: number): Promise<void> {
  client.send(requestPackage(id, ECHO, { still: id }));
  expect(await client.nextData()).toMatchObject({ id, body: { still: id } });
}

describe('WebSocket upgrade', () => {
  it('answers a valid upgrade with 101 and the right Sec-WebSocket-Accept', () =>
    withWebSockets(async ({ upgrade }) => {
      const client = await upgrade();
      expect(client.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
      expect(client.headers['upgrade']?.toLowerCase()).toBe('websocket');
      expect(client.headers['connection']?.toLowerCase()).toBe('upgrade');
      expect(client.headers['sec-websocket-accept']).toBe(acceptFor(client.key));
      expect(client.headers['sec-websocket-protocol']).toBeUndefined();
      expect(client.headers['sec-websocket-extensions']).toBeUndefined();
      // And it speaks Pomelo over it.
      await client.open();
      expect(await client.request(2, { over: 'raw frames' })).toEqual({ over: 'raw frames' });
    }));

  it('echoes the first subprotocol offered and accepts no extension', () =>
    withWebSockets(async ({ upgrade }) => {
      const client = await upgrade({
        headers: {
          'Sec-WebSocket-Protocol': 'pomelo, chat',
          'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
        },
      });
      expect(client.status).toBe(101);
      expect(client.headers['sec-websocket-accept']).toBe(acceptFor(client.key));
      expect(client.headers['sec-websocket-protocol']).toBe('pomelo');
      expect(client.headers['sec-websocket-extensions']).toBeUndefined();
      await client.open();
    }));

  it('reads the frames that came in the same write as the upgrade request', () =>
    withWebSockets(async ({ upgrade }) => {
      const client = await upgrade({ after: browserFrame(PING, 'early') });
      expect(client.status).toBe(101);
      const pong = await client.nextControl(PONG);
      expect(pong.payload.toString()).toBe('early');
      await client.open();
    }));

  /** An upgrade the server refuses: the HTTP status it answers, and the header overrides that cause it. */
  type RefusedUpgrade = readonly [name: string, status: number, headers: HeaderOverrides];
  const refused: readonly RefusedUpgrade[] = [
    ['without Sec-WebSocket-Key', 400, { 'Sec-WebSocket-Key': undefined }],
    ['with a malformed Sec-WebSocket-Key', 400, { 'Sec-WebSocket-Key': 'not a key' }],
    ['for version 8', 426, { 'Sec-WebSocket-Version': '8' }],
    ['without a version', 426, { 'Sec-WebSocket-Version': undefined }],
    ['to another protocol', 400, { Upgrade: 'h2c' }],
  ];

  it.each(refused)('refuses an upgrade %s with %i and closes the socket', (_name, status, headers) =>
    withWebSockets(async ({ harness, bystander, upgrade }) => {
      const ws = await bystander();
      const client = await upgrade({ headers });
      expect(client.status).toBe(status);
      if (status === 426) expect(client.headers['sec-websocket-version']).toBe('13');
      expect(client.headers['sec-websocket-accept']).toBeUndefined();
      await client.closed;
      expect(harness.connector.connectionCount).toBe(1);
      await stillAnswers(ws, 2);
    }),
  );

  it('upgrades a request that arrives a few bytes at a time', () =>
    withWebSockets(async ({ connectAndSend }) => {
      const key = randomBytes(16).toString('base64');
      const request = Buffer.from(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      const pieces = [request.subarray(0, 1), request.subarray(1, 2)];
      for (let offset = 2; offset < request.length; offset += 7)
        pieces.push(request.subarray(offset, offset + 7));
      const client = await connectAndSend(pieces, key);
      expect(client.status).toBe(101);
      expect(client.headers['sec-websocket-accept']).toBe(acceptFor(key));
      await client.open();
    }));

  it('refuses an upgrade with a method other than GET', () =>
    withWebSockets(async ({ harness, connectAndSend }) => {
      const key = randomBytes(16).toString('base64');
      const client = await connectAndSend(
        `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`,
      );
      expect(client.status).toBe(400);
      await client.closed;
      expect(harness.connector.connectionCount).toBe(0);
    }));

  it('answers a plain HTTP GET with 426 and closes the socket', () =>
    withWebSockets(async ({ harness, connectAndSend }) => {
      const client = await connectAndSend(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${harness.port}\r\n\r\n`);
      expect(client.status).toBe(426);
      expect(client.headers['connection']?.toLowerCase()).toBe('close');
      await client.closed;
      expect(client.body).toContain('Pomelo protocol');
      expect(harness.connector.connectionCount).toBe(0);
    }));
});

describe('WebSocket frame errors', () => {
  // maxFrameSize at its smallest: maxPackageSize + 4.
  const config: ConnectorConfig = { maxPackageSize: 1000, maxFrameSize: 1004 };

  /**
   * Something a client may not send: the close code of the server's close frame, the session's
   * close reason, and the bytes, each element in its own write.
   */
  type Violation = readonly [name: string, status: number, reason: string, writes: readonly Buffer[]];
  const violations: readonly Violation[] = [
    [
      'an unmasked frame',
      1002,
      'WS_PROTOCOL_ERROR',
      [browserFrame(BINARY, requestPackage(9, ECHO, {}), { mask: null })],
    ],
    ['a reserved opcode', 1002, 'WS_PROTOCOL_ERROR', [browserFrame(0x3, 'x')]],
    ['a reserved control opcode', 1002, 'WS_PROTOCOL_ERROR', [browserFrame(0xb, '')]],
    ['RSV1 (no extension agreed)', 1002, 'WS_PROTOCOL_ERROR', [browserFrame(BINARY, '', { rsv: 0x40 })]],
    ['a continuation without a start', 1002, 'WS_PROTOCOL_ERROR', [browserFrame(CONTINUATION, 'x')]],
    ['a ping over 125 bytes', 1002, 'WS_PROTOCOL_ERROR', [browserFrame(PING, Buffer.alloc(126))]],
    // Only the header and the mask key: the server must not wait for the payload.
    [
      'an oversize message (its header alone)',
      1009,
      'WS_MESSAGE_TOO_LARGE',
      [browserFrame(BINARY, Buffer.alloc(5000)).subarray(0, 8)],
    ],
    [
      'an oversize fragmented message',
      1009,
      'WS_MESSAGE_TOO_LARGE',
      [
        browserFrame(BINARY, Buffer.alloc(600), { fin: false }),
        browserFrame(CONTINUATION, Buffer.alloc(600)),
      ],
    ],
    [
      'a text frame that is not UTF-8',
      1007,
      'WS_INVALID_UTF8',
      [browserFrame(TEXT, Buffer.from([0xff, 0xfe, 0xfd]))],
    ],
  ];

  it.each(violations)(
    'closes a client that sends %s with a close frame, status %i, reason %s',
    (_name, status, reason, writes) =>
      withWebSockets({ config }, async ({ harness, bystander, session }) => {
        const ws = await bystander();
        const client = await session();
        const reasons = closeReasons(harness);
        for (const bytes of writes) client.send(bytes);
        expect(await client.closeCode()).toBe(status);
        await eventually(() => reasons.length > 0);
        expect(reasons).toEqual([reason]);
        expect(harness.connector.connectionCount).toBe(1);
        await stillAnswers(ws, 2);
        expect(harness.reported).toEqual([]);
      }),
  );

  it('accepts a message of exactly maxFrameSize bytes', () =>
    withWebSockets({ config }, async ({ session }) => {
      const client = await session();
      // One package of 1000 body bytes + a 4-byte header: the whole limit.
      const text = 'x'.repeat(1000 - requestPackage(2, ECHO, { t: '' }).length + 4);
      const request = requestPackage(2, ECHO, { t: text });
      expect(request.length).toBe(1004);
      client.sendFrame(BINARY, request);
      expect(await client.nextData()).toMatchObject({ id: 2, body: { t: text } });
    }));

  it('sends what a turn answered before the close frame of a later error', () =>
    withWebSockets(async ({ session }) => {
      const client = await session();
      client.sendFrame(BINARY, requestPackage(2, ECHO, { before: true }));
      expect((await client.nextData()).body).toEqual({ before: true });
      client.sendFrame(0x3, '');
      expect(await client.closeCode()).toBe(1002);
    }));
});

describe('WebSocket control frames', () => {
  it('answers a ping with a pong of the same payload', () =>
    withWebSockets(async ({ session }) => {
      const client = await session();
      const payloads = [Buffer.from('ping?'), Buffer.alloc(0), randomBytes(125)];
      for (const payload of payloads) {
        client.sendFrame(PING, payload);
        const pong = await client.nextControl(PONG);
        expect(pong.fin).toBe(true);
        expect(pong.payload.equals(payload)).toBe(true);
      }
      // Still working.
      expect(await client.request(2, { after: 'pings' })).toEqual({ after: 'pings' });
    }));

  it('ignores a pong', () =>
    withWebSockets(async ({ session }) => {
      const client = await session();
      client.sendFrame(PONG, 'unsolicited');
      expect(await client.request(2, { after: 'pong' })).toEqual({ after: 'pong' });
      expect(client.controls).toEqual([]);
    }));

  it('echoes a client close frame with 1000 and closes, reason "client closed"', () =>
    withWebSockets(async ({ harness, bystander, session }) => {
      const ws = await bystander();
      const client = await session();
      const reasons = closeReasons(harness);
      client.sendFrame(CLOSE, closeBody(1000));
      expect(await client.closeCode()).toBe(1000);
      await eventually(() => reasons.length > 0);
      expect(reasons).toEqual(['client closed']);
      await stillAnswers(ws, 2);
    }));

  it('echoes an application close code, and a close without a code with none', () =>
    withWebSockets(async ({ session }) => {
      const first = await session();
      const second = await session();
      first.sendFrame(CLOSE, closeBody(4321));
      second.sendFrame(CLOSE, '');
      expect(await first.closeCode()).toBe(4321);
      expect(await second.closeCode()).toBeUndefined();
    }));

  it('never echoes a status code a close frame may not carry (RFC 6455 §7.4)', () =>
    withWebSockets(async ({ session }) => {
      // 1004-1006 and 1015 are reserved, 1016-2999 unassigned: a `ws` client fails on any of them.
      for (const code of [1004, 1005, 1006, 1015, 2000]) {
        const client = await session();
        client.sendFrame(CLOSE, closeBody(code));
        // No code, or 1002 for the client's bad frame: either way not the reserved one.
        expect([undefined, 1002], `echo of ${code}`).toContain(await client.closeCode());
      }
    }));

  // heartbeat 0: no silence timeout either; only a close timer can end this connection.
  it('drops a client that answers the close handshake but never closes its TCP side', () =>
    withWebSockets({ config: { heartbeat: 0 } }, async ({ harness, upgrade }) => {
      const client = await upgrade({ halfOpen: true });
      expect(client.status).toBe(101);
      await client.open();
      const reasons = closeReasons(harness);
      const ended = new Promise((resolve) => client.socket.once('end', resolve));
      client.sendFrame(CLOSE, closeBody(1000));
      expect((await client.nextControl(CLOSE)).payload.readUInt16BE(0)).toBe(1000);
      await ended;
      // The server's close grace for a connection it closes is 2 s (pomelo-connection.ts).
      const deadline = Date.now() + 4000;
      await eventually(() => reasons.length > 0 || Date.now() > deadline);
      expect(reasons).toEqual(['client closed']);
      expect(harness.connector.connectionCount).toBe(0);
    }));

  it('closes after a close frame even when data follows it', () =>
    withWebSockets(async ({ session }) => {
      const client = await session();
      client.send(
        Buffer.concat([
          browserFrame(CLOSE, closeBody(1000)),
          browserFrame(BINARY, requestPackage(2, ECHO, { late: true })),
          browserFrame(PING, 'late'),
        ]),
      );
      expect(await client.closeCode()).toBe(1000);
      expect(client.packages.filter((pkg) => pkg.type === Package.TYPE_DATA)).toEqual([]);
      expect(client.controls).toEqual([]);
    }));
});

describe('WebSocket messages', () => {
  it('answers a request sent as a fragmented message, a ping in between', () =>
    withWebSockets(async ({ session }) => {
      const client = await session();
      const request = requestPackage(2, ECHO, { fragmented: 'yes', text: 'é✓'.repeat(50) });
      const cut = Math.floor(request.length / 3);
      client.sendFrame(BINARY, request.subarray(0, cut), { fin: false });
      client.sendFrame(PING, 'mid');
      client.sendFrame(CONTINUATION, request.subarray(cut, 2 * cut), { fin: false });
      client.sendFrame(CONTINUATION, request.subarray(2 * cut), { fin: true });
      expect((await client.nextControl(PONG)).payload.toString()).toBe('mid');
      const answer = await client.nextData();
      expect(answer).toMatchObject({ id: 2, body: { fragmented: 'yes', text: 'é✓'.repeat(50) } });
    }));

  it('answers requests in a text message, several packages in one frame, and byte by byte', () =>
    withWebSockets(async ({ session }) => {
      const client = await session();
      // Pomelo packages in a text frame: valid UTF-8 here, so it is read as any message.
      client.sendFrame(TEXT, requestPackage(2, ECHO, { text: true }));
      expect((await client.nextData()).body).toEqual({ text: true });
      client.sendFrame(
        BINARY,
        Buffer.concat([requestPackage(3, ECHO, { n: 3 }), requestPackage(4, ECHO, { n: 4 })]),
      );
      const ids = [];
      for (let index = 0; index < 2; index++) ids.push((await client.nextData()).id);
      expect(ids.sort()).toEqual([3, 4]);
      const slow = browserFrame(BINARY, requestPackage(5, ECHO, { slow: true }));
      for (let index = 0; index < slow.length; index++) {
        client.send(slow.subarray(index, index + 1));
        if (index % 4 === 0) await pause(1);
      }
      expect(await client.nextData()).toMatchObject({ id: 5, body: { slow: true } });
    }));

  it('answers a 70,000-byte request (64-bit length) with a 64-bit length frame', () =>
    withWebSockets(async ({ session }) => {
      const client = await session();
      const text = 'y'.repeat(70_000);
      const before = client.binaryFrames.length;
      client.sendFrame(BINARY, requestPackage(2, ECHO, { text }));
      expect((await client.nextData()).body).toEqual({ text });
      const answer = client.binaryFrames[before] as ServerFrame;
      expect(answer.bytes[1]).toBe(127);
    }));
});

describe('WebSocket pushes', () => {
  it('sends one push to many sockets: each gets it once, in the same frame bytes', () =>
    withWebSockets(async ({ harness, bystander, session }) => {
      const clients: RawClient[] = [];
      for (let index = 0; index < 3; index++) clients.push(await bystander());
      const raw = await session();
      await eventually(() => harness.sessions.sessionCount === 4);
      const sessions = sessionsOf(harness);

      const { connector } = harness;
      const first = connector.encodePush('onPush', { all: 1 });
      const rawBefore = raw.binaryFrames.length;
      connector.send(first, sessions);
      for (const client of clients) {
        const push = await client.nextData();
        expect(push).toMatchObject({ type: Message.TYPE_PUSH, route: 'onPush', body: { all: 1 } });
      }
      await raw.nextPackage(Package.TYPE_DATA);
      // The frame on the wire is the push in one binary frame.
      expect(raw.binaryFrames.slice(rawBefore).map((sent) => sent.bytes)).toEqual([encodeBinaryFrame(first)]);

      // A second push in a later turn is framed anew.
      const second = connector.encodePush('onPush', { all: 2 });
      connector.send(second, sessions);
      for (const client of clients) {
        expect((await client.nextData()).body).toEqual({ all: 2 });
      }
      expect((await raw.nextData()).body).toEqual({ all: 2 });

      // And nobody got anything twice.
      await pause(50);
      for (const client of clients) {
        expect(client.received.filter((pkg) => pkg.type === Package.TYPE_DATA)).toEqual([]);
      }
      expect(raw.packages.filter((pkg) => pkg.type === Package.TYPE_DATA)).toEqual([]);
      expect(raw.binaryFrames.length).toBe(rawBefore + 2);
    }));

  it('sends different pushes to different sockets in one turn, each its own', () =>
    withWebSockets(async ({ harness, bystander }) => {
      const clients: RawClient[] = [];
      for (let index = 0; index < 3; index++) clients.push(await bystander());
      await eventually(() => harness.sessions.sessionCount === 3);
      const [zero, one, two] = sessionsOf(harness);
      const { connector } = harness;
      const shared = connector.encodePush('onPush', { shared: true });
      // Same turn: the shared push to 0 and 2, another one to 1 in between.
      connector.send(shared, [zero!]);
      connector.send(connector.encodePush('onPush', { only: 1 }), [one!]);
      connector.send(shared, [two!]);
      const bodies = [];
      for (const client of clients) bodies.push((await client.nextData()).body);
      expect(bodies).toEqual([{ shared: true }, { only: 1 }, { shared: true }]);
    }));
});
