/**
 * The master and its monitors: spawning every server, supervision and restarts, the registry
 * that feeds membership, `afterStartAll`; and `MasterMembership`, the membership driver (and
 * line to the master) that every server it runs holds. For scale-out clusters (membership over
 * NATS), `ClusterMaster`: any number of masters on any hosts, one elected leader, detached servers.
 */

export { ClusterMaster, type ClusterMasterOptions } from './cluster-master.js';
export type { ChildStatus, ClusterServerRow, MasterStatus } from './cluster-protocol.js';
export {
  type MasterMessage,
  type MonitorMessage,
  type ProcessStats,
  SERVER_TOKEN_ENV,
} from './control-protocol.js';
export { SUPERVISOR_ENV } from './detached-supervisor.js';
export { Master, type MasterOptions } from './master.js';
export { MasterMembership, type MasterMembershipOptions } from './master-membership.js';
export { MasterPlacementTable } from './master-placement-table.js';
export { MonitorClient, type MonitorClientOptions } from './monitor-client.js';
export type { PlacementOperation } from './placement-protocol.js';
export { findPortHolders } from './port-holders.js';
export type { ServerStatus } from './registry.js';
export {
  type ClusterMasterApp,
  MASTER_SPAWN_ENV,
  type RunClusterMasterOptions,
  runClusterMaster,
} from './run-cluster-master.js';
export { type RunMasterOptions, runMaster } from './run-master.js';
export { reachableHost, type ServerOutput } from './spawner.js';
export { DEFAULT_RESTART_BACKOFF, DEFAULT_STOP_DEADLINE_MS, type RestartBackoff } from './supervisor.js';
