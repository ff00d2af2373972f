import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readProcessIdentity } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { HandlerFilter } from '../handler/index.js';
import { getLogger, type Logger } from '../logging/index.js';
import { MASTER_TYPE, type ServerInfo } from '../membership/index.js';
import type { RpcClient } from '../rpc/index.js';
import { type Application, createApp, type Plugin } from '../server/index.js';
import { type Callback, isThenable, settle } from './callback.js';
import { PomeloChannelService } from './channels.js';
import {
  adaptComponent,
  makeComponent,
  type PomeloPlugin,
  pluginParts,
  requireFile,
  runStep,
} from './components.js';
import { translateConnectorConfig } from './connectors.js';
import { events } from './events.js';
import {
  adaptAfter,
  adaptBefore,
  adaptErrorHandler,
  type PomeloErrorHandler,
  type PomeloFilterArgument,
} from './filters.js';
import { pomeloFolderLoader } from './handlers.js';
import { createCallbackRpc, type RpcHost, type RpcInvokeMessage, routeMessage, rpcInvoke } from './rpc.js';
import { PomeloSession, toPomeloSession } from './session.js';
import { PomeloBackendSessionService, PomeloSessionService } from './sessions.js';

/** Options of Pomelo's `createApp`. */
export interface PomeloAppOptions {
  /** The app's folder (holding `config/` and `app/`); default the main script's folder. */
  readonly base?: string;
}

/** Pomelo's route function: `(routeParam, msg, app, cb(err, serverId))`. */
export type PomeloRouteFunction = (
  routeParam: unknown,
  message: unknown,
  app: PomeloApplication,
  callback: (error: unknown, serverId?: string) => void,
) => unknown;

/** Pomelo's RPC filter: `before/after(serverId, msg, opts, next)`. */
interface PomeloRpcFilter {
  before?(serverId: string, message: object, options: object, next: (error?: unknown) => void): unknown;
  after?(serverId: string, message: object, options: object, next: (error?: unknown) => void): unknown;
}

/** What is replayed on the native application when `start` makes it. */
type Setup = (native: Application) => void;

/** The settings the native connector reads under the same name. */
const NATIVE_SETTINGS = new Set(['sessionConfig', 'broadcastFilter', 'rpcTimeout', 'rpcDebugLog']);

/**
 * A Pomelo 2.x application over Shaddock's native one (`shaddock/pomelo`'s `createApp()`). It is
 * made synchronously, as Pomelo's: settings, `configure`, filters, routes, components and plugins
 * are kept and given to the native application that `start(cb)` makes; the names Pomelo apps read
 * (`app.get('channelService')`, `app.rpc…(…, cb)`, sessions with callbacks) are adapters over
 * the native services. What cannot be honoured is said once at start-up, one log line per item.
 */
