import type { ChannelService } from '../channel/index.js';
import type { CronService } from '../cron/index.js';
import { type HandlerFilter, HandlerFilters, type HandlerSource } from '../handler/index.js';
import { Kernel, type KernelOptions } from '../kernel/index.js';
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
import { startApplication, stopApplication } from './run.js';

/** The RPC filter lists the application fills. */
interface MutableRpcFilters {
  readonly before: RpcBeforeFilter[];
  readonly after: RpcAfterFilter[];
}

/**
 * One process of a Shaddock cluster, as apps see it: the {@link Kernel} (identity, settings,
 * components, lifecycle, services, membership, logger) plus the built-in features' front doors —
 * `rpc`, `channelService`, `sessionService`, filters, routes — each read from the service its
 * component provides. Made by `createApp()`; `start()` runs it as the master or as a server.
 */
export class Application extends Kernel {
  readonly #handlerFilters = new HandlerFilters();
  readonly #rpcFilters: MutableRpcFilters = { before: [], after: [] };
  readonly #routes = new Map<string, RouteFunction>();
  readonly #explicitRemotes = new Map<string, object>();
  readonly #explicitHandlers = new Map<string, HandlerSource>();

  constructor(options: KernelOptions) {
    super(options);
    this.services.provide('handlerFilters', this.#handlerFilters);
    this.services.provide('rpcFilters', this.#rpcFilters);
    this.services.provide('rpcRoutes', this.#routes);
  }

  /** Typed calls to the remotes of every server type (see `Remotes`); there once the RPC component started. */
  get rpc(): RpcProxy<Remotes> {
    return this.services.get('rpc');
  }

  /** Calls to the framework's own remotes on other servers (forwarding, sessions, channels). */
  get sysrpc(): RpcProxy<SystemRemotes> {
    return this.services.get('sysrpc');
  }

  /** The RPC client behind `rpc` and `sysrpc`, for calls by server id. */
  get rpcClient(): RpcClient {
    return this.services.get('rpcClient');
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

  /** This server's crons (`config/crons.json`, and `add`/`remove` at run time; not on the master). */
  get cronService(): CronService {
    return this.services.get('cronService');
  }

  /** The handler filter lists, in the order they were added. */
  get filters(): HandlerFilters {
    return this.#handlerFilters;
  }

  /** The RPC filter lists, in the order they were added. */
  get rpcFilters(): MutableRpcFilters {
    return this.#rpcFilters;
  }

  /** The route functions by server type. */
  get routes(): ReadonlyMap<string, RouteFunction> {
    return this.#routes;
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
    this.assertNotStarted(`register remote "${name}"`);
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
    this.assertNotStarted(`register handler "${name}"`);
    this.#explicitHandlers.set(name, handler);
    return this;
  }

  /**
   * Runs this process: as the master (spawns and watches every server) or as a server (joins the
   * cluster, starts its components, reports ready). Rejects when a component fails to start.
   */
  start(): Promise<void> {
    this.assertNotStarted('start');
    return startApplication(this);
  }

  /**
   * Stops gracefully: `beforeShutdown` hooks, then every component stops taking new work and
   * finishes what is in flight (up to `deadlineMs`), then `stop(force)` in reverse load order.
   */
  stop(force = false, deadlineMs = 10_000): Promise<void> {
    return stopApplication(this, force, deadlineMs);
  }

  /**
   * Registers a plugin: its components, hooks and anything else its `install` does. Its options
   * may be left out when every one of them is optional.
   */
  use<Options>(plugin: Plugin<Options>, ...options: OptionsArgument<Options>): this {
    this.assertNotStarted(`use plugin "${plugin.name}"`);
    plugin.install(this, (options[0] ?? {}) as Options);
    return this;
  }

  // Filters and routes.

  before(filter: HandlerFilter): this {
    this.#handlerFilters.before.push(filter);
    return this;
  }

  after(filter: HandlerFilter): this {
    this.#handlerFilters.after.push(filter);
    return this;
  }

  globalBefore(filter: HandlerFilter): this {
    this.#handlerFilters.globalBefore.push(filter);
    return this;
  }

  globalAfter(filter: HandlerFilter): this {
    this.#handlerFilters.globalAfter.push(filter);
    return this;
  }

  rpcBefore(filter: RpcBeforeFilter): this {
    this.#rpcFilters.before.push(filter);
    return this;
  }

  rpcAfter(filter: RpcAfterFilter): this {
    this.#rpcFilters.after.push(filter);
    return this;
  }

  /** Chooses the server of `serverType` that takes a call; the default is a consistent hash of the uid. */
  route(serverType: string, route: RouteFunction): this {
    this.#routes.set(serverType, route);
    return this;
  }
}

/**
 * A package that extends applications: `install` adds its components (`app.load`), lifecycle
 * hooks, filters, routes and remotes. Registered with `app.use(plugin, options)`.
 *
 * @example
 * ```ts
 * export const statusPlugin: Plugin<{ prefix: string }> = {
 *   name: 'status',
 *   install(app, options) {
 *     app.load({ name: 'status', start: () => connect(options.prefix) });
 *   },
 * };
 * ```
 */
/** A plugin's options as `use` takes them: optional when every option is. */
type OptionsArgument<Options> = Partial<Options> extends Options ? [options?: Options] : [options: Options];

export interface Plugin<Options = void> {
  readonly name: string;
  install(app: Application, options: Options): void;
}
