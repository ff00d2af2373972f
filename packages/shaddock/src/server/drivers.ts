import path from 'node:path';
import { type ChannelStore, MemoryChannelStore } from '../channel/index.js';
import { type ClusterConfig, DEVELOPMENT_SECRET_WARNING, type ProcessIdentity } from '../config/index.js';
import {
  createLogger,
  isLogLevel,
  LOG_LEVEL_ENV,
  type Log4jsMapping,
  type Logger,
  type LogLevel,
  replaceConsole,
  setRootLogger,
} from '../logging/index.js';
import { MasterMembership } from '../master/index.js';
import { type ControlPlane, FixedMembership, type Membership, type ServerInfo } from '../membership/index.js';
import { MemoryStatusStore, type StatusStore } from '../session/index.js';
import { type RpcLink, tcpRpcLink } from '../transport/index.js';
import type { Application } from './application.js';
import { afterStartAll } from './run.js';

/** What a driver factory learns of the process it serves. */
export interface DriverContext {
  readonly identity: ProcessIdentity;
  readonly cluster: ClusterConfig;
  /** This server (the master's entry for the master). */
  readonly server: ServerInfo;
  /** The process's root logger (absent while the logger itself is made). */
  readonly logger: Logger;
  /** What a driver that carries orders to this server (a NATS control subject) may ask of it. */
  readonly orders: ServerOrders;
}

/** The orders a server takes from its cluster's control plane (a master, or a supervisor through NATS). */
export interface ServerOrders {
  /** Stops the server gracefully within `deadlineMs` (as `app.stop`), then ends the process. */
  stop(deadlineMs: number): Promise<void>;
}

/**
 * The replaceable parts of a process, chosen at start-up: `createApp({ drivers: { … } })`. A part
 * left out gets its embedded default. Every implementation of an interface passes that
 * interface's contract suite (`shaddock/testing`).
 */
export interface Drivers {
  /** Who is in the cluster; default: the master's registry, or the config's fixed list without a master. */
  readonly membership?: (context: DriverContext) => Membership;
  /** How one server reaches another's remotes; default: length-prefixed frames over TCP. */
  readonly rpcLink?: (context: DriverContext) => RpcLink;
  /** The logger every part of the process writes to; default: pino, JSON lines. */
  readonly logger?: (context: Omit<DriverContext, 'logger' | 'orders'>) => Logger;
  /** Where channel membership is recorded (service `channelStore`); default: this process's memory. */
  readonly channelStore?: (context: DriverContext) => ChannelStore;
  /** Who is online on which frontend (service `statusStore`); default: this process's memory. */
  readonly statusStore?: (context: DriverContext) => StatusStore;
  /**
   * Orders to any server, requests between masters, and their leader election (service
   * `controlPlane`): what scale-out masters run on. No default: the one-machine master needs none.
   */
  readonly controlPlane?: (context: DriverContext) => ControlPlane;
}

declare module '../kernel/index.js' {
  interface Services {
    /** The cluster's control plane, when a driver package provides one (`Drivers.controlPlane`). */
    controlPlane: ControlPlane;
  }
}

/** The default logger's settings. */
export interface LogOptions {
  /** Default `SHADDOCK_LOG_LEVEL`, else `info`. */
  readonly level?: LogLevel;
  /** Also write every line to this file; `false`: no file. Default `SHADDOCK_LOG_FILE`, else `<base>/logs/<serverId>.log`. */
  readonly file?: string | false;
}

interface InstallContext extends Omit<DriverContext, 'logger' | 'orders'> {
  readonly environment: NodeJS.ProcessEnv;
  readonly log?: LogOptions;
  /** No cluster secret is configured: the cluster runs on the development one (warned once here). */
  readonly developmentSecret?: boolean;
  /** Pomelo's `config/log4js.json`, mapped: the default logger's files, categories and levels. */
  readonly log4js?: Log4jsMapping;
}

/** What the kernel is built with. */
interface ChosenDrivers {
  readonly membership: Membership;
  readonly logger: Logger;
}

/**
 * Builds every driver (the chosen ones or the defaults), makes the application with them with
 * `make`, and provides the drivers that features read as services.
 */
