import { EventEmitter } from 'node:events';
import path from 'node:path';
import { readProcessIdentity } from '../config/index.js';
import type { CronEntry } from '../cron/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { HandlerFilter } from '../handler/index.js';
import { MASTER_TYPE, type ServerInfo } from '../membership/index.js';
import type { Application, Plugin } from '../server/index.js';
import { type Callback, settle } from './callback.js';
import { PomeloChannelService } from './channels.js';
import { masterOf, serversFromConfig, serverTypesOf } from './cluster.js';
import { adaptComponent, makeComponent, type PomeloPlugin, pluginParts, requireFile } from './components.js';
import { PomeloCore, type RpcFilterArgument } from './core.js';
import { adaptAfter, adaptBefore, type PomeloFilterArgument } from './filters.js';
import { adaptRoute, type PomeloRouteFunction } from './routes.js';
import { createCallbackRpc, type RpcInvokeMessage, rpcInvoke } from './rpc.js';
import { PomeloBackendSessionService, PomeloSessionService } from './sessions.js';
import { configBaseAppFile, configureChoice, namedSetting, readConfigFile } from './settings.js';
import { startNative } from './start.js';
import { giveSetting, listenEvents } from './wiring.js';

/** Options of Pomelo's `createApp`. */
export interface PomeloAppOptions {
  /** The app's folder (holding `config/` and `app/`); default the main script's folder. */
  readonly base?: string;
}

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
  readonly #core = new PomeloCore();
  readonly #sessionService = new PomeloSessionService(
    () => this.#core.service('sessionService'),
    this.#core.report,
  );
  readonly #backendSessionService = new PomeloBackendSessionService(
    () => this.#core.service('backendSessionService'),
    this.#core.report,
  );
  readonly #channelService = new PomeloChannelService(
    () => this.#core.service('channelService'),
    this.#core.report,
  );
  #rpc: ReturnType<typeof createCallbackRpc> | undefined;
  #sysrpc: ReturnType<typeof createCallbackRpc> | undefined;
  #starting = false;

  constructor(options: PomeloAppOptions = {}) {
    this.#identity = readProcessIdentity(process.argv.slice(2), process.env);
    this.env = this.#identity.env;
    this.main = path.resolve(process.argv[1] ?? 'app.js');
    this.base = path.resolve(options.base ?? (process.env['SHADDOCK_BASE'] || path.dirname(this.main)));
  }

  /** The native application once `start` made it: the whole Shaddock API, promises and types. */
  get native(): Application | undefined {
    return this.#core.native;
  }

  get serverId(): string {
    return this.#core.native?.serverId ?? this.#identity.serverId ?? MASTER_TYPE;
  }

  get serverType(): string {
    return this.#core.native?.serverType ?? this.#identity.serverType ?? MASTER_TYPE;
  }

  get curServer(): ServerInfo | undefined {
    return this.#core.native?.getCurServer();
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
    if (this.#rpc === undefined && this.#core.native?.services.has('rpcClient'))
      this.#rpc = createCallbackRpc(this.#core.rpcHost());
    return this.#rpc;
  }

  get sysrpc(): ReturnType<typeof createCallbackRpc> | undefined {
    if (this.#sysrpc === undefined && this.#core.native?.services.has('rpcClient'))
      this.#sysrpc = createCallbackRpc(this.#core.rpcHost(), 'sys');
    return this.#sysrpc;
  }

  // Settings.

  /** `set(key, value, [attach])`; with one argument it is `get`, as in Pomelo. */
  set(key: string, ...rest: [value?: unknown, attach?: boolean]): this | unknown {
    if (rest.length === 0) return this.get(key);
    const [value, attach] = rest;
    this.settings[key] = value;
    if (attach) (this as unknown as Record<string, unknown>)[key] = value;
    const native = this.#core.native;
    if (native) giveSetting(native, key, value, this.#core.report, this.#core.notice);
    return this;
  }

  get(key: string): unknown {
    return namedSetting(this, key);
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
    configureChoice(args, this.env, this.serverType)?.call(this, this);
    return this;
  }

  /** Pomelo's `loadConfig(key, path)`: requires the file, takes its `[env]` part if it has one, sets `key`. */
  loadConfig(key: string, file: string): void {
    this.set(key, readConfigFile(path.resolve(this.base, file), this.env));
  }

  /** Pomelo's `loadConfigBaseApp(key, relativePath)`: `{base}/{path}`, else `{base}/config/{env}/{file}`. */
  loadConfigBaseApp(key: string, relativePath: string, reload?: boolean): void {
    if (reload)
      this.#core.notice(
        'loadConfigBaseApp.reload',
        'loadConfigBaseApp(…, reload): files are read once, not watched',
      );
    this.loadConfig(key, configBaseAppFile(this.base, this.env, relativePath));
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
    return this.#filter('before', adaptBefore(filter, this.#core.report));
  }

  after(filter: PomeloFilterArgument): this {
    return this.#filter('after', adaptAfter(filter, this.#core.report));
  }

  globalFilter(filter: PomeloFilterArgument): this {
    return this.globalBefore(filter).globalAfter(filter);
  }

  globalBefore(filter: PomeloFilterArgument): this {
    return this.#filter('globalBefore', adaptBefore(filter, this.#core.report));
  }

  globalAfter(filter: PomeloFilterArgument): this {
    return this.#filter('globalAfter', adaptAfter(filter, this.#core.report));
  }

  rpcFilter(filter: RpcFilterArgument): this {
    return this.rpcBefore(filter).rpcAfter(filter);
  }

  rpcBefore(filter: RpcFilterArgument): this {
    this.#core.rpcFilter(filter, 'before');
    return this;
  }

  rpcAfter(filter: RpcFilterArgument): this {
    this.#core.rpcFilter(filter, 'after');
    return this;
  }

  /** `route(serverType, (routeParam, msg, app, cb(err, serverId)) => …)`; `'default'` is not special in Shaddock. */
  route(serverType: string, route: PomeloRouteFunction<this>): this {
    const adapted = adaptRoute(serverType, route, this, this.#core.report);
    this.#core.setup((native) => native.route(serverType, adapted));
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
      this.#core.notice(
        `load.${chosen}`,
        `app.load: a component named "${chosen}" is already loaded; the second is ignored`,
      );
      return this;
    }
    this.components[chosen] = component;
    this.#core.setup((native) => native.load(adaptComponent(`pomelo:${chosen}`, component)));
    return this;
  }

  /** `use(plugin, opts)`: Pomelo's `{ components, events }` (folders or classes), or a native plugin. */
  use(plugin: PomeloPlugin | Plugin<unknown>, options: Record<string, unknown> = {}): this {
    if (typeof (plugin as Plugin<unknown>).install === 'function') {
      this.#core.setup((native) => native.use(plugin as Plugin<unknown>, options));
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
    return masterOf(this.#core.native);
  }

  getServers(): Readonly<Record<string, ServerInfo>> {
    return this.#core.native?.getServers() ?? {};
  }

  getServersByType(serverType: string): readonly ServerInfo[] {
    return this.#core.native?.getServersByType(serverType) ?? [];
  }

  getServerById(id: string): ServerInfo | undefined {
    return this.#core.native?.getServerById(id);
  }

  getServersFromConfig(): Readonly<Record<string, ServerInfo>> {
    return serversFromConfig(this.#core.native);
  }

  getServerFromConfig(id: string): ServerInfo | undefined {
    return this.getServersFromConfig()[id];
  }

  getServerTypes(): string[] {
    return serverTypesOf(this.getServers());
  }

  isFrontend(server?: ServerInfo): boolean {
    return server
      ? server.frontend
      : (this.#core.native?.isFrontend() ?? this.#identity.fields['frontend'] === true);
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
    rpcInvoke(this.#core.rpcHost(), serverId, message, callback);
  }

  // Crons.

  /** Pomelo's `addCrons(crons)` at run time: a malformed batch is logged and none of it added. */
  addCrons(crons: readonly CronEntry[]): void {
    this.#core.changeCrons('addCrons', (service) => service.add(crons));
  }

  /** Pomelo's `removeCrons(crons)`: by `id`; an unknown id is logged. */
  removeCrons(crons: readonly Pick<CronEntry, 'id'>[]): void {
    this.#core.changeCrons('removeCrons', (service) => service.remove(crons));
  }

  // Life.

  /** Starts this process (the master, or a server); `cb(err)` once it runs. */
  start(callback?: Callback): void {
    if (this.#starting) throw new ShaddockError(ErrorCode.AppState, 'app.start() was called twice');
    this.#starting = true;
    const started = startNative(this, this.#core);
    if (callback) settle(started, callback, this.#core.report);
    else
      started.catch((error: unknown) => {
        this.#core.report(error);
        process.exit(1);
      });
  }

  /** Stops this process's server (`force`: without waiting for work in flight). */
  stop(force = false): void {
    void this.#core.native?.stop(force).catch(this.#core.report);
  }

  /** Pomelo's deprecated `beforeStopHook(fn)`: `fn(app, shutDown)` before the components stop. */
  beforeStopHook(hook: (app: this, shutDown: () => void) => void): void {
    this.#core.setup((native) =>
      native.beforeShutdown(() => new Promise<void>((resolve) => hook(this, resolve))),
    );
  }

  /** Pomelo's `configureLogger(logger)`: said once at start-up; Shaddock keeps its one logger. */
  configureLogger(): void {
    this.#core.notice(
      'configureLogger',
      "app.configureLogger ignored: Shaddock's one logger (pino) is not replaced",
    );
  }

  /** Pomelo's `registerAdmin(…)`: said once at start-up; admin-console modules do not run. */
  registerAdmin(): void {
    this.#core.notice(
      'registerAdmin',
      'app.registerAdmin ignored: Pomelo admin-console modules do not run; the master offers its own admin commands',
    );
  }

  /** Pomelo's `transaction(…)`: not supported; said once, and the call throws (its effect cannot be faked). */
  transaction(): void {
    this.#core.unsupported('transaction', 'app.transaction is not supported');
  }

  #filter(list: 'before' | 'after' | 'globalBefore' | 'globalAfter', filter: HandlerFilter): this {
    if (filter.before === undefined && filter.after === undefined && filter.wrap === undefined) return this;
    this.#core.setup((native) => native[list](filter));
    return this;
  }
}

/** Pomelo's `createApp(opts)`: the application, made at once (the last one made is `pomelo.app`). */
export function makePomeloApp(options?: PomeloAppOptions): PomeloApplication {
  return new PomeloApplication(options);
}
