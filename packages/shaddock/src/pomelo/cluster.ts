import { MASTER_TYPE, type ServerInfo } from '../membership/index.js';
import type { Application } from '../server/index.js';

/** Pomelo's view of the master: a server of type `master`, not a frontend. */
export function masterOf(native: Application | undefined): ServerInfo | undefined {
  const master = native?.cluster.master;
  return master && { ...master, serverType: MASTER_TYPE, frontend: false };
}

/** Pomelo's `getServersFromConfig()`: the configured servers by id. */
export function serversFromConfig(native: Application | undefined): Readonly<Record<string, ServerInfo>> {
  return Object.fromEntries((native?.getServersFromConfig() ?? []).map((server) => [server.id, server]));
}

/** The types of the given servers, each once. */
export function serverTypesOf(servers: Readonly<Record<string, ServerInfo>>): string[] {
  return [...new Set(Object.values(servers).map((server) => server.serverType))];
}
