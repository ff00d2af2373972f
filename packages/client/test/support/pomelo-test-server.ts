/**
 * A tiny Pomelo-protocol server for the client's tests, written with `@shaddock/protocol`:
 * handshake (with dictionary and protos sent only to clients whose cached versions differ),
 * ACK, heartbeats answered as Pinus does, requests and notifies routed to handlers, pushes,
 * kick, and raw access for tests that break the protocol. WebSocket or TCP, on 127.0.0.1 port 0.
 */
import { type EventEmitter, once } from 'node:events';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  decodeHandshakeRequest,
  decodePackages,
  encodeHandshakeResponse,
  encodeKick,
  encodePackage,
  HandshakeCode,
  type HandshakeProtos,
  type HandshakeRequest,
  type HandshakeResponse,
  isJsonObject,
  type JsonObject,
  MessageCodec,
  MessageType,
  PackageDecoder,
  PackageType,
  ProtobufCodec,
  type ProtoDefinitions,
  RouteDictionary,
  toParsedForm,
} from '@shaddock/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

/** Protos as the server's JSON files hold them. */
export interface TestProtos {
  readonly version: string;
  readonly server: ProtoDefinitions;
  readonly client: ProtoDefinitions;
}

/** Handles a request (its result is the response; `undefined` sends none) or a notify. */
export type TestHandler = (
  body: JsonObject,
  peer: TestPeer,
) => JsonObject | undefined | Promise<JsonObject | undefined>;

export interface TestServerOptions {
  readonly transport?: 'ws' | 'tcp';
  /** Heartbeat interval in seconds (fractions allowed, for fast tests); absent: no heartbeats. */
  readonly heartbeat?: number;
  /** Routes given dictionary codes. */
  readonly dictionary?: readonly string[];
  /** Protos in the JSON files' form; the handshake carries them in the parsed form, as Pinus does. */
  readonly protos?: TestProtos;
  /** Answers the handshake with this code instead of 200 (then closes, as Pinus does). */
  readonly handshakeCode?: number;
  /** Never answer handshakes. */
  readonly ignoreHandshake?: boolean;
  /** After the handshake, ignore everything: no heartbeat answers, no responses. */
  readonly silent?: boolean;
  /** TCP only: write in pieces of this many bytes, each in a write of its own, a millisecond apart. */
  readonly splitWrites?: number;
  readonly handlers?: Readonly<Record<string, TestHandler>>;
  /** Serve `wss` / TLS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** One client connection, seen from the server. */
export interface TestPeer {
  readonly handshake: HandshakeRequest | undefined;
  /** Heartbeats received from the client (the ACK not counted). */
  readonly heartbeats: number;
  push(route: string, body: JsonObject): void;
  kick(reason: string): void;
  /** Writes raw bytes. */
  sendRaw(bytes: Uint8Array): void;
  /** Drops the connection at once, without a closing handshake. */
  drop(): void;
  /** Resolves when the client has sent `count` heartbeats. */
  heartbeatCount(count: number): Promise<void>;
  readonly closed: Promise<void>;
}

export interface TestServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The server's codec, to build raw packages. */
  readonly codec: MessageCodec;
  /** Every handshake request and the response it got, in order. */
  readonly handshakes: readonly { request: HandshakeRequest; response: HandshakeResponse }[];
  readonly peers: readonly TestPeer[];
  /** Resolves with the `index`-th (0-based) peer to finish its handshake ACK. */
  peer(index: number): Promise<TestPeer>;
  close(): Promise<void>;
}

class Peer implements TestPeer {
  handshake: HandshakeRequest | undefined;
  heartbeats = 0;
  readonly closed: Promise<void>;
  #state: 'inited' | 'wait-ack' | 'working' = 'inited';
  readonly #heartbeatWaiters: { count: number; resolve: () => void }[] = [];
  #writing = Promise.resolve();

