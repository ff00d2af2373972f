// A real connector on 127.0.0.1 (port 0) with the real SessionService and a small handler
// double, plus raw Pomelo clients built on the real `pinus-protocol` package.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isJsonObject, type JsonObject } from '@shaddock/protocol';
import type { PinusProtocol } from '@shaddock/test-support';
import WebSocket from 'ws';
import {
  type ConnectorConfig,
  type ConnectorHandlers,
  ConnectorServer,
  loadFrontendCodec,
  resolveConnectorConfig,
} from '../src/connector/index.js';
import type { ClientMessage } from '../src/handler/index.js';
import { createLogger } from '../src/logging/index.js';
import { FrontendSession, type HandlerSession, type Session, SessionService } from '../src/session/index.js';

const require = createRequire(import.meta.url);
export const { Package, Message } = require('pinus-protocol') as PinusProtocol;

export const ECHO = 'connector.entryHandler.echo';
export const HOLD = 'connector.entryHandler.hold';
export const PUSH = 'connector.entryHandler.push';
export const NOTE = 'connector.entryHandler.note';
export const WHO = 'connector.entryHandler.who';
export const ROUTES = [ECHO, HOLD, PUSH, NOTE, WHO];

interface Held {
  readonly message: ClientMessage;
  readonly resolve: (body: JsonObject) => void;
}

/** The handler pipeline double: echo, hold (answered by the test), push, note (a notify), who. */
export class TestHandlers implements ConnectorHandlers {
  readonly notes: ClientMessage[] = [];
  readonly held: Held[] = [];
  connector: ConnectorServer<Session> | undefined;
  #waiters: Array<() => void> = [];

  handleClientMessage(session: HandlerSession, message: ClientMessage): Promise<JsonObject | undefined> {
    const body = isJsonObject(message.body) ? message.body : {};
    switch (message.route) {
      case ECHO:
        return Promise.resolve(body);
      case HOLD:
        return new Promise((resolve) => {
          this.held.push({ message, resolve });
          this.#wake();
        });
      case PUSH: {
        const connector = this.connector as ConnectorServer<Session>;
        const count = typeof body['n'] === 'number' ? body['n'] : 1;
        for (let index = 0; index < count; index++) {
          connector.send(connector.encodePush('onPush', { index }), [session]);
        }
        return Promise.resolve({ pushed: count });
      }
      case NOTE:
        this.notes.push(message);
        this.#wake();
        return Promise.resolve(undefined);
      case WHO:
        return Promise.resolve({ ip: session instanceof FrontendSession ? session.remoteAddress.ip : '' });
      default:
        return Promise.resolve({ code: 404 });
    }
  }

