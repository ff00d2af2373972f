/**
 * The load generator's client: one WebSocket speaking the Pomelo protocol through
 * `@shaddock/protocol` (handshake, ACK, heartbeats, requests, notifies, pushes), as lean as a
 * client can be and the same for every target. At most one request is in flight per client; what
 * arrives goes to the client's {@link ClientListener}, which the running scenario sets.
 *
 * With the raw ws target (`style: 'raw'`), frames come back as they were sent: an echoed request
 * stands for the response, a relayed notify for the push.
 */
import {
  decodeHandshakeResponse,
  decodeMessage,
  decodePackages,
  encodeHandshakeRequest,
  encodePackage,
  type JsonObject,
  MAX_MESSAGE_ID,
  MessageCodec,
  MessageType,
  PackageType,
  RouteDictionary,
} from '@shaddock/protocol';
import WebSocket from 'ws';
import { describeError } from '../rpc/messages.js';

/** How a target's frames come back: `pomelo` (a real server) or `raw` (frames passed through). */
export type WireStyle = 'pomelo' | 'raw';

/** What a scenario hears from a client. */
export interface ClientListener {
  /** The response to the client's request (its id checked), as encoded body bytes. */
  response(client: BenchClient, body: Uint8Array): void;
  /** A push: its route (a dictionary code, or the route when uncompressed) and body bytes. */
  push(client: BenchClient, route: string | number, body: Uint8Array): void;
}

/** Where the client reports what should not happen: kicks, unexpected closes, bad frames. */
export interface ProblemSink {
  problem(client: BenchClient, what: string): void;
}

/** How to connect one client. */
export interface ConnectOptions {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  /** A 127.0.0.x source address, when the ports of one are not enough. */
  readonly localAddress?: string | undefined;
  readonly style: WireStyle;
  readonly problems: ProblemSink;
  /** The handshake must be done within this, in milliseconds. */
  readonly timeoutMs: number;
}

const HANDSHAKE = encodeHandshakeRequest({ sys: { type: 'shaddock-bench', version: '0.1.0' } });
const HANDSHAKE_ACK = encodePackage(PackageType.HandshakeAck);
const HEARTBEAT = encodePackage(PackageType.Heartbeat);
const IGNORE: ClientListener = { response: () => {}, push: () => {} };

/** One connection of the load generator. */
export class BenchClient {
  readonly index: number;
  readonly style: WireStyle;
  /** Heartbeat interval from the handshake, in milliseconds (0: none). */
  heartbeatMs = 0;
  /** When the next heartbeat is due, on the `performance.now()` clock. */
  nextHeartbeatAt = 0;
  listener: ClientListener = IGNORE;
  /** Set by scenarios: where this client is in its sequence of work. */
  cursor = 0;
  /** When the pending request left, on the `process.hrtime.bigint()` clock. */
  sentAt = 0n;
  /** What the pending response must hold. */
  expected: Uint8Array | undefined;
  #codec = new MessageCodec();
  #dictionary: RouteDictionary | undefined;
  readonly #socket: WebSocket;
  readonly #problems: ProblemSink;
  #nextId = 1;
  #pendingId = 0;
  #closing = false;
  #closed = false;
  readonly #closedPromise: Promise<void>;