  constructor(
    private readonly server: PomeloTestServer,
    private readonly write: (bytes: Uint8Array) => void,
    private readonly destroy: () => void,
    closed: Promise<unknown>,
    private readonly splitWrites: number | undefined,
  ) {
    this.closed = closed.then(() => undefined);
  }

  push(route: string, body: JsonObject): void {
    this.sendRaw(this.server.codec.encodePush(route, body));
  }

  kick(reason: string): void {
    this.sendRaw(encodeKick(reason));
    setImmediate(() => this.destroy());
  }

  sendRaw(bytes: Uint8Array): void {
    const size = this.splitWrites;
    if (size === undefined) {
      this.write(bytes);
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += size) {
      const piece = bytes.slice(offset, offset + size);
      this.#writing = this.#writing.then(async () => {
        this.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 1));
      });
    }
  }

  drop(): void {
    this.destroy();
  }

  heartbeatCount(count: number): Promise<void> {
    if (this.heartbeats >= count) return Promise.resolve();
    return new Promise((resolve) => this.#heartbeatWaiters.push({ count, resolve }));
  }

  receive(type: PackageType, body: Uint8Array): void {
    const { options } = this.server;
    if (type === PackageType.Handshake && this.#state === 'inited') {
      if (options.ignoreHandshake) return;
      const request = decodeHandshakeRequest(body);
      this.handshake = request;
      const response = this.server.handshakeResponse(request);
      this.server.handshakes.push({ request, response });
      this.sendRaw(encodeHandshakeResponse(response));
      if (response.code !== HandshakeCode.Ok) setImmediate(() => this.destroy());
      else this.#state = 'wait-ack';
    } else if (type === PackageType.HandshakeAck && this.#state === 'wait-ack') {
      this.#state = 'working';
      this.server.ready(this);
      if (options.heartbeat !== undefined && !options.silent)
        this.sendRaw(encodePackage(PackageType.Heartbeat));
    } else if (type === PackageType.Heartbeat && this.#state === 'working') {
      this.heartbeats++;
      for (const waiter of this.#heartbeatWaiters.filter((entry) => entry.count <= this.heartbeats))
        waiter.resolve();
      if (!options.silent) this.sendRaw(encodePackage(PackageType.Heartbeat));
    } else if (type === PackageType.Data && this.#state === 'working' && !options.silent) {
      void this.#handle(body);
    }
  }

  async #handle(body: Uint8Array): Promise<void> {
    const { codec, options } = this.server;
    const message = codec.decodeFromClient(body);
    const handler = options.handlers?.[message.route];
    if (handler === undefined || !isJsonObject(message.body)) return;
    const response = await handler(message.body, this);
    if (message.type === MessageType.Request && response !== undefined) {
      this.sendRaw(codec.encodeResponse(message.id, message.route, response));
    }
  }
}

class PomeloTestServer implements TestServer {
  readonly host = '127.0.0.1';
  port = 0;
  readonly handshakes: { request: HandshakeRequest; response: HandshakeResponse }[] = [];
  readonly peers: Peer[] = [];
  readonly codec: MessageCodec;
  readonly #dictionary: RouteDictionary | undefined;
  readonly #protos: HandshakeProtos | undefined;
  readonly #readyWaiters: { index: number; resolve: (peer: TestPeer) => void }[] = [];
  readonly #ready: Peer[] = [];
  readonly #sockets = new Set<Socket | WebSocket>();
  #net: Server | undefined;
  #https: HttpsServer | undefined;
  #ws: WebSocketServer | undefined;