  /** Resolves once `ready()` holds. */
  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export interface HarnessOptions {
  readonly config?: ConnectorConfig;
  /** Files under `config/`, written as JSON. */
  readonly files?: Readonly<Record<string, unknown>>;
  readonly maxConnections?: number;
}

export interface Harness {
  readonly port: number;
  readonly connector: ConnectorServer<Session>;
  readonly sessions: SessionService;
  readonly handlers: TestHandlers;
  readonly base: string;
  /** What the connector reported as its own failures: a test expects none. */
  readonly reported: unknown[];
  /** The lines the connector logged (warn and above), parsed. */
  readonly logged: Record<string, unknown>[];
  /** Stops the connector (kicking everyone) and removes the app folder. */
  close(): Promise<void>;
}

/** Starts a connector; always `close()` it (`try/finally`), or let {@link withConnector} do it. */
export async function startConnector(options: HarnessOptions = {}): Promise<Harness> {
  const base = await mkdtemp(path.join(tmpdir(), 'shaddock-connector-'));
  await mkdir(path.join(base, 'config'));
  for (const [name, value] of Object.entries(options.files ?? {})) {
    await writeFile(path.join(base, 'config', name), JSON.stringify(value));
  }
  const settings = resolveConnectorConfig(options.config, options.maxConnections);
  const codec = await loadFrontendCodec({ base, env: 'test', handlerRoutes: async () => ROUTES }, settings);
  const sessions = new SessionService({ frontendId: 'connector-1' });
  const handlers = new TestHandlers();
  const connector = new ConnectorServer<Session>();
  handlers.connector = connector;
  const reported: unknown[] = [];
  const report = (error: unknown): void => {
    reported.push(error);
  };
  const logged: Record<string, unknown>[] = [];
  const logger = createLogger({
    serverId: 'connector-1',
    serverType: 'connector',
    level: 'warn',
    stream: { write: (line: string) => logged.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream,
  });
  const port = await connector.start(
    { sessions, handlers, report, logger },
    { settings, codec, port: 0, host: '127.0.0.1' },
  );
  return {
    port,
    connector,
    sessions,
    handlers,
    base,
    reported,
    logged,
    async close() {
      await connector.stop(true);
      await rm(base, { recursive: true, force: true });
    },
  };
}

type HarnessTest = (harness: Harness) => Promise<void>;

/** Starts a connector, runs `test` with it and closes it, whether `test` passes or throws. */
export function withConnector(test: HarnessTest): Promise<void>;
export function withConnector(options: HarnessOptions, test: HarnessTest): Promise<void>;
export async function withConnector(
  first: HarnessOptions | HarnessTest,
  second?: HarnessTest,
): Promise<void> {
  const [options, test] = typeof first === 'function' ? [{}, first] : [first, second as HarnessTest];
  const harness = await startConnector(options);
  try {
    await test(harness);
  } finally {
    await harness.close();
  }
}

/** The reasons sessions close with, from now on. */
export function closeReasons(harness: Harness): string[] {
  const reasons: string[] = [];
  harness.sessions.onClosed((_session, reason) => reasons.push(reason));
  return reasons;
}

/** Every session the connector has now, in the order it keeps them. */
export function sessionsOf(harness: Harness): Session[] {
  const sessions: Session[] = [];
  harness.sessions.forEachSession((session) => sessions.push(session));
  return sessions;
}

export const TRANSPORTS = ['ws', 'tcp'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface RawPackage {
  readonly type: number;
  readonly body: Buffer;
}

/** A raw Pomelo client over TCP or WebSocket: bytes out, decoded packages in. */
export class RawClient {
  readonly #write: (bytes: Uint8Array) => void;
  readonly #end: () => void;
  readonly #pause: () => void;
  readonly #packages: RawPackage[] = [];
  #waiters: Array<() => void> = [];
  /** Every WebSocket frame's package count (TCP: none). */
  readonly frames: number[] = [];
  isClosed = false;
  readonly closed: Promise<void>;

  private constructor(
    write: (bytes: Uint8Array) => void,
    end: () => void,
    pauseReading: () => void,
    onClose: (done: () => void) => void,
  ) {
    this.#write = write;
    this.#end = end;
    this.#pause = pauseReading;
    this.closed = new Promise((resolve) =>
      onClose(() => {
        this.isClosed = true;
        resolve();
        this.#wake();
      }),
    );
  }

  static tcp(port: number, configure?: (socket: net.Socket) => void): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    configure?.(socket);
    const client = new RawClient(
      (bytes) => socket.write(bytes),
      () => socket.destroy(),
      () => socket.pause(),
      (done) => socket.on('close', done),
    );
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = 4 + pending.readUIntBE(1, 3);
        if (pending.length < length) break;
        client.#receive(pending.subarray(0, length));
        pending = pending.subarray(length);
      }
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(client));
      socket.once('error', reject);
    });
  }

  static ws(port: number, headers: Record<string, string> = {}): Promise<RawClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { headers, perMessageDeflate: false });
    ws.on('error', () => {});
    const client = new RawClient(
      (bytes) => ws.send(bytes),
      () => ws.terminate(),
      () => ws.pause(),
      (done) => ws.on('close', done),
    );
    ws.on('message', (data: Buffer) => {
      const decoded = Package.decode(data);
      const packages = Array.isArray(decoded) ? decoded : [decoded];
      client.frames.push(packages.length);
      for (const pkg of packages) client.#push({ type: pkg.type, body: pkg.body ?? Buffer.alloc(0) });
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('close', () => reject(new Error('websocket closed before it opened')));
    });
  }

  /** A raw client over `transport`: {@link RawClient.ws} or {@link RawClient.tcp}. */
  static connect(transport: Transport, port: number): Promise<RawClient> {
    return transport === 'ws' ? RawClient.ws(port) : RawClient.tcp(port);
  }

  send(bytes: Uint8Array): void {
    this.#write(bytes);
  }

  sendPackage(type: number, body?: Uint8Array): void {
    this.send(Package.encode(type, body));
  }

  /** Sends a handshake with `request` (default: the JS client's) and returns the response body. */
  async handshake(
    request: object = { sys: { type: 'js-websocket', version: '0.0.1' }, user: {} },
  ): Promise<JsonObject> {
    this.sendPackage(Package.TYPE_HANDSHAKE, Buffer.from(JSON.stringify(request)));
    const response = await this.next(Package.TYPE_HANDSHAKE);
    return JSON.parse(response.body.toString('utf8')) as JsonObject;
  }

  /** Handshake, ACK, and the server's first heartbeat. */
  async open(request?: object): Promise<JsonObject> {
    const response = await this.handshake(request);
    this.sendPackage(Package.TYPE_HANDSHAKE_ACK);
    return response;
  }

  /** The next package (of `type`, skipping others when given); rejects when the socket closes first. */
  async next(type?: number): Promise<RawPackage> {
    for (;;) {
      const index = this.#packages.findIndex((pkg) => type === undefined || pkg.type === type);
      if (index >= 0) return this.#packages.splice(index, 1)[0] as RawPackage;
      if (this.isClosed) throw new Error(`closed while waiting for a package of type ${type}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The next DATA package, decoded. */
  async nextData(): Promise<DataMessage> {
    return decodeData(await this.next(Package.TYPE_DATA));
  }

  /** Every package received so far and not taken. */
  get received(): readonly RawPackage[] {
    return this.#packages;
  }

  destroy(): void {
    this.#end();
  }

  /** Stops reading the socket: a client too slow to take what it is sent. */
  pauseReading(): void {
    this.#pause();
  }

  #receive(bytes: Buffer): void {
    const decoded = Package.decode(bytes);
    for (const pkg of Array.isArray(decoded) ? decoded : [decoded]) {
      this.#push({ type: pkg.type, body: pkg.body ?? Buffer.alloc(0) });
    }
  }

  #push(pkg: RawPackage): void {
    this.#packages.push(pkg);
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A request DATA package, the route as a string or a dictionary code. */
export function requestPackage(id: number, route: string | number, body: JsonObject | Uint8Array): Buffer {
  const bytes = body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
  const message = Message.encode(id, Message.TYPE_REQUEST, typeof route === 'number', route, bytes);
  return Package.encode(Package.TYPE_DATA, message);
}

/** A notify DATA package. */
export function notifyPackage(route: string | number, body: JsonObject): Buffer {
  const bytes = Buffer.from(JSON.stringify(body));
  return Package.encode(
    Package.TYPE_DATA,
    Message.encode(0, Message.TYPE_NOTIFY, typeof route === 'number', route, bytes),
  );
}

/** A DATA package's message, its body parsed. */
export interface DataMessage {
  id: number;
  type: number;
  route: string | number | null;
  body: JsonObject;
}

/** Decodes a DATA package body with pinus-protocol; JSON bodies parsed. */
export function decodeData(pkg: RawPackage): DataMessage {
  const message = Message.decode(pkg.body);
  return {
    id: message.id,
    type: message.type,
    route: message.route,
    body: JSON.parse(message.body.toString('utf8')),
  };
}

/** Waits `ms` milliseconds: only to give something that must NOT happen its chance. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `ready()` holds, checking every few milliseconds (the test's timeout bounds it). */
export async function eventually(ready: () => boolean): Promise<void> {
  while (!ready()) await pause(5);
}
