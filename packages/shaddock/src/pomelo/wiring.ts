import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Application } from '../server/index.js';
import { requireFile, runStep } from './components.js';
import { translateConnectorConfig } from './connectors.js';
import { events } from './events.js';
import { adaptErrorHandler, type PomeloErrorHandler } from './filters.js';
import { PomeloSession, type Report } from './session.js';

/** Says one thing Shaddock does not honour, once per item. */
export type Notice = (item: string, message: string) => void;

/** Pomelo settings Shaddock does not read, and what to use instead; each is one start-up line. */
const IGNORED_SETTINGS: Readonly<Record<string, string>> = {
  proxyConfig:
    "Pomelo's RPC client options (bufferMsg, interval, …) do not apply: set rpcTimeout, or rpc in config/cluster.json",
  remoteConfig: "Pomelo's RPC server options do not apply: set rpc in config/cluster.json",
  masterConfig: "Pomelo's master options do not apply",
  monitorConfig: "Pomelo's monitor options do not apply",
  channelConfig:
    'channel stores come from config/cluster.json (memory or @shaddock/redis), not channelConfig',
  ssh_config_params:
    'servers on other hosts are started by their own supervisor (shaddock server), not over ssh',
};

/** Hands a setting to the native application, adapted where its form differs; says so for one it ignores. */
export function giveSetting(
  native: Application,
  key: string,
  value: unknown,
  report: Report,
  notice: Notice,
): void {
  if (key === 'errorHandler' || key === 'globalErrorHandler') {
    if (typeof value === 'function') native.set(key, adaptErrorHandler(value as PomeloErrorHandler, report));
  } else {
    native.set(key, value);
  }
  const ignored = IGNORED_SETTINGS[key];
  if (ignored !== undefined) notice(`set.${key}`, `app.set('${key}') ignored: ${ignored}`);
}

/** Pomelo's `connectorConfig` and `pushSchedulerConfig` as the native connector's `connectorConfig`. */
export function giveConnectorConfig(
  native: Application,
  settings: Record<string, unknown>,
  notice: Notice,
): void {
  const config = settings['connectorConfig'] as Record<string, unknown> | undefined;
  const scheduler = (settings['pushSchedulerConfig'] ?? settings['schedulerConfig']) as
    | Record<string, unknown>
    | undefined;
  native.set('connectorConfig', translateConnectorConfig(config, scheduler, notice));
}

/**
 * Pomelo's `app/servers/<type>/lifecycle.js`: `beforeStartup(app, cb)`, `afterStartup(app, cb)`,
 * `afterStartAll(app)`, `beforeShutdown(app, shutDown)`, run as the native lifecycle hooks.
 */
export function loadLifecycleFile(native: Application, app: unknown): void {
  const file = path.join(native.appDir, 'app', 'servers', native.serverType, 'lifecycle.js');
  if (native.isMaster() || !existsSync(file)) return;
  const hooks = requireFile(file) as Record<string, ((...args: unknown[]) => unknown) | undefined>;
  const run = (name: string) => (): Promise<void> | undefined => {
    const hook = hooks[name];
    return typeof hook === 'function' ? runStep(hook, hooks, [app], `lifecycle.${name}`) : undefined;
  };
  native.beforeStartup(run('beforeStartup'));
  native.afterStartup(run('afterStartup'));
  native.afterStartAll(run('afterStartAll'));
  native.beforeShutdown(run('beforeShutdown'));
}

/** Pomelo's names for the built-in components in `app.components`. */
const BUILT_IN_COMPONENTS: Readonly<Record<string, string>> = {
  __connector__: 'connector',
  __session__: 'session',
  __server__: 'handler',
  __channel__: 'channel',
  __remote__: 'rpc',
  __proxy__: 'rpc',
};

/** Pomelo's app events from the native membership and sessions; Pomelo's names for the built-in components. */
export function wireEvents(
  native: Application,
  event: EventEmitter,
  components: Record<string, unknown>,
  report: Report,
): void {
  native.membership.on('add', (server) => event.emit(events.ADD_SERVERS, [server]));
  native.membership.on('remove', (server) => event.emit(events.REMOVE_SERVERS, [server.id]));
  const sessions = native.services.find('sessionService');
  if (sessions) {
    const wrap = (session: Parameters<Parameters<typeof sessions.onBind>[0]>[0]): PomeloSession =>
      new PomeloSession(sessions.frontendSession(session), report);
    sessions.onBind((session) => event.emit(events.BIND_SESSION, wrap(session)));
    sessions.onUnbind((session) => event.emit(events.UNBIND_SESSION, wrap(session)));
    sessions.onClosed((data) => event.emit(events.CLOSE_SESSION, new PomeloSession(data, report)));
  }
  for (const [pomeloName, name] of Object.entries(BUILT_IN_COMPONENTS)) {
    const component = native.components.get(name);
    if (component) components[pomeloName] ??= component;
  }
}

/** Binds an event class's methods (`new Event(app, opts)`, as Pomelo does) to `app.event` by name. */
export function listenEvents(Event: unknown, app: unknown, options: unknown, event: EventEmitter): void {
  if (typeof Event !== 'function') return;
  const made = new (Event as new (app: unknown, options: unknown) => object)(app, options) as Record<
    string,
    unknown
  >;
  for (const name of Object.values(events)) {
    const method = made[name];
    if (typeof method === 'function') event.on(name, (...args: unknown[]) => method.apply(made, args));
  }
}
