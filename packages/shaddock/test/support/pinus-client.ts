// A raw Pomelo client over TCP or WebSocket built on the real `pinus-protocol` package (Pinus's
// own codec, as every Pinus/Pomelo client speaks it): bytes and packages out, every package and
// decoded DATA message in, in arrival order. It does what a Pomelo client does with the handshake
// response (route dictionary, protobuf bodies with the protos the server sent) and nothing more:
// no heartbeats unless asked, no reconnects, so a test can also make it misbehave.
import net from 'node:net';
import { type JsonObject, type ParsedProtoDefinitions, ProtobufCodec } from '@shaddock/protocol';
import { decodePinusPackages, Message, Package, splitPackages } from '@shaddock/test-support';
import WebSocket from 'ws';

/** pinus-protocol's package and message codecs. */
export { Message, Package };

/** How a client reaches a connector. */
export type Transport = 'ws' | 'tcp';

/** A package as it arrived. */
export interface RawPackage {
  readonly type: number;
  readonly body: Buffer;
}

/** A DATA package's message, decoded. */
export interface DataMessage {
  readonly id: number;
  /** `Message.TYPE_RESPONSE` or `Message.TYPE_PUSH`. */
  readonly type: number;
  /** A response's request route; a push's route (from its code when compressed). */
  readonly route: string;
  /** The route travelled as a dictionary code. */
  readonly compressed: boolean;
  /** The body was read as protobuf (the route has a proto among the handshake's server protos). */
  readonly protobuf: boolean;
  /** The decoded body; `{}` when it could not be decoded. */
  readonly body: JsonObject;
  /** Why the body could not be decoded (and its bytes in hex), as a Pomelo client would fail. */
  readonly undecodable: string | undefined;
}

/** The handshake Pomelo's JS WebSocket client sends. */
export const JS_WEBSOCKET_HANDSHAKE = { sys: { type: 'js-websocket', version: '0.0.1', rsa: {} }, user: {} };

interface HandshakeSys {
  dict?: Record<string, number>;
  protos?: { server?: ParsedProtoDefinitions; client?: ParsedProtoDefinitions };
}

/** A raw Pomelo client; `destroy()` it (or let the cluster that made it do so). */
export class PinusClient {
  readonly #write: (bytes: Uint8Array) => void;
  readonly #destroy: () => void;
  readonly #end: () => void;
  readonly #pause: () => void;
  readonly #resume: () => void;
  readonly #packages: RawPackage[] = [];
  readonly #messages: DataMessage[] = [];
  readonly #requestRoutes = new Map<number, string>();
  #waiters: Array<() => void> = [];
  #heartbeats: ReturnType<typeof setInterval> | undefined;
  #nextId = 1;
  #routeToCode = new Map<string, number>();
  #codeToRoute = new Map<number, string>();
  #serverProtos: ProtobufCodec | undefined;
  #clientProtos: ProtobufCodec | undefined;
  #serverProtoRoutes = new Set<string>();
  #clientProtoRoutes = new Set<string>();
  isClosed = false;
  /** Settles once the socket is closed, whoever closed it. */
  readonly closed: Promise<void>;

