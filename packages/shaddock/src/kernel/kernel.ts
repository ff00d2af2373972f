import type { ClusterConfig, ProcessIdentity } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { Logger } from '../logging/index.js';
import { MASTER_TYPE, type Membership, type ServerInfo } from '../membership/index.js';
import { type Component, ComponentList } from './component.js';
import { Lifecycle, LifecycleHook, type LifecycleListener } from './lifecycle.js';
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

/** What a kernel is made of: who this process is, the cluster's config and the drivers chosen for it. */
export interface KernelOptions {
  readonly identity: ProcessIdentity;
  readonly cluster: ClusterConfig;
  readonly currentServer: ServerInfo;
  /** The folder holding `app/servers/<type>/{handler,remote}`; default `cluster.base`. */
  readonly appDir?: string;
  /** Who is in the cluster: the chosen membership driver. */
  readonly membership: Membership;
  /** The process's root logger (`serverId` and `serverType` bound). */
  readonly logger: Logger;
}

/**
 * The ground floor of every process: its identity, its settings, its components and their
 * lifecycle, the services they provide to each other, and the drivers chosen at start-up
 * (membership, logger). It knows no feature: the connector, sessions, channels, handlers and RPC
 * are components that the bootstrap (`server/`) loads, and they find each other through
 * {@link Kernel.services}.
 */
export class Kernel {
  readonly env: string;
  /** The app's folder, the one that holds `config/`. */
  readonly base: string;
  /** The folder that holds `app/servers/<type>/{handler,remote}`: the entry's folder (`dist/` for a compiled app). */
  readonly appDir: string;
  readonly serverId: string;
  readonly serverType: string;
  readonly cluster: ClusterConfig;
  readonly identity: ProcessIdentity;
  /** Every server this process knows is up (the chosen membership driver). */
  readonly membership: Membership;
  /** This process's logger: JSON lines carrying the server id and type. */
  readonly logger: Logger;
  readonly components = new ComponentList();
  readonly lifecycle = new Lifecycle<this>();
  /** What components provide: `app.services.get('sessionService')` and so on. */
  readonly services = new ServiceRegistry();
  readonly startTime = Date.now();
  #state: AppState = AppState.Created;
  readonly #currentServer: ServerInfo;
  readonly #settings = new Map<string, unknown>();

  constructor(options: KernelOptions) {
    this.identity = options.identity;
    this.cluster = options.cluster;
    this.env = options.cluster.env;
    this.base = options.cluster.base;
    this.appDir = options.appDir ?? options.cluster.base;
    this.#currentServer = options.currentServer;
    this.serverId = options.currentServer.id;
    this.serverType = options.currentServer.serverType;
    this.membership = options.membership;
    this.logger = options.logger;
  }

  get state(): AppState {
    return this.#state;
  }

  /** Moves to `state`; the bootstrap's runner owns the transitions. */
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

  // Components and hooks.

  /** Loads a component (or a factory of one); it starts with the others, in load order. */
  load(source: Component | ((app: this) => Component)): this {
    this.assertNotStarted('load a component');
    this.components.add(typeof source === 'function' ? source(this) : source);
    return this;
  }

  /** Adds a lifecycle hook: `beforeStartup`, `afterStartup`, `afterStartAll` or `beforeShutdown`. */
  hook(hook: LifecycleHook, listener: LifecycleListener<this>): this {
    this.lifecycle.add(hook, listener);
    return this;
  }

  beforeStartup(listener: LifecycleListener<this>): this {
    return this.hook(LifecycleHook.BeforeStartup, listener);
  }

  afterStartup(listener: LifecycleListener<this>): this {
    return this.hook(LifecycleHook.AfterStartup, listener);
  }

  afterStartAll(listener: LifecycleListener<this>): this {
    return this.hook(LifecycleHook.AfterStartAll, listener);
  }

  beforeShutdown(listener: LifecycleListener<this>): this {
    return this.hook(LifecycleHook.BeforeShutdown, listener);
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

  /** Throws a coded error once the application has started: `action` is for before `start()`. */
  assertNotStarted(action: string): void {
    if (this.#state !== AppState.Created) {
      throw new ShaddockError(ErrorCode.AppState, `cannot ${action} once the application has started`);
    }
  }
}

function matches(pattern: string, value: string): boolean {
  return pattern.split('|').some((part) => part.trim() === 'all' || part.trim() === value);
}
