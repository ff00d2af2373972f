/**
 * The master and its monitors: spawning every server, supervision and restarts, the registry
 * that feeds membership, `afterStartAll`; and `MasterMembership`, the membership driver (and
 * line to the master) that every server it runs holds.
 */
export {
  type MasterMessage,
  type MonitorMessage,
  type ProcessStats,
  SERVER_TOKEN_ENV,
} from './control-protocol.js';
export { Master, type MasterOptions } from './master.js';
export { MasterMembership, type MasterMembershipOptions } from './master-membership.js';
export { MonitorClient, type MonitorClientOptions } from './monitor-client.js';
export { findPortHolders } from './port-holders.js';
export type { ServerStatus } from './registry.js';
export { type RunMasterOptions, runMaster } from './run-master.js';
export { reachableHost, type ServerOutput } from './spawner.js';
export { DEFAULT_RESTART_BACKOFF, DEFAULT_STOP_DEADLINE_MS, type RestartBackoff } from './supervisor.js';