export function installDrivers(
  context: InstallContext,
  drivers: Drivers,
  make: (drivers: ChosenDrivers) => Application,
): Application {
  const logger = drivers.logger?.(context) ?? defaultLogger(context);
  setRootLogger(logger);
  if (context.log4js)
    applyLog4js(context.log4js, logger, drivers.logger !== undefined, context.identity.master === undefined);
  // once per cluster: the master says it for the servers it starts, a server without a master for itself
  if (context.identity.master === undefined) {
    if (context.developmentSecret === true) logger.warn(DEVELOPMENT_SECRET_WARNING);
    for (const notice of context.cluster.notices ?? []) logger.warn(notice);
  }
  // Orders reach the application, which exists only once membership is made.
  let app: Application | undefined;
  const orders: ServerOrders = {
    async stop(deadlineMs) {
      await app?.stop(false, deadlineMs);
      process.exit(0);
    },
  };
  const full: DriverContext = { ...context, logger, orders };
  const membership = drivers.membership?.(full) ?? defaultMembership(full, () => app);
  app = make({ membership, logger });
  app.services.provide('rpcLink', drivers.rpcLink?.(full) ?? tcpRpcLink);
  if (drivers.controlPlane) app.services.provide('controlPlane', drivers.controlPlane(full));
  // the master holds no channels and no sessions: it opens no store
  if (!app.isMaster()) {
    app.services.provide('channelStore', drivers.channelStore?.(full) ?? new MemoryChannelStore());
    app.services.provide('statusStore', drivers.statusStore?.(full) ?? new MemoryStatusStore());
  }
  return app;
}

function defaultLogger(context: InstallContext): Logger {
  const { environment, server, cluster, log } = context;
  const file = log?.file ?? logFile(environment['SHADDOCK_LOG_FILE'], cluster.base, server.id);
  const level = log?.level ?? environment[LOG_LEVEL_ENV];
  const chosen = isLogLevel(level) ? level : context.log4js?.level;
  // an unknown level in the environment is createLogger's to report (it falls back to info)
  return createLogger({
    serverId: server.id,
    serverType: server.serverType,
    file,
    ...(chosen === undefined ? {} : { level: chosen }),
    ...(context.log4js ? { files: context.log4js.files, categories: context.log4js.categories } : {}),
  });
}

/**
 * The rest of log4js.json: `replaceConsole`, and what it holds that is not honoured, one line each —
 * said once per cluster (by the master, or by a server without one), as the secret warning is.
 */
function applyLog4js(log4js: Log4jsMapping, logger: Logger, ownDriver: boolean, speaks: boolean): void {
  if (log4js.replaceConsole) replaceConsole();
  if (!speaks) return;
  const log = logger.child({ category: 'log4js' });
  if (ownDriver)
    log.warn(`${log4js.file}: appenders and levels are not applied: the app gives its own logger driver`);
  for (const notice of log4js.notices) log.warn(notice);
}

/** `SHADDOCK_LOG_FILE`: `false`/`0`/`off` for none, a path, or nothing for `<base>/logs/<id>.log`. */
function logFile(variable: string | undefined, base: string, serverId: string): string | false {
  if (variable === undefined || variable === '') return path.join(base, 'logs', `${serverId}.log`);
  if (['false', '0', 'off', 'none'].includes(variable.toLowerCase())) return false;
  return path.resolve(base, variable);
}

function defaultMembership(context: DriverContext, app: () => Application | undefined): Membership {
  const master = context.identity.master;
  if (master === undefined) return new FixedMembership(context.cluster.servers);
  return new MasterMembership({
    master,
    server: context.server,
    onStop: (deadlineMs) => context.orders.stop(deadlineMs),
    onAfterStartAll: async () => {
      const started = app();
      if (started) await afterStartAll(started);
    },
    onBlacklist: (add, remove) => {
      const services = app()?.services;
      if (!services?.has('connector')) return;
      const { blacklist } = services.get('connector');
      for (const ip of remove) blacklist.delete(ip);
      for (const ip of add) blacklist.add(ip);
    },
    log: (line) => context.logger.error(line),
  });
}
