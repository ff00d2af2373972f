import { NoServerForRoute, RemoteError, RpcTimeout, ServerUnavailable } from '../errors.js';
import type { Logger } from '../logging/index.js';
import type { MembershipView } from '../membership/index.js';
import { type RpcLink, secretOrDevelopment, tcpRpcLink } from '../transport/index.js';
import { CallTable, MAX_CALL_ID } from './call-table.js';
import { ConsistentHashRouter, type RouteFunction } from './consistent-hash-router.js';
import { DeadlineQueue } from './deadline-queue.js';
import { type RpcFilters, runFiltered } from './filters.js';
import { type CallSettler, PendingCall } from './pending-call.js';
import { DEFAULT_RPC_MAX_FRAME_LENGTH, describeThrown, type RpcTarget } from './protocol.js';
import { type RemoteMethodEntry, type RemoteRegistry, unknownRemote } from './remote-registry.js';
import { RouteTable } from './route-table.js';
import { type ConnectionSettings, ServerConnection } from './server-connection.js';

/** Options of {@link RpcClient}. */
export interface RpcClientOptions {
  /** This process's server id: calls to it run in-process through `local`. */
  serverId: string;
  /** Where servers are found; a server leaving fails its calls at once. */
  membership: MembershipView;
  /** The deadline of a call, in milliseconds (default 10 000). */
  timeout?: number;
  /** How servers are reached (default: TCP, {@link tcpRpcLink}). */
  link?: RpcLink;
  /** Milliseconds allowed to open a connection (default 5 000). */
  connectTimeout?: number;
  /** The largest reply accepted, in bytes (default 8 MiB, as the server's bound on requests). */
  maxFrameLength?: number;
  /**
   * The cluster secret it proves to every server, and requires each to prove back (default: the
   * well-known development one; `createApp` passes the cluster's).
   */
  secret?: string;
  /** Before/after filter lists, read at each call (the application's `rpcBefore`/`rpcAfter`). */
  filters?: RpcFilters;
  /** One log line per call: target, server, duration, outcome. */
  rpcDebugLog?: boolean;
  /** Where the debug log and after-filter failures go (default: the `rpc` category logger). */
  logger?: Logger;
  /** This process's remotes, for calls addressed to its own server id (no socket). */
  local?: RemoteRegistry;
  /** Route functions per server type (the application's `app.route`); others use the consistent hash. */
  routes?: ReadonlyMap<string, RouteFunction>;
  /** The default router (default: a {@link ConsistentHashRouter} on `membership`). */
  router?: ConsistentHashRouter;
}

/** Per-call options. */
export interface RpcInvokeOptions {
  /** This call's deadline in milliseconds, instead of the client's. */
  timeout?: number;
}

/**
 * Calls remotes on other servers: one persistent connection per server, opened on first use,
 * reopened on the next call after a drop. Every call has a deadline; a call to a server that is
 * not in membership fails at once, and the calls on a connection fail at once when it drops or
 * when membership removes its server.
 *
 * @example
 * const client = new RpcClient({ serverId: 'connector-1', membership });
 * const users = await client.invoke('chat-1', { namespace: 'user', serverType: 'chat', remote: 'chatRemote', method: 'add' }, ['u1', 'room']);
 */
export class RpcClient {
  readonly #serverId: string;
  readonly #membership: MembershipView;
  readonly #timeout: number;
  readonly #filters: RpcFilters | undefined;
  readonly #logger: Logger | undefined;
  readonly #debugLog: boolean;
  readonly #local: RemoteRegistry | undefined;
  readonly #routes: ReadonlyMap<string, RouteFunction> | undefined;
  readonly #router: ConsistentHashRouter;
  readonly #ownsRouter: boolean;
  readonly #connections = new Map<string, ServerConnection>();
  readonly #targets = new RouteTable();
  readonly #localCalls = { pending: new CallTable<PendingCall>(), nextId: 1 };
  readonly #deadlines = new DeadlineQueue<PendingCall>((call) => this.#expire(call));
  readonly #settings: ConnectionSettings;
  readonly #unsubscribe: () => void;
  readonly #settler: CallSettler = { settle: (call, error, result) => this.#settle(call, error, result) };
  #closed = false;

