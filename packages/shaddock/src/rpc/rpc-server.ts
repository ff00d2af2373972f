import { ErrorCode, ShaddockError } from '../errors.js';
import { type FramedListener, type FramedSocket, listenFramed } from '../transport/index.js';
import { ReplyStatus, readRequest, remoteFailure } from './protocol.js';
import type { RemoteMethodEntry, RemoteRegistry } from './remote-registry.js';

/** Options of {@link RpcServer}. */
export interface RpcServerOptions {
  host: string;
  /** The RPC port; 0 picks a free one. */
  port: number;
  /** This server's id, for messages. */
  serverId: string;
  /** The remotes it serves. */
  remotes: RemoteRegistry;
  /** The largest request accepted, in bytes (default 64 MiB). */
  maxFrameLength?: number;
}

/**
 * Serves this process's remotes: runs each request frame's method with its arguments and replies
 * with the result or the error (its message and `code`). Replies leave in one write per turn.
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
  readonly #remotes: RemoteRegistry;
  #listener: FramedListener | undefined;
  #stopping = false;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: RpcServerOptions) {
    this.serverId = options.serverId;
    this.#options = options;
    this.#remotes = options.remotes;
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts listening; resolves to the bound port. */
  async start(): Promise<number> {
    if (this.#listener) return this.#listener.port;
    const { host, port, maxFrameLength } = this.#options;
    this.#listener = await listenFramed({
      host,
      port,
      ...(maxFrameLength === undefined ? {} : { maxFrameLength }),
      onConnection: (socket) => {
        // stopping: a peer that connects now gets a closed connection, so its calls fail at once
        if (this.#stopping) socket.destroy();
        return { onMessage: (message) => this.#onRequest(socket, message) };
      },
    });
    return this.#listener.port;
  }

  /**
   * Stops: new connections are refused and new calls are answered `ServerUnavailable`
   * ('stopping'); calls in flight get up to `deadlineMs` to finish; then every connection is
   * closed after its pending replies.
   */
  stop(deadlineMs = 10_000): Promise<void> {
    this.#stopped ??= this.#stop(deadlineMs);
    return this.#stopped;
  }

  async #stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#inFlight > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = setTimeout(resolve, deadlineMs);
      });
      clearTimeout(timer);
      this.#drained = undefined;
    }
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
  }

  #onRequest(socket: FramedSocket, message: unknown): void {
    const request = readRequest(message);
    if (request === undefined) {
      throw new ShaddockError(ErrorCode.RpcProtocol, `malformed request from ${socket.remoteAddress}`);
    }
    const id = request[0];
    if (this.#stopping) {
      socket.send([id, ReplyStatus.Refused, ErrorCode.ServerUnavailable, 'stopping']);
      return;
    }
    const entry = this.#remotes.find(request[1], request[2], request[3], request[4]);
    if (entry === undefined) {
      const name = `${request[1]} ${request[2]}.${request[3]}.${request[4]}`;
      socket.send([
        id,
        ReplyStatus.Refused,
        ErrorCode.UnknownRemote,
        `no remote method ${name} on ${this.serverId}`,
      ]);
      return;
    }
    this.#inFlight++;
    void this.#run(socket, id, entry, request[5]);
  }

  async #run(socket: FramedSocket, id: number, entry: RemoteMethodEntry, args: unknown[]): Promise<void> {
    let reply: unknown[];
    try {
      reply = [id, ReplyStatus.Ok, await entry.method.apply(entry.instance, args)];
    } catch (thrown) {
      reply = remoteFailure(id, thrown);
    }
    try {
      socket.send(reply);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      socket.send([
        id,
        ReplyStatus.Refused,
        ErrorCode.RpcProtocol,
        `the result could not be encoded: ${reason}`,
      ]);
    }
    if (--this.#inFlight === 0) this.#drained?.();
  }
}
