import path from 'node:path';
import { ConfigError, ErrorCode } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { adminServersAreEnvKeyed, adminServersNotice, readAdminServers } from './admin-servers.js';
import {
  ADMIN_USER_VARIABLE,
  type AdminUser,
  adminUserFromVariable,
  adminUsersAreEnvKeyed,
  mergeAdminUsers,
  readAdminUsers,
} from './admin-users.js';
import { type ConfigFile, configCandidates, type IsEnvKeyed, readConfigFile } from './config-file.js';
import { type DriverConfig, driversAreEnvKeyed, readDriverConfig } from './drivers-config.js';
import { type MasterInfo, masterIsEnvKeyed, readMaster } from './master.js';
import { readServers, serversAreEnvKeyed } from './servers.js';

/** The whole cluster of one environment, as the config files describe it. */
export interface ClusterConfig {
  readonly env: string;
  /** The app's folder (absolute), the one that holds `config/`. */
  readonly base: string;
  readonly master: MasterInfo;
  /** Every server of the environment, `clusterCount` expanded, in file order. */
  readonly servers: readonly ServerInfo[];
  /** From `config/adminUser.*` and `SHADDOCK_ADMIN_USER`; empty when neither is there. */
  readonly adminUsers: readonly AdminUser[];
  /** From `config/cluster.*` and the `SHADDOCK_…` variables: the scale-out services, if any. */
  readonly drivers: DriverConfig;
  /**
   * What start-up should tell the user about the files (a field that looks misspelt, a Pomelo file
   * read but not used), one line each; the process that speaks for the cluster logs them.
   */
  readonly notices?: readonly string[];
}

/**
 * Loads `config/servers.*`, `config/master.*`, `config/adminUser.*` and `config/cluster.*` under `base` for `env`,
 * validated; the first problem found throws one `ConfigError` naming the file and the field. What is
 * accepted but worth a word (a server field that looks misspelt, Pomelo's `config/adminServer.*`,
 * which Shaddock reads but does not use) is in `notices`.
 *
 * Each file may be JSON or a module (`.js`, `.mjs`, `.cjs`: its default export, or the module
 * itself), env-keyed (`{ "development": {…} }`) or flat; `config/<env>/<name>.*` wins over
 * `config/<name>.*`. `.ts` files are imported only where Node can import them (a loader such as
 * tsx, or Node 22.6+ with type stripping): a compiled app reads the `config/*.js` that `tsc` emits.
 * `environment` (default `process.env`) is where `SHADDOCK_ADMIN_USER` is read.
 *
 * @example
 * const cluster = await loadClusterConfig({ base: process.cwd(), env: 'production' });
 * const connectors = cluster.servers.filter((server) => server.serverType === 'connector');
 */
export async function loadClusterConfig(options: {
  readonly base: string;
  readonly env: string;
  readonly environment?: NodeJS.ProcessEnv;
}): Promise<ClusterConfig> {
  const { env } = options;
  const base = path.resolve(options.base);
  if (env === '' || /[/\\]/.test(env) || env === '.' || env === '..') {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      path.join(base, 'config'),
      'env',
      `"${env}" is not an environment name`,
    );
  }

  const serversFile = await readConfigFile(base, env, 'servers', serversAreEnvKeyed);
  if (serversFile === undefined) throw missing(base, env, 'servers');
  const notices: string[] = [];
  const servers = readServers(serversFile.file, serversFile.value, serversFile.at, notices);

  const masterFile = await readConfigFile(base, env, 'master', masterIsEnvKeyed);
  if (masterFile === undefined) throw missing(base, env, 'master');
  const master = readMaster(masterFile.file, masterFile.value, masterFile.at);

  const adminFile = await readConfigFile(base, env, 'adminUser', adminUsersAreEnvKeyed);
  const fileUsers =
    adminFile === undefined ? [] : readAdminUsers(adminFile.file, adminFile.value, adminFile.at);
  // Pomelo's per-type server tokens: read (so a bad file is an error) and reported as not used
  const adminServers = await readIgnoredFile(base, env, 'adminServer', adminServersAreEnvKeyed);
  if (adminServers !== undefined) {
    const types = readAdminServers(adminServers.file, adminServers.value, adminServers.at);
    notices.push(adminServersNotice(adminServers.file, types));
  }
  const environment = options.environment ?? process.env;
  const adminUsers = mergeAdminUsers(fileUsers, adminUserFromVariable(environment[ADMIN_USER_VARIABLE]));

  const driversFile = await readConfigFile(base, env, 'cluster', driversAreEnvKeyed);
  const drivers = readDriverConfig(
    driversFile?.file ?? path.join(base, 'config', 'cluster.json'),
    driversFile?.value,
    driversFile?.at ?? '',
    environment,
  );

  return { env, base, master, servers, adminUsers, drivers, notices };
}

/** A file read only to report on: one with nothing for this environment is as good as none. */
async function readIgnoredFile(
  base: string,
  env: string,
  name: string,
  isEnvKeyed: IsEnvKeyed,
): Promise<ConfigFile | undefined> {
  try {
    return await readConfigFile(base, env, name, isEnvKeyed);
  } catch (error) {
    if (error instanceof ConfigError && error.code === ErrorCode.ConfigUnknownEnv) return undefined;
    throw error;
  }
}

function missing(base: string, env: string, name: string): ConfigError {
  return new ConfigError(
    ErrorCode.ConfigMissing,
    path.join(base, 'config', `${name}.json`),
    undefined,
    `no ${name} config: looked for ${configCandidates(base, env, name)}`,
  );
}