  private constructor(socket: {
    write(bytes: Uint8Array): void;
    destroy(): void;
    end(): void;
    pause(): void;
    resume(): void;
    onClose(done: () => void): void;
  }) {
    this.#write = socket.write;
    this.#destroy = socket.destroy;
    this.#end = socket.end;
    this.#pause = socket.pause;
    this.#resume = socket.resume;
    this.closed = new Promise((resolve) =>
      socket.onClose(() => {
        this.isClosed = true;
        clearInterval(this.#heartbeats);
        resolve();
        this.#wake();
      }),
    );
  }

  /** Opens a socket to a connector's client port (no handshake yet). */
  static connect(transport: Transport, port: number): Promise<PinusClient> {
    return transport === 'ws' ? PinusClient.#ws(port) : PinusClient.#tcp(port);
  }

  static #tcp(port: number): Promise<PinusClient> {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const client = new PinusClient({
      write: (bytes) => socket.write(bytes),
      destroy: () => socket.destroy(),
      end: () => socket.end(),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      onClose: (done) => socket.on('close', done),
    });
    socket.on(
      'data',
      splitPackages((bytes) => client.#receive(bytes)),
    );
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(client));
      socket.once('error', reject);
    });
  }

  static #ws(port: number): Promise<PinusClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    ws.on('error', () => {});
    const client = new PinusClient({
      write: (bytes) => ws.send(bytes),
      destroy: () => ws.terminate(),
      end: () => ws.close(),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      onClose: (done) => ws.on('close', done),
    });
    ws.on('message', (data: Buffer) => client.#receive(data));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('close', () => reject(new Error('the websocket closed before it opened')));
    });
  }

  /** Every package received so far, in arrival order. */
  get packages(): readonly RawPackage[] {
    return this.#packages;
  }

  /** Every DATA message received so far, in arrival order. */
  get messages(): readonly DataMessage[] {
    return this.#messages;
  }

  /** Writes bytes as they are (one WebSocket frame, or a piece of the TCP stream). */
  send(bytes: Uint8Array): void {
    this.#write(bytes);
  }

  sendPackage(type: number, body?: Uint8Array): void {
    this.send(Package.encode(type, body));
  }

  /** Sends a HANDSHAKE with `request` (any JSON, or raw bytes) and resolves with the response body. */
  async handshake(request: unknown = JS_WEBSOCKET_HANDSHAKE): Promise<JsonObject> {
    const bytes = request instanceof Uint8Array ? request : Buffer.from(JSON.stringify(request));
    this.sendPackage(Package.TYPE_HANDSHAKE, bytes);
    const reply = await this.until('the handshake response', () =>
      this.#packages.find((pkg) => pkg.type === Package.TYPE_HANDSHAKE),
    );
    const response = JSON.parse(reply.body.toString('utf8')) as JsonObject;
    if (response['code'] === 200) this.#learn((response['sys'] ?? {}) as HandshakeSys);
    return response;
  }

  /** Handshake (which must succeed), then the ACK; resolves with the handshake response. */
  async open(request?: unknown): Promise<JsonObject> {
    const response = await this.handshake(request);
    if (response['code'] !== 200) throw new Error(`handshake refused: ${JSON.stringify(response)}`);
    this.sendPackage(Package.TYPE_HANDSHAKE_ACK);
    return response;
  }

  /** The dictionary code of `route`, from the handshake. */
  routeCode(route: string): number {
    const code = this.#routeToCode.get(route);
    if (code === undefined) throw new Error(`route ${route} is not in the dictionary`);
    return code;
  }

  /**
   * A request's bytes and id: the route as its dictionary code unless `compress` is false (or it
   * has none), the body as protobuf when the client protos have the route, else JSON.
   */
  encodeRequest(
    route: string,
    body: JsonObject,
    options: { readonly compress?: boolean } = {},
  ): { id: number; bytes: Buffer } {
    const id = this.#nextId++;
    this.#requestRoutes.set(id, route);
    return { id, bytes: this.#encode(id, Message.TYPE_REQUEST, route, body, options.compress) };
  }

  /** Sends a request; resolves with its id (wait for the answer with `response`). */
  request(route: string, body: JsonObject, options: { readonly compress?: boolean } = {}): number {
    const { id, bytes } = this.encodeRequest(route, body, options);
    this.send(bytes);
    return id;
  }

  /** Sends a request and waits for its response's body. */
  async call(
    route: string,
    body: JsonObject,
    options: { readonly compress?: boolean } = {},
  ): Promise<JsonObject> {
    return (await this.response(this.request(route, body, options))).body;
  }

  notify(route: string, body: JsonObject, options: { readonly compress?: boolean } = {}): void {
    this.send(this.#encode(0, Message.TYPE_NOTIFY, route, body, options.compress));
  }

  /** The response to request `id`. */
  response(id: number): Promise<DataMessage> {
    return this.until(`the response to request ${id}`, () =>
      this.#messages.find((message) => message.type === Message.TYPE_RESPONSE && message.id === id),
    );
  }

  /** The pushes of `route` received so far. */
  pushes(route: string): DataMessage[] {
    return this.#messages.filter((message) => message.type === Message.TYPE_PUSH && message.route === route);
  }

  /** The KICK package's reason. */
  async kicked(): Promise<string> {
    const kick = await this.until('a kick', () =>
      this.#packages.find((pkg) => pkg.type === Package.TYPE_KICK),
    );
    return (JSON.parse(kick.body.toString('utf8')) as { reason: string }).reason;
  }

  /**
   * Resolves with what `find` returns once it returns something, checked at every package that
   * arrives; rejects when the socket closes first. (The test's timeout bounds the wait.)
   */
  async until<T>(what: string, find: () => T | undefined | false): Promise<T> {
    for (;;) {
      const found = find();
      if (found !== undefined && found !== false) return found;
      if (this.isClosed) throw new Error(`the connection closed while waiting for ${what}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Sends a HEARTBEAT every `intervalMs` until the socket closes. */
  startHeartbeats(intervalMs: number): void {
    clearInterval(this.#heartbeats);
    this.#heartbeats = setInterval(() => this.sendPackage(Package.TYPE_HEARTBEAT), intervalMs);
  }

  /** Stops reading the socket: a client too slow to take what it is sent. */
  pauseReading(): void {
    this.#pause();
  }

  resumeReading(): void {
    this.#resume();
  }

  /** Closes politely: TCP FIN (half-close), or a WebSocket close frame. */
  end(): void {
    this.#end();
  }

  /** Drops the socket at once. */
  destroy(): void {
    clearInterval(this.#heartbeats);
    this.#destroy();
  }

  #learn(sys: HandshakeSys): void {
    for (const [route, code] of Object.entries(sys.dict ?? {})) {
      this.#routeToCode.set(route, code);
      this.#codeToRoute.set(code, route);
    }
    const { server, client } = sys.protos ?? {};
    if (server !== undefined) {
      this.#serverProtos = new ProtobufCodec(server);
      this.#serverProtoRoutes = new Set(Object.keys(server));
    }
    if (client !== undefined) {
      this.#clientProtos = new ProtobufCodec(client);
      this.#clientProtoRoutes = new Set(Object.keys(client));
    }
  }

  #encode(id: number, type: number, route: string, body: JsonObject, compress = true): Buffer {
    const code = compress ? this.#routeToCode.get(route) : undefined;
    const bytes = this.#clientProtoRoutes.has(route)
      ? (this.#clientProtos as ProtobufCodec).encode(route, body)
      : Buffer.from(JSON.stringify(body));
    const message = Message.encode(id, type, code !== undefined, code ?? route, bytes);
    return Package.encode(Package.TYPE_DATA, message);
  }

  #receive(bytes: Buffer): void {
    for (const pkg of decodePinusPackages(bytes)) {
      const body = pkg.body ?? Buffer.alloc(0);
      this.#packages.push({ type: pkg.type, body });
      if (pkg.type === Package.TYPE_DATA) this.#messages.push(this.#decodeData(body));
    }
    this.#wake();
  }

  #decodeData(bytes: Buffer): DataMessage {
    const message = Message.decode(bytes);
    const compressed = message.compressRoute !== 0;
    const route =
      message.type === Message.TYPE_RESPONSE
        ? (this.#requestRoutes.get(message.id) ?? '')
        : typeof message.route === 'number'
          ? (this.#codeToRoute.get(message.route) ?? `#${message.route}`)
          : (message.route ?? '');
    const protobuf = this.#serverProtoRoutes.has(route);
    // As a Pomelo client does: protobuf when the route has a proto, JSON otherwise.
    let body: JsonObject = {};
    let undecodable: string | undefined;
    try {
      body = protobuf
        ? (this.#serverProtos as ProtobufCodec).decode(route, message.body)
        : (JSON.parse(message.body.toString('utf8')) as JsonObject);
    } catch (error) {
      undecodable = `${error instanceof Error ? error.message : String(error)}: ${message.body.toString('hex')}`;
    }
    return { id: message.id, type: message.type, route, compressed, protobuf, body, undecodable };
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