  constructor(readonly options: TestServerOptions) {
    this.#dictionary = options.dictionary ? RouteDictionary.fromRoutes(options.dictionary) : undefined;
    const { protos } = options;
    this.#protos = protos && {
      version: protos.version,
      server: toParsedForm(protos.server),
      client: toParsedForm(protos.client),
    };
    this.codec = new MessageCodec({
      dictionary: this.#dictionary,
      serverProtos: options.protos ? new ProtobufCodec(options.protos.server) : undefined,
      clientProtos: options.protos ? new ProtobufCodec(options.protos.client) : undefined,
    });
  }

  async listen(): Promise<this> {
    const { tls } = this.options;
    if (this.options.transport === 'tcp') {
      const accept = (socket: Socket): void => this.#acceptTcp(socket);
      const server = tls ? createTlsServer(tls, accept) : createServer(accept);
      this.#net = server;
      server.listen(0, this.host);
      await once(server, 'listening');
      this.port = (server.address() as { port: number }).port;
    } else if (tls) {
      const https = createHttpsServer(tls);
      this.#https = https;
      this.#ws = new WebSocketServer({ server: https });
      this.#ws.on('connection', (socket) => this.#acceptWebSocket(socket));
      https.listen(0, this.host);
      await once(https, 'listening');
      this.port = (https.address() as { port: number }).port;
    } else {
      const server = new WebSocketServer({ host: this.host, port: 0 });
      this.#ws = server;
      server.on('connection', (socket) => this.#acceptWebSocket(socket));
      await once(server, 'listening');
      this.port = (server.address() as { port: number }).port;
    }
    return this;
  }

  handshakeResponse(request: HandshakeRequest): HandshakeResponse {
    const { options } = this;
    if (options.handshakeCode !== undefined) return { code: options.handshakeCode };
    const sys: {
      -readonly [Key in keyof NonNullable<HandshakeResponse['sys']>]: NonNullable<
        HandshakeResponse['sys']
      >[Key];
    } = {};
    if (options.heartbeat !== undefined) sys.heartbeat = options.heartbeat;
    if (this.#dictionary) {
      sys.useDict = true;
      if (request.sys.dictVersion !== this.#dictionary.version) {
        sys.dict = this.#dictionary.toJSON();
        sys.dictVersion = this.#dictionary.version;
      }
    }
    if (this.#protos) {
      sys.useProto = true;
      if (request.sys.protoVersion !== this.#protos.version) sys.protos = this.#protos;
    }
    return { code: HandshakeCode.Ok, sys, user: { welcome: request.user ?? null } };
  }

  ready(peer: Peer): void {
    this.#ready.push(peer);
    for (const waiter of this.#readyWaiters.filter((entry) => entry.index < this.#ready.length)) {
      waiter.resolve(this.#ready[waiter.index]!);
    }
  }

  peer(index: number): Promise<TestPeer> {
    const peer = this.#ready[index];
    if (peer) return Promise.resolve(peer);
    return new Promise((resolve) => this.#readyWaiters.push({ index, resolve }));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) {
      if ('terminate' in socket) socket.terminate();
      else socket.destroy();
    }
    await Promise.all([
      this.#net && new Promise((resolve) => this.#net?.close(resolve)),
      this.#ws && new Promise((resolve) => this.#ws?.close(resolve)),
      this.#https && new Promise((resolve) => this.#https?.close(resolve)),
    ]);
  }

  #acceptTcp(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const closed = closedOf(socket).then(() => this.#sockets.delete(socket));
    socket.on('error', () => {});
    const peer = new Peer(
      this,
      (bytes) => socket.write(bytes),
      () => socket.destroy(),
      closed,
      this.options.splitWrites,
    );
    this.peers.push(peer);
    const decoder = new PackageDecoder((type, body) => peer.receive(type, body));
    socket.on('data', (chunk: Uint8Array) => decoder.write(chunk));
  }

  #acceptWebSocket(socket: WebSocket): void {
    this.#sockets.add(socket);
    const closed = closedOf(socket).then(() => this.#sockets.delete(socket));
    socket.on('error', () => {});
    const peer = new Peer(
      this,
      (bytes) => socket.send(bytes),
      () => socket.terminate(),
      closed,
      undefined,
    );
    this.peers.push(peer);
    socket.on('message', (data: Buffer) => {
      for (const { type, body } of decodePackages(data)) peer.receive(type, body);
    });
  }
}

function closedOf(emitter: EventEmitter): Promise<void> {
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}

/** Starts a test server; close it in a `finally`. */
export function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  return new PomeloTestServer(options).listen();
}