export class PomeloApplication {
  /** Pomelo's `app.event`: `add_servers`, `remove_servers`, `bind_session`, `unbind_session`, `close_session`, `start_server`, `start_all`. */
  readonly event = new EventEmitter();
  /** Loaded components by name, and the built-in ones under Pomelo's names (`__connector__`, …) once started. */
  readonly components: Record<string, unknown> = {};
  /** Pomelo's `app.settings`. */
  readonly settings: Record<string, unknown> = {};
  readonly base: string;
  readonly env: string;
  readonly main: string;
  readonly startTime = Date.now();
  readonly #identity: ReturnType<typeof readProcessIdentity>;
  readonly #setups: Setup[] = [];
  readonly #notices = new Map<string, string>();
  readonly #sessionService = new PomeloSessionService(
    () => this.#service('sessionService'),
    (e) => this.#report(e),
  );
  readonly #backendSessionService = new PomeloBackendSessionService(
    () => this.#service('backendSessionService'),
    (e) => this.#report(e),
  );
  readonly #channelService = new PomeloChannelService(
    () => this.#service('channelService'),
    (e) => this.#report(e),
  );
  #native: Application | undefined;
  #logger: Logger | undefined;
  #rpc: ReturnType<typeof createCallbackRpc> | undefined;
  #sysrpc: ReturnType<typeof createCallbackRpc> | undefined;
  #starting = false;
  /** The start-up notices were logged: later ones are logged at once. */
  #announced = false;

  constructor(options: PomeloAppOptions = {}) {
    this.#identity = readProcessIdentity(process.argv.slice(2), process.env);
    this.env = this.#identity.env;
    this.main = path.resolve(process.argv[1] ?? 'app.js');
    this.base = path.resolve(options.base ?? (process.env['SHADDOCK_BASE'] || path.dirname(this.main)));
  }

  /** The native application once `start` made it: the whole Shaddock API, promises and types. */
  get native(): Application | undefined {
    return this.#native;
  }

  get serverId(): string {
    return this.#native?.serverId ?? this.#identity.serverId ?? MASTER_TYPE;
  }

  get serverType(): string {
    return this.#native?.serverType ?? this.#identity.serverType ?? MASTER_TYPE;
  }

  get curServer(): ServerInfo | undefined {
    return this.#native?.getCurServer();
  }

  get master(): ServerInfo | undefined {
    return this.getMaster();
  }

  get sessionService(): PomeloSessionService {
    return this.#sessionService;
  }

  get backendSessionService(): PomeloBackendSessionService {
    return this.#backendSessionService;
  }

  get channelService(): PomeloChannelService {
    return this.#channelService;
  }

  /** `app.rpc.<type>.<remote>.<method>(routeParam, …args, cb)`; there once RPC runs. */
  get rpc(): ReturnType<typeof createCallbackRpc> | undefined {
    if (this.#rpc === undefined && this.#native?.services.has('rpcClient'))
      this.#rpc = createCallbackRpc(this.#rpcHost());
    return this.#rpc;
  }

  get sysrpc(): ReturnType<typeof createCallbackRpc> | undefined {
    if (this.#sysrpc === undefined && this.#native?.services.has('rpcClient'))
      this.#sysrpc = createCallbackRpc(this.#rpcHost(), 'sys');
    return this.#sysrpc;
  }

  // Settings.

  /** `set(key, value, [attach])`; with one argument it is `get`, as in Pomelo. */
  set(key: string, ...rest: [value?: unknown, attach?: boolean]): this | unknown {
    if (rest.length === 0) return this.get(key);
    const [value, attach] = rest;
    this.settings[key] = value;
    if (attach) (this as unknown as Record<string, unknown>)[key] = value;
    if (this.#native) this.#give(this.#native, key, value);
    return this;
  }

  get(key: string): unknown {
    switch (key) {
      case 'sessionService':
        return this.#native?.services.has('sessionService') || !this.#native
          ? this.#sessionService
          : undefined;
      case 'backendSessionService':
      case 'localSessionService':
        return this.#backendSessionService;
      case 'channelService':
        return this.#channelService;
      case 'serverId':
        return this.serverId;
      case 'serverType':
        return this.serverType;
      case 'env':
        return this.env;
      case 'base':
        return this.base;
      case 'main':
        return this.main;
      case 'curServer':
        return this.curServer;
      case 'masterServer':
      case 'master':
        return this.getMaster();
      default:
        return this.settings[key];
    }
  }

  enable(key: string): this {
    this.set(key, true);
    return this;
  }

  disable(key: string): this {
    this.set(key, false);
    return this;
  }

  enabled(key: string): boolean {
    return this.get(key) === true;
  }

  disabled(key: string): boolean {
    return !this.enabled(key);
  }

  /** `configure([env], [serverType], fn)`: runs `fn` when both match (`|` lists, `'all'`). */
  configure(...args: unknown[]): this {
    const configure = args.find((arg) => typeof arg === 'function') as ((app: this) => void) | undefined;
    const strings = args.filter((arg): arg is string => typeof arg === 'string');
    const env = strings[0] ?? 'all';
    const serverType = strings[1] ?? 'all';
    if (matches(env, this.env) && matches(serverType, this.serverType)) configure?.call(this, this);
    return this;
  }

  /** Pomelo's `loadConfig(key, path)`: requires the file, takes its `[env]` part if it has one, sets `key`. */
  loadConfig(key: string, file: string): void {
    const loaded = requireFile(path.resolve(this.base, file)) as Record<string, unknown>;
    const value =
      loaded !== null && typeof loaded === 'object' && this.env in loaded ? loaded[this.env] : loaded;
    this.set(key, value);
  }

  /** Pomelo's `loadConfigBaseApp(key, relativePath)`: `{base}/{path}`, else `{base}/config/{env}/{file}`. */
  loadConfigBaseApp(key: string, relativePath: string, reload?: boolean): void {
    if (reload)
      this.#notice(
        'loadConfigBaseApp.reload',
        'loadConfigBaseApp(…, reload): files are read once, not watched',
      );
    const first = path.join(this.base, relativePath);
    const second = path.join(this.base, 'config', this.env, path.basename(relativePath));
    this.loadConfig(key, existsSync(first) ? first : second);
  }

  getBase(): string {
    return this.base;
  }

  /** Pomelo's `app.require(relativePath)`: requires a file relative to the base. */
  require(relativePath: string): unknown {
    return requireFile(path.join(this.base, relativePath));
  }

  // Filters, routes.

  filter(filter: PomeloFilterArgument): this {
    return this.before(filter).after(filter);
  }

  before(filter: PomeloFilterArgument): this {
    return this.#filter(
      'before',
      adaptBefore(filter, (e) => this.#report(e)),
    );
  }

  after(filter: PomeloFilterArgument): this {
    return this.#filter(
      'after',
      adaptAfter(filter, (e) => this.#report(e)),
    );
  }

  globalFilter(filter: PomeloFilterArgument): this {
    return this.globalBefore(filter).globalAfter(filter);
  }

  globalBefore(filter: PomeloFilterArgument): this {
    return this.#filter(
      'globalBefore',
      adaptBefore(filter, (e) => this.#report(e)),
    );
  }

  globalAfter(filter: PomeloFilterArgument): this {
    return this.#filter(
      'globalAfter',
      adaptAfter(filter, (e) => this.#report(e)),
    );
  }

  rpcFilter(filter: PomeloRpcFilter | readonly PomeloRpcFilter[]): this {
    for (const each of Array.isArray(filter) ? filter : [filter]) this.rpcBefore(each).rpcAfter(each);
    return this;
  }

  rpcBefore(filter: PomeloRpcFilter | readonly PomeloRpcFilter[]): this {
    for (const each of Array.isArray(filter) ? filter : [filter]) {
      const before = typeof each === 'function' ? each : (each as PomeloRpcFilter).before;
      if (typeof before !== 'function') continue;
      this.#setup((native) =>
        native.rpcBefore((target, args) =>
          runStep(
            before as (...a: unknown[]) => unknown,
            each,
            [target.serverId, rpcMessage(target, args), {}],
            'rpcBefore',
          ),
        ),
      );
    }
    return this;
  }

  rpcAfter(filter: PomeloRpcFilter | readonly PomeloRpcFilter[]): this {
    for (const each of Array.isArray(filter) ? filter : [filter]) {
      const after = typeof each === 'function' ? each : (each as PomeloRpcFilter).after;
      if (typeof after !== 'function') continue;
      this.#setup((native) =>
        native.rpcAfter((target, args) =>
          runStep(
            after as (...a: unknown[]) => unknown,
            each,
            [target.serverId, rpcMessage(target, [...args]), {}],
            'rpcAfter',
          ),
        ),
      );
    }
    return this;
  }

  /** `route(serverType, (routeParam, msg, app, cb(err, serverId)) => …)`; `'default'` is not special in Shaddock. */
  route(serverType: string, route: PomeloRouteFunction): this {
    const report = (error: unknown): void => this.#report(error);
    this.#setup((native) =>
      native.route(
        serverType,
        (routeParam) =>
          new Promise<string>((resolve, reject) => {
            const done = (error: unknown, serverId?: string): void => {
              if (error !== undefined && error !== null) reject(error);
              else if (typeof serverId === 'string') resolve(serverId);
              else
                reject(
                  new ShaddockError(
                    ErrorCode.NoServerForRoute,
                    `route for ${serverType} answered no server id`,
                  ),
                );
            };
            try {
              const returned = route(
                toPomeloSession(routeParam, report),
                routeMessage(serverType),
                this,
                done,
              );
              if (isThenable(returned))
                returned.then(undefined, (error: unknown) => done(error ?? new Error('route failed')));
            } catch (error) {
              done(error ?? new Error('route failed'));
            }
          }),
      ),
    );
    return this;
  }

  // Components, plugins.

  /** `load([name], component | factory(app, opts) | Class, [opts])`; a second one of a name is ignored with a warning, as Pomelo does. */
  load(...args: unknown[]): this {
    const name = typeof args[0] === 'string' ? (args.shift() as string) : undefined;
    const [source, options] = args;
    const component = makeComponent(source, this, options ?? {});
    const chosen = name ?? component.name ?? `component-${Object.keys(this.components).length + 1}`;
    if (chosen in this.components) {
      this.#notice(
        `load.${chosen}`,
        `app.load: a component named "${chosen}" is already loaded; the second is ignored`,
      );
      return this;
    }
    this.components[chosen] = component;
    this.#setup((native) => native.load(adaptComponent(`pomelo:${chosen}`, component)));
    return this;
  }

  /** `use(plugin, opts)`: Pomelo's `{ components, events }` (folders or classes), or a native plugin. */
  use(plugin: PomeloPlugin | Plugin<unknown>, options: Record<string, unknown> = {}): this {
    if (typeof (plugin as Plugin<unknown>).install === 'function') {
      this.#setup((native) => native.use(plugin as Plugin<unknown>, options));
      return this;
    }
    const { components, events: eventClasses } = pluginParts(plugin as PomeloPlugin);
    for (const [name, component] of components) {
      const made = makeComponent(component, this, name === undefined ? options : (options[name] ?? {}));
      this.load(...(name === undefined ? [] : [made.name ?? name]), made);
    }
    for (const Event of eventClasses) this.#listen(Event, options);
    return this;
  }

  // The cluster.

  getServerId(): string {
    return this.serverId;
  }

  getServerType(): string {
    return this.serverType;
  }

  getCurServer(): ServerInfo | undefined {
    return this.curServer;
  }

  getMaster(): ServerInfo | undefined {
    const master = this.#native?.cluster.master;
    return master && { ...master, serverType: MASTER_TYPE, frontend: false };
  }

  getServers(): Readonly<Record<string, ServerInfo>> {
    return this.#native?.getServers() ?? {};
  }

  getServersByType(serverType: string): readonly ServerInfo[] {
    return this.#native?.getServersByType(serverType) ?? [];
  }

  getServerById(id: string): ServerInfo | undefined {
    return this.#native?.getServerById(id);
  }

  getServersFromConfig(): Readonly<Record<string, ServerInfo>> {
    return Object.fromEntries(
      (this.#native?.getServersFromConfig() ?? []).map((server) => [server.id, server]),
    );
  }

  getServerFromConfig(id: string): ServerInfo | undefined {
    return this.getServersFromConfig()[id];
  }

  getServerTypes(): string[] {
    return [...new Set(Object.values(this.getServers()).map((server) => server.serverType))];
  }

  isFrontend(server?: ServerInfo): boolean {
    return server
      ? server.frontend
      : (this.#native?.isFrontend() ?? this.#identity.fields['frontend'] === true);
  }

  isBackend(server?: ServerInfo): boolean {
    return server
      ? !server.frontend && server.serverType !== MASTER_TYPE
      : !this.isFrontend() && !this.isMaster();
  }

  isMaster(): boolean {
    return this.serverType === MASTER_TYPE;
  }

  /** `rpcInvoke(serverId, { namespace, service, method, args }, cb)`. */
  rpcInvoke(serverId: string, message: RpcInvokeMessage, callback?: Callback): void {
    rpcInvoke(this.#rpcHost(), serverId, message, callback);
  }

  // Life.

  /** Starts this process (the master, or a server); `cb(err)` once it runs. */
  start(callback?: Callback): void {
    if (this.#starting) throw new ShaddockError(ErrorCode.AppState, 'app.start() was called twice');
    this.#starting = true;
    const started = this.#start();
    if (callback) settle(started, callback, (error) => this.#report(error));
    else
      started.catch((error: unknown) => {
        this.#report(error);
        process.exit(1);
      });
  }

  /** Stops this process's server (`force`: without waiting for work in flight). */
  stop(force = false): void {
    void this.#native?.stop(force).catch((error: unknown) => this.#report(error));
  }

  /** Pomelo's `afterStart(cb)` (internal in Pomelo): runs `cb` at once once started. */
  beforeStopHook(hook: (app: this, shutDown: () => void) => void): void {
    this.#setup((native) => native.beforeShutdown(() => new Promise<void>((resolve) => hook(this, resolve))));
  }

  /** `configureLogger`, `registerAdmin`, `transaction`, `addServers`…: said once, then a coded error. */
  configureLogger(): void {
    this.#unsupported('configureLogger', "app.configureLogger: Shaddock's one logger (pino) is not replaced");
  }

  registerAdmin(): void {
    this.#unsupported(
      'registerAdmin',
      'app.registerAdmin: Pomelo admin-console modules do not run; the master offers its own admin commands',
    );
  }

  transaction(): void {
    this.#unsupported('transaction', 'app.transaction is not supported');
  }

  async #start(): Promise<void> {
    const native = await createApp({ base: this.base });
    this.#native = native;
    this.#logger = native.logger.child({ category: 'pomelo' });
    native.services.provide(
      'serverFolderLoader',
      pomeloFolderLoader({
        context: this,
        serverType: native.serverType,
        hasErrorHandler: () => typeof this.settings['errorHandler'] === 'function',
        report: (error) => this.#report(error),
      }),
    );
    for (const [key, value] of Object.entries(this.settings)) this.#give(native, key, value);
    if (!native.isMaster()) this.#translateConnector(native);
    this.#lifecycleFile(native);
    for (const setup of this.#setups) setup(native);
    this.#setups.length = 0;
    native.afterStartAll(() => {
      this.event.emit(events.START_ALL);
    });
    for (const [, message] of this.#notices) this.#logger.warn(`pomelo compatibility: ${message}`);
    this.#announced = true;
    await native.start();
    if (!native.isMaster()) this.#wireEvents(native);
    this.event.emit(events.START_SERVER, native.serverId);
  }

  /** Hands a setting to the native application, adapted where its form differs. */
  #give(native: Application, key: string, value: unknown): void {
    if (key === 'errorHandler' || key === 'globalErrorHandler') {
      if (typeof value === 'function')
        native.set(
          key,
          adaptErrorHandler(value as PomeloErrorHandler, (error) => this.#report(error)),
        );
    } else if (NATIVE_SETTINGS.has(key) || native.get(key) === undefined) {
      native.set(key, value);
    }
  }

  #translateConnector(native: Application): void {
    const config = this.settings['connectorConfig'] as Record<string, unknown> | undefined;
    const scheduler = (this.settings['pushSchedulerConfig'] ?? this.settings['schedulerConfig']) as
      | Record<string, unknown>
      | undefined;
    native.set(
      'connectorConfig',
      translateConnectorConfig(config, scheduler, (item, message) => this.#notice(item, message)),
    );
  }

  /** Pomelo's `app/servers/<type>/lifecycle.js`: `beforeStartup(app, cb)`, `afterStartup(app, cb)`, `afterStartAll(app)`, `beforeShutdown(app, cb)`. */
  #lifecycleFile(native: Application): void {
    const file = path.join(this.base, 'app', 'servers', native.serverType, 'lifecycle.js');
    if (native.isMaster() || !existsSync(file)) return;
    const hooks = requireFile(file) as Record<string, ((...args: unknown[]) => unknown) | undefined>;
    const run = (name: string) => (): Promise<void> | undefined => {
      const hook = hooks[name];
      return typeof hook === 'function' ? runStep(hook, hooks, [this], `lifecycle.${name}`) : undefined;
    };
    native.beforeStartup(run('beforeStartup'));
    native.afterStartup(run('afterStartup'));
    native.afterStartAll(run('afterStartAll'));
    native.beforeShutdown(run('beforeShutdown'));
  }

  /** Pomelo's app events from the native membership and sessions; Pomelo's component names for the built-in ones. */
  #wireEvents(native: Application): void {
    native.membership.on('add', (server) => this.event.emit(events.ADD_SERVERS, [server]));
    native.membership.on('remove', (server) => this.event.emit(events.REMOVE_SERVERS, [server.id]));
    const sessions = native.services.find('sessionService');
    if (sessions) {
      const wrap = (session: Parameters<Parameters<typeof sessions.onBind>[0]>[0]): PomeloSession =>
        new PomeloSession(sessions.frontendSession(session), (error) => this.#report(error));
      sessions.onBind((session) => this.event.emit(events.BIND_SESSION, wrap(session)));
      sessions.onUnbind((session) => this.event.emit(events.UNBIND_SESSION, wrap(session)));
      sessions.onClosed((data) =>
        this.event.emit(events.CLOSE_SESSION, new PomeloSession(data, (error) => this.#report(error))),
      );
    }
    const builtIn: Record<string, string> = {
      __connector__: 'connector',
      __session__: 'session',
      __server__: 'handler',
      __channel__: 'channel',
      __remote__: 'rpc',
      __proxy__: 'rpc',
    };
    for (const [pomeloName, name] of Object.entries(builtIn)) {
      const component = native.components.get(name);
      if (component) this.components[pomeloName] ??= component;
    }
  }

  /** Binds an event class's methods (`new Event(app, opts)`) to `app.event` by name. */
  #listen(Event: unknown, options: unknown): void {
    if (typeof Event !== 'function') return;
    // Pomelo constructs event classes with `new` whether they are classes or functions
    const made = new (Event as new (app: unknown, options: unknown) => object)(this, options) as Record<
      string,
      unknown
    >;
    for (const name of Object.values(events)) {
      const method = made[name];
      if (typeof method === 'function') this.event.on(name, (...args: unknown[]) => method.apply(made, args));
    }
  }

  #filter(list: 'before' | 'after' | 'globalBefore' | 'globalAfter', filter: HandlerFilter): this {
    if (filter.before === undefined && filter.after === undefined && filter.wrap === undefined) return this;
    this.#setup((native) => native[list](filter));
    return this;
  }

  #setup(setup: Setup): void {
    if (this.#native) setup(this.#native);
    else this.#setups.push(setup);
  }

  #service<Name extends 'sessionService' | 'backendSessionService' | 'channelService'>(
    name: Name,
  ): Application[Name] {
    if (this.#native === undefined) {
      throw new ShaddockError(ErrorCode.AppState, `app.get('${name}') is there once app.start() runs`);
    }
    return this.#native[name];
  }

  #rpcHost(): RpcHost {
    const native = this.#native;
    if (native === undefined)
      throw new ShaddockError(ErrorCode.AppState, 'RPC is there once app.start() runs');
    return {
      get rpcClient(): RpcClient {
        return native.rpcClient;
      },
      getServersByType: (serverType) => native.getServersByType(serverType),
      getServerById: (id) => native.getServerById(id),
      report: (error) => this.#report(error),
    };
  }

  /** One start-up line per item (later ones at once), never repeated. */
  #notice(item: string, message: string): void {
    if (this.#notices.has(item)) return;
    this.#notices.set(item, message);
    if (this.#announced) this.#logger?.warn(`pomelo compatibility: ${message}`);
  }

  #unsupported(item: string, message: string): never {
    this.#notice(item, message);
    throw new ShaddockError(ErrorCode.AppState, message);
  }

  #report(error: unknown): void {
    const logger = this.#logger ?? getLogger('pomelo');
    logger.error({ err: error }, error instanceof Error ? error.message : String(error));
  }
}

function matches(pattern: string, value: string): boolean {
  return pattern.split('|').some((part) => part.trim() === 'all' || part.trim() === value);
}

/** Pomelo's RPC message, as its RPC filters see it. */
function rpcMessage(
  target: { namespace: string; serverType: string; remote: string; method: string },
  args: unknown[],
): object {
  return {
    namespace: target.namespace,
    serverType: target.serverType,
    service: target.remote,
    method: target.method,
    args,
  };
}

/** Pomelo's `createApp(opts)`: the application, made at once (the last one made is `pomelo.app`). */
export function makePomeloApp(options?: PomeloAppOptions): PomeloApplication {
  return new PomeloApplication(options);
}