  private constructor(options: ConnectOptions, socket: WebSocket) {
    this.index = options.index;
    this.style = options.style;
    this.#socket = socket;
    this.#problems = options.problems;
    this.#closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Opens the socket and completes the handshake; rejects on failure or after `timeoutMs`. */
  static connect(options: ConnectOptions): Promise<BenchClient> {
    const socket = new WebSocket(`ws://${options.host}:${options.port}/`, {
      perMessageDeflate: false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const client = new BenchClient(options, socket);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (what: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.#closing = true;
        socket.terminate();
        reject(new Error(`client ${options.index} to ${options.host}:${options.port}: ${what}`));
      };
      const timer = setTimeout(() => fail(`no handshake within ${options.timeoutMs} ms`), options.timeoutMs);
      socket.once('open', () => socket.send(HANDSHAKE));
      socket.on('error', (error) => {
        if (!settled) fail(describeError(error));
        else client.#report(`socket error: ${describeError(error)}`);
      });
      socket.on('close', (code) => {
        client.#closed = true;
        if (!settled) fail(`closed (${code}) before the handshake was done`);
        else if (!client.#closing) client.#report(`closed by the server (${code})`);
      });
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (settled) {
          client.#frame(data, isBinary);
          return;
        }
        try {
          if (!client.#handshake(data)) return;
          settled = true;
          clearTimeout(timer);
          resolve(client);
        } catch (error) {
          fail(`bad handshake: ${describeError(error)}`);
        }
      });
    });
  }

  /** The dictionary code of `route` (the route itself when the server compresses nothing). */
  routeCode(route: string): string | number {
    return this.#dictionary?.codeOf(route) ?? route;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a request is waiting for its response. */
  get busy(): boolean {
    return this.#pendingId !== 0;
  }

  /** Sends a request; its response goes to `listener.response`. One at a time. */
  request(route: string, body: JsonObject): void {
    if (this.#pendingId !== 0) throw new Error(`client ${this.index} already has a request in flight`);
    const id = this.#nextId;
    this.#nextId = id >= MAX_MESSAGE_ID ? 1 : id + 1;
    this.#pendingId = id;
    this.#socket.send(this.#codec.encodeRequest(id, route, body));
  }

  /** Sends a notify. */
  notify(route: string, body: JsonObject): void {
    this.#socket.send(this.#codec.encodeNotify(route, body));
  }

  /** Sends a heartbeat and schedules the next one. */
  heartbeat(now: number): void {
    this.nextHeartbeatAt = now + this.heartbeatMs;
    if (!this.#closed) this.#socket.send(HEARTBEAT);
  }

  /** Closes the connection at once (no close handshake); resolves once it is closed. */
  close(): Promise<void> {
    this.#closing = true;
    if (!this.#closed) this.#socket.terminate();
    return this.#closedPromise;
  }

  /** Reads the handshake response; true once it is accepted and the ACK sent. */
  #handshake(data: Buffer): boolean {
    for (const pack of decodePackages(data)) {
      if (pack.type !== PackageType.Handshake) continue;
      const response = decodeHandshakeResponse(pack.body);
      if (response.code !== 200) throw new Error(`handshake refused with code ${String(response.code)}`);
      const sys = response.sys ?? {};
      if (sys.useDict && sys.dict) {
        this.#dictionary = RouteDictionary.fromCodes(sys.dict);
        this.#codec = new MessageCodec({ dictionary: this.#dictionary });
      }
      this.heartbeatMs = (sys.heartbeat ?? 0) * 1000;
      this.nextHeartbeatAt = performance.now() + this.heartbeatMs;
      this.#socket.send(HANDSHAKE_ACK);
      return true;
    }
    return false;
  }

  #frame(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      this.#report('a text frame');
      return;
    }
    try {
      for (const pack of decodePackages(data)) {
        if (pack.type === PackageType.Data) this.#message(pack.body);
        else if (pack.type === PackageType.Kick) this.#report(`kicked: ${Buffer.from(pack.body).toString()}`);
        else if (pack.type !== PackageType.Heartbeat)
          this.#report(`an unexpected package of type ${pack.type}`);
      }
    } catch (error) {
      this.#report(`an unreadable frame: ${describeError(error)}`);
    }
  }

  #message(bytes: Uint8Array): void {
    const message = decodeMessage(bytes);
    const raw = this.style === 'raw';
    const isResponse = message.type === (raw ? MessageType.Request : MessageType.Response);
    if (isResponse) {
      if (message.id !== this.#pendingId || message.id === 0) {
        this.#report(`a response to request ${message.id}, ${this.#pendingId} was pending`);
        return;
      }
      this.#pendingId = 0;
      this.listener.response(this, message.body);
    } else if (message.type === (raw ? MessageType.Notify : MessageType.Push)) {
      this.listener.push(this, message.route, message.body);
    } else {
      this.#report(`an unexpected message of type ${message.type}`);
    }
  }

  #report(what: string): void {
    this.#problems.problem(this, what);
  }
}
