/**
 * `config/`: the cluster's config files (`servers`, `master`, `adminUser`; JSON or modules,
 * env-keyed or under `config/<env>/`), validated, with `clusterCount` expanded; and the process
 * identity, read from Pomelo-style `key=value` arguments or the environment.
 */
export type { AdminUser } from './admin-users.js';
export { type ClusterConfig, loadClusterConfig } from './cluster-config.js';
export {
  DRIVER_VARIABLES,
  type DriverConfig,
  LOCAL_DRIVER_CONFIG,
  type NatsServiceConfig,
  type RedisServiceConfig,
  type RpcTransport,
} from './drivers-config.js';
export type { MasterInfo } from './master.js';
export { type ProcessIdentity, readProcessIdentity } from './process-identity.js';
export { serverArguments, serverInfoFromIdentity } from './server-arguments.js';
