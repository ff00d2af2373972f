/**
 * `config/`: the cluster's config files (`servers`, `master`, `adminUser`; JSON or modules,
 * env-keyed or under `config/<env>/`), validated, with `clusterCount` expanded; and the process
 * identity, read from Pomelo-style `key=value` arguments or the environment.
 */
export type { AdminUser } from './admin-users.js';
export { type ClusterConfig, loadClusterConfig } from './cluster-config.js';
export {
  clusterSecretOf,
  DEVELOPMENT_SECRET_WARNING,
  PRODUCTION_ENV,
  type ResolvedClusterSecret,
  resolveClusterSecret,
} from './cluster-secret.js';
export { type ConfigFile, fieldPath, isRecord, readConfigFile } from './config-file.js';
export { dictionaryRoutes } from './dictionary.js';
export {
  DRIVER_VARIABLES,
  type DriverConfig,
  LOCAL_DRIVER_CONFIG,
  MIN_SECRET_LENGTH,
  type NatsServiceConfig,
  type RedisServiceConfig,
  type RpcDriverConfig,
  type RpcTransport,
} from './drivers-config.js';
export type { MasterInfo } from './master.js';
export { type ProcessIdentity, readProcessIdentity } from './process-identity.js';
export { serverArguments, serverInfoFromIdentity } from './server-arguments.js';