  constructor(options: RpcClientOptions) {
    this.#serverId = options.serverId;
    this.#membership = options.membership;
    this.#timeout = options.timeout ?? 10_000;
    this.#filters = options.filters;
    this.#logger = options.logger;
    this.#debugLog = options.rpcDebugLog === true;
    this.#local = options.local;
    this.#routes = options.routes;
    this.#ownsRouter = options.router === undefined;
    this.#router = options.router ?? new ConsistentHashRouter(options.membership);
    this.#settings = {
      link: options.link ?? tcpRpcLink,
      connectTimeout: options.connectTimeout ?? 5_000,
      maxFrameLength: options.maxFrameLength ?? DEFAULT_RPC_MAX_FRAME_LENGTH,
      secret: secretOrDevelopment(options.secret),
      self: options.serverId,
    };
    this.#unsubscribe = options.membership.on('remove', (server) => this.#onRemoved(server.id));
  }

  /** Calls in flight, remote and local. */
  get pendingCount(): number {
    let count = this.#localCalls.pending.size;
    for (const connection of this.#connections.values()) count += connection.pending.size;
    return count;
  }

  /**
   * Calls `target` on server `serverId` with `args`. Rejects with `ServerUnavailable` (not in
   * membership, connection failed or dropped, client closed), `RpcTimeout`, `RemoteError` (the
   * remote threw: its message and code), or a `ShaddockError` with `UnknownRemote`.
   */
  invoke(serverId: string, target: RpcTarget, args: unknown[], options?: RpcInvokeOptions): Promise<unknown> {
    const filters = this.#filters;
    if (
      !this.#debugLog &&
      (filters === undefined || (filters.before.length === 0 && filters.after.length === 0))
    ) {
      return this.#invoke(serverId, target, args, options?.timeout ?? this.#timeout);
    }
    const call = { ...target, serverId };
    return runFiltered(call, args, filters, this.#logger, this.#debugLog, () =>
      this.#invoke(serverId, target, args, options?.timeout ?? this.#timeout),
    );
  }

  /** Picks the server for `routeParam` (the type's route function, else the consistent hash), then calls it. */
  invokeRoute(
    target: RpcTarget,
    routeParam: unknown,
    args: unknown[],
    options?: RpcInvokeOptions,
  ): Promise<unknown> {
    let serverId: string | Promise<string>;
    try {
      serverId = this.route(target.serverType, routeParam);
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof serverId === 'string') return this.invoke(serverId, target, args, options);
    return serverId.then((chosen) => this.invoke(chosen, target, args, options));
  }

  /** Calls `target` on every server of its type; resolves to the results by server id, or rejects with the first failure. */
  async broadcast(
    target: RpcTarget,
    args: unknown[],
    options?: RpcInvokeOptions,
  ): Promise<Record<string, unknown>> {
    const servers = this.#membership.byType(target.serverType);
    const results = await Promise.all(servers.map((server) => this.invoke(server.id, target, args, options)));
    const byServer: Record<string, unknown> = {};
    servers.forEach((server, index) => {
      byServer[server.id] = results[index];
    });
    return byServer;
  }

  /** The server id that takes a call of `serverType` with this route parameter. Throws `NoServerForRoute`. */
  route(serverType: string, routeParam: unknown): string | Promise<string> {
    const routeFunction = this.#routes?.get(serverType);
    if (routeFunction === undefined) return this.#router.route(serverType, routeParam);
    const servers = this.#membership.byType(serverType);
    if (servers.length === 0) throw new NoServerForRoute(serverType, 'none is running');
    const chosen = routeFunction(routeParam, servers);
    return typeof chosen === 'string'
      ? checkChosen(serverType, chosen)
      : chosen.then((id) => checkChosen(serverType, id));
  }

  /** Fails every call in flight with `ServerUnavailable` and closes every connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    if (this.#ownsRouter) this.#router.dispose();
    for (const connection of this.#connections.values()) {
      connection.close(new ServerUnavailable(connection.serverId, 'the rpc client is closed'));
    }
    this.#connections.clear();
    for (const call of this.#localCalls.pending.values()) {
      this.#settle(call, new ServerUnavailable(call.serverId, 'the rpc client is closed'));
    }
    this.#deadlines.clear();
  }

  #settle(call: PendingCall, error: Error | undefined, result?: unknown): void {
    if (call.settled) return;
    call.settled = true;
    call.connection?.pending.delete(call.id);
    this.#deadlines.release(call);
    if (error) call.reject(error);
    else call.resolve(result);
  }

  #invoke(serverId: string, target: RpcTarget, args: unknown[], timeout: number): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ServerUnavailable(serverId, 'the rpc client is closed'));
    if (serverId === this.#serverId && this.#local)
      return this.#invokeLocal(this.#local, target, args, timeout);
    const server = this.#membership.get(serverId);
    if (server === undefined) return Promise.reject(new ServerUnavailable(serverId, 'not in membership'));
    if (server.port === undefined)
      return Promise.reject(new ServerUnavailable(serverId, 'it has no rpc port'));
    let connection = this.#connections.get(serverId);
    if (connection === undefined) {
      connection = new ServerConnection(serverId, this.#settler, this.#settings);
      this.#connections.set(serverId, connection);
    }
    const call = new PendingCall(serverId, this.#targets.resolve(target), args, timeout);
    this.#deadlines.add(call);
    connection.send(call, server);
    return call.promise;
  }

  #invokeLocal(local: RemoteRegistry, target: RpcTarget, args: unknown[], timeout: number): Promise<unknown> {
    const { namespace, serverType, remote, method } = target;
    const entry = local.find(namespace, serverType, remote, method);
    if (entry === undefined) return Promise.reject(unknownRemote(namespace, serverType, remote, method));
    const call = new PendingCall(this.#serverId, this.#targets.resolve(target), args, timeout);
    const calls = this.#localCalls;
    call.id = calls.nextId;
    calls.nextId = call.id === MAX_CALL_ID ? 1 : call.id + 1;
    call.connection = calls;
    calls.pending.set(call.id, call);
    this.#deadlines.add(call);
    void this.#runLocal(call, entry);
    return call.promise;
  }

  async #runLocal(call: PendingCall, entry: RemoteMethodEntry): Promise<void> {
    try {
      this.#settle(call, undefined, await entry.method.apply(entry.instance, call.args));
    } catch (thrown) {
      const { message, code } = describeThrown(thrown);
      this.#settle(call, new RemoteError(call.serverId, message, code));
    }
  }

  #expire(call: PendingCall): void {
    // the deadline queue already let go of it: settle without releasing
    call.settled = true;
    call.connection?.pending.delete(call.id);
    const { serverType, remote, method } = call.route;
    call.reject(new RpcTimeout(call.serverId, `${serverType}.${remote}.${method}`, call.timeout));
  }

  #onRemoved(serverId: string): void {
    const connection = this.#connections.get(serverId);
    if (connection === undefined) return;
    this.#connections.delete(serverId);
    connection.close(new ServerUnavailable(serverId, 'removed from membership'));
  }
}

function checkChosen(serverType: string, chosen: unknown): string {
  if (typeof chosen !== 'string' || chosen === '') {
    throw new NoServerForRoute(serverType, `the route function returned ${String(chosen)}`);
  }
  return chosen;
}
