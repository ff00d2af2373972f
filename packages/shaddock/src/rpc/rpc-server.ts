import { ErrorCode, RequestError, ShaddockError } from '../errors.js';
import { type Logger, RepeatLimiter } from '../logging/index.js';
import {
  decodePayload,
  type FramedSocket,
  type HandshakeRefusal,
  type LinkListener,
  type LinkListenOptions,
  type PayloadHandlers,
  PayloadReader,
  type PayloadWriter,
  type RpcLink,
  secretOrDevelopment,
  tcpRpcLink,
} from '../transport/index.js';
import {
  DEFAULT_RPC_MAX_FRAME_LENGTH,
  DEFAULT_RPC_MAX_PENDING_BYTES,
  HELLO,
  ReplyStatus,
  type RpcTarget,
  readRequest,
  remoteFailure,
} from './protocol.js';
import type { RemoteMethodEntry, RemoteRegistry } from './remote-registry.js';

/** How long a drained RPC server waits for its last replies to reach their callers. */
const REPLY_SETTLE_MS = 25;

/** Options of {@link RpcServer}. */
export interface RpcServerOptions {
  host: string;
  /** The RPC port; 0 picks a free one. */
  port: number;
  /** This server's id, for messages. */
  serverId: string;
  /** The remotes it serves. */
  remotes: RemoteRegistry;
  /** The largest request accepted, in bytes (default {@link DEFAULT_RPC_MAX_FRAME_LENGTH}): a peer that sends more is cut. */
  maxFrameLength?: number;
  /** Bytes of replies queued for a peer that does not read them, past which it is cut (default {@link DEFAULT_RPC_MAX_PENDING_BYTES}). */
  maxPendingBytes?: number;
  /**
   * The cluster secret every client proves it knows before any of its frames is read (default:
   * the well-known development one; `createApp` passes the cluster's, and refuses production
   * without one).
   */
  secret?: string;
  /** Milliseconds from a client's connection to its valid proof (default 5 000). */
  handshakeTimeout?: number;
  /** Milliseconds a client not yet authenticated may stay silent (default 2 000; TCP). */
  handshakeIdleTimeout?: number;
  /** How clients reach it (default: TCP, {@link tcpRpcLink}). */
  link?: RpcLink;
  /**
   * Where remotes that throw are reported, with their route and stack (rate-limited per route),
   * and peers refused or cut (rate-limited per reason).
   */
  logger?: Logger;
}

/**
 * Serves this process's remotes: runs each request frame's method with its arguments and replies
 * with the result or the error (its message and `code`). Replies leave in one write per turn.
 * Each client proves it belongs to the cluster first (the link's handshake): one that does not is
 * closed after its first frame, with nothing dispatched, and logged (once per reason per window).
 *
 * @example
 * const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId: 'chat-1', remotes });
 * const port = await server.start();
 * // …
 * await server.stop(5_000);
 */
export class RpcServer {
  readonly serverId: string;
  readonly #options: RpcServerOptions;
  readonly #state: ServerState;
  #listener: LinkListener | undefined;
  #stopped: Promise<void> | undefined;
  #drained: Promise<void> | undefined;

  constructor(options: RpcServerOptions) {
    this.serverId = options.serverId;
    this.#options = options;
    this.#state = new ServerState(options.serverId, options.remotes, options.logger);
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.#state.inFlight;
  }

