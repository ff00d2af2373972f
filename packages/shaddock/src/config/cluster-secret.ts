import path from 'node:path';
import { ConfigError, ErrorCode } from '../errors.js';
import { DEVELOPMENT_CLUSTER_SECRET } from '../transport/index.js';
import { DRIVER_VARIABLES, type DriverConfig } from './drivers-config.js';

/** The environment in which a process refuses to start without a configured cluster secret. */
export const PRODUCTION_ENV = 'production';

/** A process's cluster secret, and whether it was configured or is the development fallback. */
export interface ResolvedClusterSecret {
  readonly secret: string;
  /**
   * `configured`: `config/cluster.*` or `SHADDOCK_CLUSTER_SECRET`; `development`: none was (or the
   * development one itself was), outside production.
   */
  readonly source: 'configured' | 'development';
}

/**
 * The cluster secret this process proves membership with, every connection between servers (RPC,
 * monitor, NATS orders):
 *
 * - the configured one (`secret` in `config/cluster.*`, or `SHADDOCK_CLUSTER_SECRET`, which wins);
 * - none in `production`: a `ConfigError` (the process refuses to start); the well-known
 *   development secret configured by hand is refused there too;
 * - none elsewhere: the well-known development secret ({@link DEVELOPMENT_CLUSTER_SECRET}). Every
 *   process of a development cluster, however started (by its master, by hand, under a debugger,
 *   a test's own RPC client), agrees on it with no set-up; it keeps nobody out, so the caller
 *   warns once.
 *
 * `base` names the file in the error.
 *
 * @example
 * const { secret, source } = resolveClusterSecret(cluster.drivers, cluster.env, cluster.base);
 */
export function resolveClusterSecret(
  drivers: DriverConfig,
  env: string,
  base: string,
): ResolvedClusterSecret {
  const configured = drivers.secret;
  if (env === PRODUCTION_ENV) {
    if (configured === undefined || configured === DEVELOPMENT_CLUSTER_SECRET) {
      throw new ConfigError(
        ErrorCode.ConfigMissing,
        path.join(base, 'config', 'cluster.json'),
        'secret',
        `${configured === undefined ? 'no cluster secret' : 'the well-known development cluster secret'} in production: ` +
          `set "secret" in config/cluster.json (or ${DRIVER_VARIABLES.secret}) to at least 32 random characters ` +
          '(`node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"`); every process of the cluster needs the same one',
      );
    }
  }
  // the development secret, even written in the config (or filled in by createApp), keeps nobody out
  if (configured !== undefined && configured !== DEVELOPMENT_CLUSTER_SECRET)
    return { secret: configured, source: 'configured' };
  return { secret: DEVELOPMENT_CLUSTER_SECRET, source: 'development' };
}

/** `drivers.secret`, else the development secret: for code handed a config that `createApp` did not resolve (tests). */
export function clusterSecretOf(drivers: DriverConfig): string {
  return drivers.secret ?? DEVELOPMENT_CLUSTER_SECRET;
}

/** The one line a process without a configured secret logs. */
export const DEVELOPMENT_SECRET_WARNING =
  'no cluster secret is configured: the cluster uses the well-known development secret, so anything that reaches ' +
  `its ports can call its remotes. Set "secret" in config/cluster.json or ${DRIVER_VARIABLES.secret} ` +
  '(shaddock init makes one; production refuses to start without one)';
