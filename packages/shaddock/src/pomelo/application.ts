import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readProcessIdentity } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { HandlerFilter } from '../handler/index.js';
import { getLogger, type Logger } from '../logging/index.js';
import { MASTER_TYPE, type ServerInfo } from '../membership/index.js';
import type { RpcAfterFilter, RpcBeforeFilter, RpcClient } from '../rpc/index.js';
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
import {
  adaptRoute,
  adaptRpcFilter,
  type PomeloRouteFunction,
  type PomeloRpcFilter,
  type UnsupportedRpcFilter,
} from './routes.js';
import { createCallbackRpc, type RpcHost, type RpcInvokeMessage, rpcInvoke } from './rpc.js';
import { PomeloSession, toPomeloSession } from './session.js';
import { PomeloBackendSessionService, PomeloSessionService } from './sessions.js';
import { giveConnectorConfig, giveSetting, listenEvents, loadLifecycleFile, wireEvents } from './wiring.js';

/** Options of Pomelo's `createApp`. */
export interface PomeloAppOptions {
  /** The app's folder (holding `config/` and `app/`); default the main script's folder. */
  readonly base?: string;
}

/** What `app.rpcFilter/rpcBefore/rpcAfter` take: Pomelo's filters, one or a list. */
type RpcFilterArgument =
  | PomeloRpcFilter
  | UnsupportedRpcFilter
  | readonly (PomeloRpcFilter | UnsupportedRpcFilter)[];

/** What is replayed on the native application when `start` makes it. */
type Setup = (native: Application) => void;

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
    if (this.#native) {
      const report = (error: unknown): void => this.#report(error);
      giveSetting(this.#native, key, value, report, (item, message) => this.#notice(item, message));
    }
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

  rpcFilter(filter: RpcFilterArgument): this {
    return this.rpcBefore(filter).rpcAfter(filter);
  }

  rpcBefore(filter: RpcFilterArgument): this {
    return this.#rpcFilter(filter, 'before');
  }

  rpcAfter(filter: RpcFilterArgument): this {
    return this.#rpcFilter(filter, 'after');
  }

  /** `route(serverType, (routeParam, msg, app, cb(err, serverId)) => …)`; `'default'` is not special in Shaddock. */
  route(serverType: string, route: PomeloRouteFunction<this>): this {
    const adapted = adaptRoute(serverType, route, this, (error) => this.#report(error));
    this.#setup((native) => native.route(serverType, adapted));
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
    for (const Event of eventClasses) listenEvents(Event, this, options, this.event);
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

  /** Pomelo's deprecated `beforeStopHook(fn)`: `fn(app, shutDown)` before the components stop. */
  beforeStopHook(hook: (app: this, shutDown: () => void) => void): void {
    this.#setup((native) => native.beforeShutdown(() => new Promise<void>((resolve) => hook(this, resolve))));
  }

  /** Pomelo's `configureLogger(logger)`: said once at start-up; Shaddock keeps its one logger. */
  configureLogger(): void {
    this.#notice(
      'configureLogger',
      "app.configureLogger ignored: Shaddock's one logger (pino) is not replaced",
    );
  }

  /** Pomelo's `registerAdmin(…)`: said once at start-up; admin-console modules do not run. */
  registerAdmin(): void {
    this.#notice(
      'registerAdmin',
      'app.registerAdmin ignored: Pomelo admin-console modules do not run; the master offers its own admin commands',
    );
  }

  /** Pomelo's `transaction(…)`: not supported; said once, and the call throws (its effect cannot be faked). */
  transaction(): void {
    this.#unsupported('transaction', 'app.transaction is not supported');
  }

  async #start(): Promise<void> {
    const native = await createApp({ base: this.base });
    const report = (error: unknown): void => this.#report(error);
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
    const notice = (item: string, message: string): void => this.#notice(item, message);
    for (const [key, value] of Object.entries(this.settings)) giveSetting(native, key, value, report, notice);
    if (!native.isMaster()) giveConnectorConfig(native, this.settings, notice);
    loadLifecycleFile(native, this);
    for (const setup of this.#setups) setup(native);
    this.#setups.length = 0;
    native.afterStartAll(() => {
      this.event.emit(events.START_ALL);
    });
    for (const [, message] of this.#notices) this.#logger.warn(`pomelo compatibility: ${message}`);
    this.#announced = true;
    await native.start();
    if (!native.isMaster()) wireEvents(native, this.event, this.components, report);
    this.event.emit(events.START_SERVER, native.serverId);
  }

  #rpcFilter(filter: RpcFilterArgument, side: 'before' | 'after'): this {
    for (const each of Array.isArray(filter) ? filter : [filter]) {
      if (typeof (each as Partial<UnsupportedRpcFilter>).unsupported === 'string') {
        const message = (each as UnsupportedRpcFilter).unsupported;
        this.#notice(message, message);
        continue;
      }
      const adapted = adaptRpcFilter(each as PomeloRpcFilter, side);
      if (adapted === undefined) continue;
      if (side === 'before') this.#setup((native) => native.rpcBefore(adapted as RpcBeforeFilter));
      else this.#setup((native) => native.rpcAfter(adapted as RpcAfterFilter));
    }
    return this;
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

/** Pomelo's `createApp(opts)`: the application, made at once (the last one made is `pomelo.app`). */
export function makePomeloApp(options?: PomeloAppOptions): PomeloApplication {
  return new PomeloApplication(options);
}