  /** Starts listening; resolves to the bound port. */
  async start(): Promise<number> {
    if (this.#listener) return this.#listener.port;
    const { host, port, serverId, link = tcpRpcLink } = this.#options;
    const { handshakeTimeout, handshakeIdleTimeout } = this.#options;
    const options: LinkListenOptions = {
      maxFrameLength: this.#options.maxFrameLength ?? DEFAULT_RPC_MAX_FRAME_LENGTH,
      maxPendingBytes: this.#options.maxPendingBytes ?? DEFAULT_RPC_MAX_PENDING_BYTES,
      secret: secretOrDevelopment(this.#options.secret),
      ...(handshakeTimeout === undefined ? {} : { handshakeTimeout }),
      ...(handshakeIdleTimeout === undefined ? {} : { idleTimeout: handshakeIdleTimeout }),
      onRefused: (refusal) => this.#state.refused(refusal),
    };
    this.#listener = await link.listen({ id: serverId, host, port }, options, (socket) => {
      // stopping: a peer that connects now gets a closed connection, so its calls fail at once
      if (this.#state.stopping) socket.destroy();
      else socket.send(HELLO);
      return new CallerConnection(socket, this.#state);
    });
    return this.#listener.port;
  }

  /**
   * Stops: new connections are refused and new calls are answered `ServerUnavailable`
   * ('stopping'); calls in flight get up to `deadlineMs` to finish (see {@link RpcServer.drain});
   * the listener stays open `lingerMs` more, refusing so, then every connection is closed after
   * its pending replies.
   */
  stop(deadlineMs = 10_000, lingerMs = 0): Promise<void> {
    this.#stopped ??= this.#stop(deadlineMs, lingerMs);
    return this.#stopped;
  }

  /**
   * New calls are answered `ServerUnavailable` ('stopping', at once) from now on; resolves once
   * the calls in flight finished, or after `deadlineMs` (logged with the count it cut). The
   * listener stays open: a stopping server drains while still in membership (so that its callers
   * keep their calls in flight), then leaves, then `stop` closes it.
   */
  drain(deadlineMs = 10_000): Promise<void> {
    this.#drained ??= this.#drain(deadlineMs);
    return this.#drained;
  }

  async #drain(deadlineMs: number): Promise<void> {
    const state = this.#state;
    state.stopping = true;
    if (state.inFlight > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        state.drained = resolve;
        timer = setTimeout(resolve, deadlineMs);
      });
      clearTimeout(timer);
      state.drained = undefined;
    }
    if (state.inFlight > 0) {
      this.#options.logger?.warn(
        { inFlight: state.inFlight, deadlineMs },
        `stopped with ${state.inFlight} calls in flight after ${deadlineMs} ms: their callers get ServerUnavailable`,
      );
    }
    // The last replies leave in the turn's coalesced write: let them reach their callers before the
    // server leaves membership, which fails the calls a caller still has in flight on it.
    await new Promise((resolve) => setTimeout(resolve, REPLY_SETTLE_MS));
  }

  async #stop(deadlineMs: number, lingerMs: number): Promise<void> {
    await this.drain(deadlineMs);
    // callers that have not heard yet that this server left membership are refused, not met by a closed port
    if (lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, lingerMs));
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
  }
}

/** What the connections of one server share. */
class ServerState {
  readonly serverId: string;
  readonly remotes: RemoteRegistry;
  stopping = false;
  inFlight = 0;
  drained: (() => void) | undefined;
  readonly #logger: Logger | undefined;
  // a remote failing on every call is one full line, then a count
  readonly #repeats = new RepeatLimiter();

  constructor(serverId: string, remotes: RemoteRegistry, logger: Logger | undefined) {
    this.serverId = serverId;
    this.remotes = remotes;
    this.#logger = logger;
  }

  /** Logs a peer refused before it proved itself: one line per reason per window, never its bytes. */
  refused(refusal: HandshakeRefusal): void {
    if (this.#logger === undefined) return;
    const { reason, remoteAddress, remotePort } = refusal;
    this.#repeats.log(
      this.#logger,
      'warn',
      `refused: ${reason}`,
      { reason, remoteAddress, remotePort },
      `refused an RPC connection from ${remoteAddress}: ${reason} (nothing it sent was run)`,
    );
  }

  /** Logs a connection cut for what its peer did (an oversize frame, replies it does not read): once per kind per window. */
  cut(socket: FramedSocket, error: Error): void {
    if (this.#logger === undefined) return;
    const kind = /exceeds maxFrameLength/.test(error.message)
      ? 'oversize frame'
      : /does not read/.test(error.message)
        ? 'peer does not read'
        : /malformed request|undecodable/.test(error.message)
          ? 'malformed request'
          : undefined;
    if (kind === undefined) return;
    this.#repeats.log(
      this.#logger,
      'warn',
      `cut: ${kind}`,
      { reason: kind, remoteAddress: socket.remoteAddress, err: error },
      `closed the RPC connection from ${socket.remoteAddress}: ${error.message}`,
    );
  }

  /** Logs a remote that threw, unless it refused on purpose (a `RequestError`). */
  failed(route: RpcTarget, thrown: unknown): void {
    if (this.#logger === undefined || thrown instanceof RequestError) return;
    const name = `${route.namespace} ${route.serverType}.${route.remote}.${route.method}`;
    const err = thrown instanceof Error ? thrown : new Error(String(thrown));
    this.#repeats.log(this.#logger, 'error', name, { err, remote: name }, `remote ${name} failed`);
  }

  finished(): void {
    if (--this.inFlight === 0) this.drained?.();
  }
}

/** A target a connection's client named, with its method once found. */
interface ServedRoute extends RpcTarget {
  entry: RemoteMethodEntry | undefined;
}

/**
 * One client's connection: its requests, and the targets it asked the server to keep by route
 * id (see `protocol.ts`). A kept target's method is found once; a name that finds none is looked
 * up again at each call, so a remote registered later is found, and is always refused meanwhile.
 */
class CallerConnection implements PayloadHandlers {
  readonly #socket: FramedSocket;
  readonly #state: ServerState;
  readonly #routes: (ServedRoute | undefined)[] = [];
  readonly #reader = new PayloadReader();

