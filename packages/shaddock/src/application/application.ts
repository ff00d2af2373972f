import type { ChannelService } from '../channel/index.js';
import type { ClusterConfig, ProcessIdentity } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { HandlerSource } from '../handler/index.js';
import { LocalMembership, type ServerInfo } from '../membership/index.js';
import type {
  Remotes,
  RouteFunction,
  RpcAfterFilter,
  RpcBeforeFilter,
  RpcClient,
  RpcProxy,
  SystemRemotes,
} from '../rpc/index.js';
import type { BackendSessionService, SessionService } from '../session/index.js';
import { type Component, ComponentList } from './component.js';
import { type HandlerFilter, HandlerFilters } from './filters.js';
import { Lifecycle, LifecycleHook, type LifecycleListener } from './lifecycle.js';
import type { Plugin } from './plugin.js';
import { startApplication, stopApplication } from './run.js';
import { ServiceRegistry } from './services.js';

/** Where an application is in its life. */
export const AppState = {
  Created: 'created',
  Starting: 'starting',
  Started: 'started',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;

/** One of {@link AppState}'s values. */
export type AppState = (typeof AppState)[keyof typeof AppState];

/** A component, or a function that makes one from the application. */
export type ComponentSource = Component | ((app: Application) => Component);

/** What a server process is; the master has the type `master`. */
export const MASTER_TYPE = 'master';

/**
 * One process of a Shaddock cluster: its identity, its settings, its components and its view of
 * the cluster. Made by `createApp()`; `start()` runs it as the master or as a server.
 */
export class Application {
  readonly env: string;
  /** The app's folder, the one that holds `config/`. */
  readonly base: string;
  /** The folder that holds `app/servers/<type>/{handler,remote}`: the entry's folder (`dist/` for a compiled app). */
  readonly appDir: string;
  readonly serverId: string;
  readonly serverType: string;
  readonly cluster: ClusterConfig;
  readonly identity: ProcessIdentity;
  /** Every server this process knows is up; kept current by the master's announcements. */
  readonly membership = new LocalMembership();
  readonly components = new ComponentList();
  readonly lifecycle = new Lifecycle<Application>();
  readonly filters = new HandlerFilters();
  readonly rpcFilters: { readonly before: RpcBeforeFilter[]; readonly after: RpcAfterFilter[] } = {
    before: [],
    after: [],
  };
  readonly routes = new Map<string, RouteFunction>();
  /** What components provide: `app.services.get('sessionService')` and so on. */
  readonly services = new ServiceRegistry();
  readonly startTime = Date.now();
  #state: AppState = AppState.Created;
  #currentServer: ServerInfo;
  readonly #settings = new Map<string, unknown>();
  #rpc: RpcProxy<Remotes> | undefined;
  #sysrpc: RpcProxy<SystemRemotes> | undefined;
  #rpcClient: RpcClient | undefined;
  readonly #explicitRemotes = new Map<string, object>();
  readonly #explicitHandlers = new Map<string, HandlerSource>();

  constructor(options: {
    identity: ProcessIdentity;
    cluster: ClusterConfig;
    currentServer: ServerInfo;
    appDir?: string;
  }) {
    this.identity = options.identity;
    this.cluster = options.cluster;
    this.env = options.cluster.env;
    this.base = options.cluster.base;
    this.appDir = options.appDir ?? options.cluster.base;
    this.#currentServer = options.currentServer;
    this.serverId = options.currentServer.id;
    this.serverType = options.currentServer.serverType;
  }

  get state(): AppState {
    return this.#state;
  }

  /** Typed calls to the remotes of every server type (see `Remotes`); there once the RPC component started. */
  get rpc(): RpcProxy<Remotes> {
    if (!this.#rpc)
      throw new ShaddockError(ErrorCode.AppState, 'app.rpc is there once the RPC component has started');
    return this.#rpc;
  }

  /** Calls to the framework's own remotes on other servers (forwarding, sessions, channels). */
  get sysrpc(): RpcProxy<SystemRemotes> {
    if (!this.#sysrpc)
      throw new ShaddockError(ErrorCode.AppState, 'app.sysrpc is there once the RPC component has started');
    return this.#sysrpc;
  }

  /** The RPC client behind `rpc` and `sysrpc`, for calls by server id (the framework's own). */
  get rpcClient(): RpcClient {
    if (!this.#rpcClient)
      throw new ShaddockError(
        ErrorCode.AppState,
        'the RPC client is there once the RPC component has started',
      );
    return this.#rpcClient;
  }

  /** Set by the RPC component when it starts. */
  attachRpc(client: RpcClient, rpc: RpcProxy<Remotes>, sysrpc: RpcProxy<SystemRemotes>): void {
    this.#rpcClient = client;
    this.#rpc = rpc;
    this.#sysrpc = sysrpc;
  }

  /** Remotes registered with {@link registerRemote}, by name. */
  get explicitRemotes(): ReadonlyMap<string, object> {
    return this.#explicitRemotes;
  }

  /**
   * Offers `remote` to other servers as `app.rpc.<this type>.<name>`, besides the remotes found in
   * `app/servers/<type>/remote/` (for bundlers and tests).
   */
  registerRemote(name: string, remote: object): this {
    this.#assertNotStarted(`register remote "${name}"`);
    this.#explicitRemotes.set(name, remote);
    return this;
  }

  /** Handlers registered with {@link registerHandler}, by name. */
  get explicitHandlers(): ReadonlyMap<string, HandlerSource> {
    return this.#explicitHandlers;
  }

  /**
   * Serves `handler`'s methods as `<this type>.<name>.<method>` routes, besides the handlers found
   * in `app/servers/<type>/handler/` (for bundlers and tests).
   */
  registerHandler(name: string, handler: HandlerSource): this {
    this.#assertNotStarted(`register handler "${name}"`);
    this.#explicitHandlers.set(name, handler);
    return this;
  }

  /** The frontend's sessions (frontends only). */
  get sessionService(): SessionService {
    return this.services.get('sessionService');
  }

  /** Sessions on any frontend, seen from this server. */
  get backendSessionService(): BackendSessionService {
    return this.services.get('backendSessionService');
  }

  get channelService(): ChannelService {
    return this.services.get('channelService');
  }

  /**
   * Runs this process: as the master (spawns and watches every server) or as a server (connects
   * to the master, starts its components, reports ready). Rejects when a component fails to start.
   */
  start(): Promise<void> {
    this.#assertNotStarted('start');
    return startApplication(this);
  }

  /**
   * Stops gracefully: `beforeShutdown` hooks, then every component stops taking new work and
   * finishes what is in flight (up to `deadlineMs`), then `stop(force)` in reverse load order.
   */
  stop(force = false, deadlineMs = 10_000): Promise<void> {
    return stopApplication(this, force, deadlineMs);
  }

  /** Moves to `state`; the runner in `run.ts` owns the transitions. */
  enter(state: AppState): void {
    this.#state = state;
  }

  // Settings, as Pomelo's set/get/enable/disable.

  set(key: string, value: unknown): this {
    this.#settings.set(key, value);
    return this;
  }

  get<T = unknown>(key: string): T | undefined {
    return this.#settings.get(key) as T | undefined;
  }

  enable(key: string): this {
    return this.set(key, true);
  }

  disable(key: string): this {
    return this.set(key, false);
  }

  enabled(key: string): boolean {
    return this.#settings.get(key) === true;
  }

  disabled(key: string): boolean {
    return !this.enabled(key);
  }

  /**
   * Runs `configure` when this process matches: `env` and `serverType` take `|`-separated lists
   * (`'production|development'`, `'connector|gate'`) and `'all'` matches everything.
   */
  configure(env: string, configure: (app: this) => void): this;
  configure(env: string, serverType: string, configure: (app: this) => void): this;
  configure(
    env: string,
    typeOrConfigure: string | ((app: this) => void),
    maybeConfigure?: (app: this) => void,
  ): this {
    const serverType = typeof typeOrConfigure === 'string' ? typeOrConfigure : 'all';
    const configure = typeof typeOrConfigure === 'function' ? typeOrConfigure : maybeConfigure;
    if (matches(env, this.env) && matches(serverType, this.serverType)) configure?.(this);
    return this;
  }

  // Components, plugins, hooks.

  /** Loads a component (or a factory of one); it starts with the others, in load order. */
  load(source: ComponentSource): this {
    this.#assertNotStarted('load a component');
    this.components.add(typeof source === 'function' ? source(this) : source);
    return this;
  }

  /** Registers a plugin: its components, hooks and anything else its `install` does. */
  use<Options>(plugin: Plugin<Options>, options: Options): this {
    this.#assertNotStarted(`use plugin "${plugin.name}"`);
    plugin.install(this, options);
    return this;
  }

  /** Adds a lifecycle hook: `beforeStartup`, `afterStartup`, `afterStartAll` or `beforeShutdown`. */
  hook(hook: LifecycleHook, listener: LifecycleListener<Application>): this {
    this.lifecycle.add(hook, listener);
    return this;
  }

  beforeStartup(listener: LifecycleListener<Application>): this {
    return this.hook(LifecycleHook.BeforeStartup, listener);
  }

  afterStartup(listener: LifecycleListener<Application>): this {
    return this.hook(LifecycleHook.AfterStartup, listener);
  }

  afterStartAll(listener: LifecycleListener<Application>): this {
    return this.hook(LifecycleHook.AfterStartAll, listener);
  }

  beforeShutdown(listener: LifecycleListener<Application>): this {
    return this.hook(LifecycleHook.BeforeShutdown, listener);
  }

  // Filters and routes.

  before(filter: HandlerFilter): this {
    this.filters.before.push(filter);
    return this;
  }

  after(filter: HandlerFilter): this {
    this.filters.after.push(filter);
    return this;
  }

  globalBefore(filter: HandlerFilter): this {
    this.filters.globalBefore.push(filter);
    return this;
  }

  globalAfter(filter: HandlerFilter): this {
    this.filters.globalAfter.push(filter);
    return this;
  }

  rpcBefore(filter: RpcBeforeFilter): this {
    this.rpcFilters.before.push(filter);
    return this;
  }

  rpcAfter(filter: RpcAfterFilter): this {
    this.rpcFilters.after.push(filter);
    return this;
  }

  /** Chooses the server of `serverType` that takes a call; the default is a consistent hash of the uid. */
  route(serverType: string, route: RouteFunction): this {
    this.routes.set(serverType, route);
    return this;
  }

  // The cluster as this process sees it.

  /** Every server up now, by id (the master is not listed). */
  getServers(): Readonly<Record<string, ServerInfo>> {
    return Object.fromEntries(this.membership.servers().map((server) => [server.id, server]));
  }

  getServersByType(serverType: string): readonly ServerInfo[] {
    return this.membership.byType(serverType);
  }

  getServerById(id: string): ServerInfo | undefined {
    return this.membership.get(id);
  }

  /** Every server `servers.json` lists for this environment, up or not. */
  getServersFromConfig(): readonly ServerInfo[] {
    return this.cluster.servers;
  }

  getCurServer(): ServerInfo {
    return this.#currentServer;
  }

  isMaster(): boolean {
    return this.serverType === MASTER_TYPE;
  }

  isFrontend(server: ServerInfo = this.#currentServer): boolean {
    return server.frontend;
  }

  isBackend(server: ServerInfo = this.#currentServer): boolean {
    return !server.frontend && server.serverType !== MASTER_TYPE;
  }

  #assertNotStarted(action: string): void {
    if (this.#state !== AppState.Created) {
      throw new ShaddockError(ErrorCode.AppState, `cannot ${action} once the application has started`);
    }
  }
}

function matches(pattern: string, value: string): boolean {
  return pattern.split('|').some((part) => part.trim() === 'all' || part.trim() === value);
}
