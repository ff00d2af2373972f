import {
  type Msg,
  type NatsConnection,
  nuid,
  RequestError,
  type Status,
  type Subscription,
  TimeoutError,
} from '@nats-io/transport-node';
import {
  getLogger,
  type LinkAddress,
  type LinkConnectOptions,
  type LinkListenOptions,
  type Logger,
  type RpcLink,
} from 'shaddock';
import {
  type FramedSocket,
  newNonce,
  type PayloadHandlers,
  proofMatches,
  secretOrDevelopment,
} from 'shaddock/internal';
import { asError, type ConnectionHost, NatsLinkConnection } from './rpc-link-connection.js';
import { DropLog, DropReason } from './rpc-link-drops.js';
import { type ListenerHost, NatsRpcListener, settleWithin } from './rpc-link-listener.js';
import {
  checkClusterName,
  checkServerId,
  clientOpenProof,
  connectionKey,
  DEFAULT_MAX_PAYLOAD,
  decodeOpenReply,
  encodeOpenRequest,
  HEADER_LENGTH,
  MessageKind,
  randomConnectionId,
  read32,
  rpcCallerDataSubject,
  rpcOpenSubject,
  rpcServerDataSubject,
  rpcSubjectPrefix,
  serverOpenProof,
} from './rpc-link-wire.js';

/** Options of {@link NatsRpcLink}. */
export interface NatsRpcLinkOptions {
  /** The cluster's name: every subject is under `shaddock.<cluster>.rpc`, so clusters may share a NATS. */
  readonly cluster: string;
  /** The NATS connection, asked for on the first `connect` or `listen` (a shared one). */
  readonly connection: () => Promise<NatsConnection>;
  /** Gives the connection back; called by `close()` when the link obtained it. */
  readonly release?: () => Promise<void>;
  /** How this process appears to its peers (their connections' `remoteAddress`; default: a random id). */
  readonly name?: string;
  /** Where dropped messages and failures are logged (default: the `rpc` category logger). */
  readonly logger?: Logger;
}

// How much longer than the client's connect timeout a server may wait for the client's proof (it
// waits the listener's handshake timeout at most).
const CONFIRM_SLACK_MS = 10_000;
// How long close() waits for the NATS server to have the last messages.
const CLOSE_FLUSH_MS = 1_000;

/**
 * The RPC link over NATS, for servers that cannot reach each other directly: connections carry the
 * TCP link's frames as NATS messages, one per connection per event-loop turn. A server listens on
 * `shaddock.<cluster>.rpc.<serverId>.open` (request/reply: each end learns the other's subject and
 * connection id, and both prove they know the cluster secret over fresh nonces: see
 * `rpc-link-wire.ts`) and receives its connections' data on a subject of its own; a client receives on
 * one subject per link. A connection to a server nobody serves fails at once (NATS "no responders");
 * a message NATS lost closes its connection (each direction is numbered); when the NATS connection
 * drops, every connection closes, so calls fail at once instead of waiting for their deadline.
 *
 * @example
 * const link = new NatsRpcLink({ cluster: 'prod', connection: async () => nc });
 * const server = new RpcServer({ host: '', port: 0, serverId: 'chat-1', remotes, link });
 */
export class NatsRpcLink implements RpcLink {
  readonly name = 'nats';
  /** The cluster whose subjects the link uses. */
  readonly cluster: string;
  readonly #options: NatsRpcLinkOptions;
  readonly #logger: Logger;
  readonly #drops: DropLog;
  readonly #prefix: string;
  readonly #callerSubject: string;
  readonly #peerName: string;
  readonly #connections = new Map<number, NatsLinkConnection>();
  readonly #listeners = new Set<NatsRpcListener>();
  #ready: Promise<NatsConnection> | undefined;
  #nc: NatsConnection | undefined;
  #subscription: Subscription | undefined;
  #statuses: AsyncIterable<Status> | undefined;
  // the NATS connection closed under the link: it takes no new connection
  #dead: Error | undefined;
  #closed: Promise<void> | undefined;
  // connections to flush at the end of this turn (and the array kept for the next turn)
  #dirty: NatsLinkConnection[] = [];
  #spare: NatsLinkConnection[] = [];
  #flushScheduled = false;
  // NATS drops what is published while it is disconnected: the close messages wait for the reconnect
  #disconnected = false;
  #closesAfterReconnect: Array<{ readonly subject: string; readonly message: Uint8Array }> = [];
  readonly #host: ConnectionHost & ListenerHost;

  constructor(options: NatsRpcLinkOptions) {
    checkClusterName(options.cluster);
    this.cluster = options.cluster;
    this.#options = options;
    this.#logger = options.logger ?? getLogger('rpc');
    this.#drops = new DropLog(this.#logger);
    this.#prefix = rpcSubjectPrefix(options.cluster);
    const id = nuid.next();
    this.#callerSubject = rpcCallerDataSubject(options.cluster, id);
    this.#peerName = options.name ?? `nats-link-${id}`;
    this.#host = this.#makeHost();
  }