  constructor(socket: FramedSocket, state: ServerState) {
    this.#socket = socket;
    this.#state = state;
  }

  // `[id, routeId, args]`, the common case, is read in place; anything else is decoded whole
  onPayload(source: Buffer, start: number, end: number): void {
    const reader = this.#reader;
    reader.reset(source, start, end);
    if (reader.arrayLength() === 3) {
      const id = reader.uint();
      const routeId = reader.uint();
      const route = id >= 0 && routeId >= 0 ? this.#routes[routeId] : undefined;
      if (route !== undefined) {
        const args = reader.rest();
        if (!Array.isArray(args)) throw this.#malformed();
        this.#call(id, route, args);
        return;
      }
    }
    this.#onNamedRequest(decodePayload(source, start, end));
  }

  #onNamedRequest(message: unknown): void {
    const request = readRequest(message);
    if (request === undefined) throw this.#malformed();
    const [id, namespace, serverType, remote, method, args, routeId] = request;
    const route: ServedRoute = { namespace, serverType, remote, method, entry: undefined };
    if (routeId !== undefined) this.#routes[routeId] = route;
    this.#call(id, route, args);
  }

  // the peer is gone: an error here is what ended it (an oversize frame, unread replies…)
  onClose(error: Error | undefined): void {
    if (error !== undefined) this.#state.cut(this.#socket, error);
  }

  #malformed(): ShaddockError {
    return new ShaddockError(ErrorCode.RpcProtocol, `malformed request from ${this.#socket.remoteAddress}`);
  }

  #call(id: number, route: ServedRoute, args: unknown[]): void {
    const state = this.#state;
    if (state.stopping) {
      this.#refuse(id, ErrorCode.ServerUnavailable, 'stopping');
      return;
    }
    const entry = route.entry ?? this.#find(route);
    if (entry === undefined) {
      const name = `${route.namespace} ${route.serverType}.${route.remote}.${route.method}`;
      this.#refuse(id, ErrorCode.UnknownRemote, `no remote method ${name} on ${state.serverId}`);
      return;
    }
    state.inFlight++;
    this.#run(id, route, entry, args);
  }

  #run(id: number, route: ServedRoute, entry: RemoteMethodEntry, args: unknown[]): void {
    let result: unknown;
    try {
      result = entry.method.apply(entry.instance, args);
    } catch (thrown) {
      this.#fail(id, route, thrown);
      return;
    }
    // a plain value is answered now, without a turn through a promise; a promise (or any
    // thenable) when it settles
    if (!isThenable(result)) this.#succeed(id, result);
    else {
      const promise = result instanceof Promise ? result : Promise.resolve(result);
      promise.then(
        (value: unknown) => this.#succeed(id, value),
        (thrown: unknown) => this.#fail(id, route, thrown),
      );
    }
  }

  #refuse(id: number, code: ErrorCode, message: string): void {
    this.#socket.send([id, ReplyStatus.Refused, code, message]);
  }

  #find(route: ServedRoute): RemoteMethodEntry | undefined {
    const entry = this.#state.remotes.find(route.namespace, route.serverType, route.remote, route.method);
    route.entry = entry;
    return entry;
  }

  #succeed(id: number, value: unknown): void {
    try {
      this.#socket.sendEncoded(writeResult, id, value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#refuse(id, ErrorCode.RpcProtocol, `the result could not be encoded: ${reason}`);
    }
    this.#state.finished();
  }

  #fail(id: number, route: ServedRoute, thrown: unknown): void {
    this.#state.failed(route, thrown);
    try {
      this.#socket.send(remoteFailure(id, thrown));
    } catch (error) {
      // an error too large (or odd) to send: the caller still gets an answer
      const reason = error instanceof Error ? error.message : String(error);
      this.#refuse(id, ErrorCode.RpcProtocol, `the remote's error could not be sent: ${reason}`);
    }
    this.#state.finished();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value instanceof Promise) return true;
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return typeof (value as { then?: unknown }).then === 'function';
}

/** `[id, 0, result]` */
function writeResult(writer: PayloadWriter, id: number, result: unknown): void {
  writer.array(3);
  writer.uint(id);
  writer.uint(ReplyStatus.Ok);
  writer.value(result);
}
