import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  type ClusterConfig,
  loadClusterConfig,
  readProcessIdentity,
  resolveClusterSecret,
  serverInfoFromIdentity,
} from '../config/index.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { readLog4jsConfig } from '../logging/index.js';
import { MASTER_TYPE, type ServerInfo } from '../membership/index.js';
import { Application } from './application.js';
import { configuredDrivers } from './driver-packages.js';
import { type Drivers, installDrivers, type LogOptions } from './drivers.js';

/** Where `createApp` reads its identity and configuration; every field has a default. */
export interface CreateAppOptions {
  /**
   * The app's folder (holding `config/`); default: `SHADDOCK_BASE` from the environment, else the
   * entry script's folder, or its parent when that holds `config/`.
   */
  readonly base?: string;
  /**
   * The folder holding `app/servers/<type>/{handler,remote}`; default: the entry script's folder
   * when it holds `app/` (`dist/` for a compiled app), else `base`.
   */
  readonly appDir?: string;
  /** `key=value` arguments; default `process.argv.slice(2)`. */
  readonly argv?: readonly string[];
  /** Where `NODE_ENV` and the `SHADDOCK_…` variables are read; default `process.env`. */
  readonly environment?: NodeJS.ProcessEnv;
  /**
   * The replaceable parts, each a factory called once at start-up; every one has an embedded
   * default (the master's registry or a fixed list for membership, TCP for the RPC link, memory for
   * the stores, pino for the logger). `config/cluster.*` may choose others (`@shaddock/nats`,
   * `@shaddock/redis`); a driver given here wins over the config's.
   */
  readonly drivers?: Drivers;
  /** The default logger's level and file (`SHADDOCK_LOG_LEVEL`, `SHADDOCK_LOG_FILE` in the environment). */
  readonly log?: LogOptions;
}

/**
 * Makes this process's application: reads its identity (`env`, `id`, `serverType` from the
 * master's `key=value` arguments or the environment; none means this process is the master)
 * and the cluster's configuration. Bad configuration rejects with one `ConfigError`, and so does
 * `env=production` without a configured cluster secret (`secret` in `config/cluster.*` or
 * `SHADDOCK_CLUSTER_SECRET`); elsewhere a process without one uses the well-known development
 * secret, and says so once (the master for its children, a server started without a master itself).
 *
 * @example
 * ```ts
 * const app = await createApp();
 * app.configure('production|development', 'chat', (app) => app.route('chat', chatRoute));
 * await app.start();
 * ```
 */
export async function createApp(options: CreateAppOptions = {}): Promise<Application> {
  const environment = options.environment ?? process.env;
  const identity = readProcessIdentity(options.argv ?? process.argv.slice(2), environment);
  const base = path.resolve(options.base ?? (environment['SHADDOCK_BASE'] || defaultBase()));
  const appDir = path.resolve(options.appDir ?? defaultAppDir(base));
  const loaded = await loadClusterConfig({ base, env: identity.env, environment });
  // production refuses to start without a configured secret (a ConfigError); every driver reads it here
  const { secret, source } = resolveClusterSecret(loaded.drivers, identity.env, base);
  const cluster: ClusterConfig = { ...loaded, drivers: { ...loaded.drivers, secret } };
  let currentServer: ServerInfo | undefined;
  if (identity.serverId === undefined) {
    currentServer = { ...cluster.master, serverType: MASTER_TYPE, frontend: false };
  } else {
    currentServer =
      cluster.servers.find((server) => server.id === identity.serverId) ?? serverInfoFromIdentity(identity);
  }
  if (currentServer === undefined) {
    throw new ConfigError(
      ErrorCode.UnknownServer,
      path.join(base, 'config', 'servers.json'),
      'id',
      `server "${identity.serverId}" is not in the ${identity.env} servers and its arguments do not describe it`,
    );
  }
  // Pomelo's config/log4js.json, mapped onto the default logger
  const log4js = await readLog4jsConfig(identity.env, { base, serverId: currentServer.id, environment });
  // `config/cluster.*` names the scale-out packages; drivers given here win over them.
  const drivers = { ...(await configuredDrivers(cluster.drivers, base)), ...options.drivers };
  return installDrivers(
    {
      identity,
      cluster,
      server: currentServer,
      environment,
      developmentSecret: source === 'development',
      ...(options.log ? { log: options.log } : {}),
      ...(log4js ? { log4js } : {}),
    },
    drivers,
    (drivers) => new Application({ identity, cluster, currentServer, appDir, ...drivers }),
  );
}

/** The entry's folder (compiled code, `dist/` for a TypeScript app) when it holds `app/`. */
function defaultAppDir(base: string): string {
  const entry = process.argv[1];
  if (entry === undefined) return base;
  const folder = path.dirname(path.resolve(entry));
  return existsSync(path.join(folder, 'app')) ? folder : base;
}

function defaultBase(): string {
  const entry = process.argv[1];
  if (entry === undefined) return process.cwd();
  const folder = path.dirname(path.resolve(entry));
  // A compiled app runs from dist/ while config/ stays in the app's folder.
  if (!existsSync(path.join(folder, 'config')) && existsSync(path.join(folder, '..', 'config'))) {
    return path.dirname(folder);
  }
  return folder;
}