  /** Messages received and dropped (foreign, malformed, for a closed connection, or out of sequence). */
  get droppedMessages(): number {
    return this.#drops.total;
  }

  /** Connections open now, both ends. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  async connect(
    target: LinkAddress,
    options: LinkConnectOptions,
    handlers: PayloadHandlers,
  ): Promise<FramedSocket> {
    checkServerId(target.id);
    const timeout = options.connectTimeout;
    const deadline = performance.now() + timeout;
    const failure = (reason: string, cause?: unknown): Error =>
      new Error(`cannot open an RPC connection to ${target.id} over NATS: ${reason}`, { cause });
    let nc: NatsConnection;
    try {
      nc = await withTimeout(this.#connection(), timeout);
    } catch (error) {
      throw failure(asError(error).message, error);
    }
    // the open request would be lost (NATS drops what is published while it is disconnected)
    if (this.#disconnected) throw failure('the NATS connection is down');
    const connection = this.#register(target.id, options.maxFrameLength);
    connection.hold();
    const secret = secretOrDevelopment(options.secret);
    const clientNonce = newNonce();
    let reply: ReturnType<typeof decodeOpenReply>;
    try {
      const request = encodeOpenRequest({
        subject: this.#callerSubject,
        id: connection.id,
        from: this.#peerName,
        confirmWithin: timeout + CONFIRM_SLACK_MS,
        nonce: clientNonce,
      });
      const remaining = Math.max(1, Math.round(deadline - performance.now()));
      const message = await nc.request(rpcOpenSubject(this.cluster, target.id), request, {
        timeout: remaining,
      });
      reply = decodeOpenReply(message.data, this.#prefix);
    } catch (error) {
      connection.destroy();
      throw failure(describeRequestError(error, target.id, timeout), error);
    }
    if (reply === undefined)
      this.#drops.drop(DropReason.MalformedOpen, { peer: target.id, detail: 'open reply' });
    if (reply === undefined || 'error' in reply || connection.gone) {
      connection.destroy();
      const reason =
        reply === undefined ? 'malformed reply' : 'error' in reply ? reply.error : 'closed while opening';
      throw failure(reason);
    }
    const parts = {
      clientNonce,
      serverNonce: reply.nonce,
      from: this.#peerName,
      clientSubject: this.#callerSubject,
      clientConnection: connection.id,
      serverId: target.id,
      serverSubject: reply.subject,
      serverConnection: reply.id,
    };
    if (!proofMatches(serverOpenProof(secret, parts), reply.proof)) {
      connection.destroy();
      this.#drops.drop(DropReason.Unauthenticated, { peer: target.id, detail: 'open reply' });
      throw failure('it did not prove it belongs to the cluster (another secret, or an impostor)');
    }
    connection.open(reply.subject, reply.id);
    connection.secure(connectionKey(secret, parts), 'client');
    try {
      connection.confirm(clientOpenProof(secret, parts));
    } catch (error) {
      connection.destroy(asError(error));
      throw failure(asError(error).message, error);
    }
    connection.attach(handlers);
    // what the server sent already is delivered once the caller has the connection
    setImmediate(releaseHeld, connection);
    return connection;
  }

  async listen(
    self: LinkAddress,
    options: LinkListenOptions,
    onConnection: (socket: FramedSocket) => PayloadHandlers,
  ): Promise<NatsRpcListener> {
    checkServerId(self.id);
    const nc = await this.#connection();
    const subjects = {
      serverId: self.id,
      open: rpcOpenSubject(this.cluster, self.id),
      data: rpcServerDataSubject(this.cluster, self.id, nuid.next()),
    };
    const { secret, handshakeTimeout, onRefused } = options;
    const listener = new NatsRpcListener(
      this.#host,
      nc,
      subjects,
      options.maxFrameLength,
      { secret, handshakeTimeout, onRefused },
      onConnection,
    );
    this.#listeners.add(listener);
    // the NATS server knows the subscriptions before anyone is told this server listens
    await nc.flush();
    return listener;
  }

  /** Ends every listener and connection (their peers are told), then releases the NATS connection. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    const ready = this.#ready;
    if (ready === undefined) return;
    let nc: NatsConnection | undefined;
    try {
      nc = await ready;
    } catch {
      return;
    }
    await Promise.all([...this.#listeners].map((listener) => listener.close()));
    for (const connection of [...this.#connections.values()]) connection.close();
    this.#stopWatching();
    if (!nc.isClosed()) await settleWithin(nc.flush(), CLOSE_FLUSH_MS);
    this.#nc = undefined;
    await this.#options.release?.();
  }

  #connection(): Promise<NatsConnection> {
    if (this.#closed !== undefined) return Promise.reject(new Error('the NATS RPC link is closed'));
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    this.#ready ??= this.#open().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #open(): Promise<NatsConnection> {
    const nc = await this.#options.connection();
    this.#nc = nc;
    this.#subscription = nc.subscribe(this.#callerSubject, { callback: this.#onData });
    void nc.closed().then((error) => {
      if (this.#nc !== nc) return;
      this.#dead = new Error('the NATS connection closed', { cause: error });
      if (this.#closed === undefined)
        this.#logger.error({ err: error }, 'the NATS connection of the RPC link closed');
      this.#destroyAll(this.#dead);
    });
    const statuses = nc.status();
    this.#statuses = statuses;
    void this.#watch(statuses);
    return nc;
  }

  // NATS loses what is published to a client while it is disconnected: the streams are broken
  async #watch(statuses: AsyncIterable<Status>): Promise<void> {
    try {
      for await (const status of statuses) {
        if (status.type === 'disconnect') {
          this.#disconnected = true;
          this.#destroyAll(new Error(`the NATS connection to ${status.server} was lost`));
        } else if (status.type === 'reconnect') {
          this.#disconnected = false;
          this.#sendDeferredCloses();
        }
      }
    } catch (error) {
      this.#logger.warn({ err: asError(error) }, 'the NATS status watch of the RPC link ended');
    }
  }

  #stopWatching(): void {
    try {
      this.#subscription?.unsubscribe();
    } catch {
      // the NATS connection is closed: so is the subscription
    }
    const statuses = this.#statuses as { stop?: () => void } | undefined;
    statuses?.stop?.();
    this.#statuses = undefined;
  }

  #sendDeferredCloses(): void {
    const closes = this.#closesAfterReconnect;
    this.#closesAfterReconnect = [];
    for (const { subject, message } of closes) {
      try {
        this.#nc?.publish(subject, message);
      } catch {
        // gone again: the peers learn it from membership
      }
    }
  }

  #destroyAll(error: Error): void {
    for (const connection of [...this.#connections.values()]) connection.destroy(error);
  }

  #register(remoteAddress: string, maxFrameLength: number | undefined): NatsLinkConnection {
    let id = randomConnectionId();
    while (this.#connections.has(id)) id = randomConnectionId();
    const connection = new NatsLinkConnection(this.#host, id, remoteAddress, maxFrameLength);
    this.#connections.set(id, connection);
    return connection;
  }

  // Every data message of the link's subjects: the header is checked here, the rest by the connection.
  readonly #onData = (error: Error | null, msg: Msg): void => {
    if (error !== null) {
      this.#drops.drop(DropReason.Subscription, { err: error });
      return;
    }
    try {
      const data = msg.data;
      const kind = data[0];
      if (
        data.length < HEADER_LENGTH ||
        (kind !== MessageKind.Data && kind !== MessageKind.Close && kind !== MessageKind.Opened)
      ) {
        this.#drops.drop(DropReason.Malformed, { subject: msg.subject });
        return;
      }
      const connection = this.#connections.get(read32(data, 1));
      if (connection === undefined) this.#drops.drop(DropReason.UnknownConnection, { subject: msg.subject });
      else connection.receive(data);
    } catch (thrown) {
      this.#logger.error({ err: asError(thrown), subject: msg.subject }, 'an RPC message over NATS failed');
    }
  };

  readonly #flushAll = (): void => {
    this.#flushScheduled = false;
    const dirty = this.#dirty;
    this.#dirty = this.#spare;
    for (let index = 0; index < dirty.length; index++) {
      const connection = dirty[index]!;
      connection.queued = false;
      connection.flush();
    }
    dirty.length = 0;
    this.#spare = dirty;
  };

  #makeHost(): ConnectionHost & ListenerHost {
    return {
      logger: this.#logger,
      prefix: this.#prefix,
      onData: this.#onData,
      maxPayload: () => this.#nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
      publish: (subject, message) => {
        const nc = this.#nc;
        if (nc === undefined) throw new Error('the NATS RPC link has no NATS connection');
        if (this.#disconnected && message[0] === MessageKind.Close) {
          this.#closesAfterReconnect.push({ subject, message });
        } else nc.publish(subject, message);
      },
      schedule: (connection) => {
        this.#dirty.push(connection);
        if (!this.#flushScheduled) {
          this.#flushScheduled = true;
          // after this pass of the event loop: every frame it caused leaves in one message per connection
          setImmediate(this.#flushAll);
        }
      },
      forget: (connection) => {
        this.#connections.delete(connection.id);
      },
      unlisten: (listener) => {
        this.#listeners.delete(listener);
      },
      accept: (from, maxFrameLength) => this.#register(from, maxFrameLength),
      dropped: (reason, fields) => this.#drops.drop(reason, fields),
    };
  }
}

/**
 * The RPC link over NATS (see {@link NatsRpcLink}).
 *
 * @example
 * const link = natsRpcLink({ cluster: 'prod', connection: () => shared.acquire(), release: () => shared.release() });
 */
export function natsRpcLink(options: NatsRpcLinkOptions): NatsRpcLink {
  return new NatsRpcLink(options);
}

function releaseHeld(connection: NatsLinkConnection): void {
  connection.release();
}

function describeRequestError(error: unknown, serverId: string, timeout: number): string {
  if (error instanceof RequestError && error.isNoResponders()) return `no server listens as ${serverId}`;
  if (error instanceof TimeoutError) return `no answer within ${timeout} ms`;
  return asError(error).message;
}

/** `promise`, or a rejection after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no NATS connection within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
