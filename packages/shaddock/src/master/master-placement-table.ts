import type { PlacementClaim, PlacementEntry, PlacementTable } from '../placement/index.js';
import type { MonitorClient } from './monitor-client.js';

/**
 * The embedded default {@link PlacementTable} of a server under a master: the master's table (one
 * authority for the cluster, in the master's memory), reached over this server's monitor
 * connection. Each call is one round trip; `PlacementService` caches owners, so a key costs one
 * per process. The master frees a server's keys as it leaves membership, and announces every
 * released key to every server (`watch`).
 */
export class MasterPlacementTable implements PlacementTable {
  readonly shared: boolean = true;
  readonly #monitor: MonitorClient;
  readonly #watchers = new Set<(released: PlacementEntry) => void>();

  constructor(monitor: MonitorClient) {
    this.#monitor = monitor;
  }

  async claim(kind: string, key: string, candidate: string): Promise<PlacementClaim> {
    return (await this.#monitor.placement({ name: 'claim', kind, key, candidate })) as PlacementClaim;
  }

  async owner(kind: string, key: string): Promise<string | undefined> {
    const owner = await this.#monitor.placement({ name: 'owner', kind, key });
    return typeof owner === 'string' ? owner : undefined;
  }

  async release(kind: string, key: string, owner: string): Promise<boolean> {
    return (await this.#monitor.placement({ name: 'release', kind, key, owner })) === true;
  }

  async releaseServer(serverId: string): Promise<readonly PlacementEntry[]> {
    return (await this.#monitor.placement({ name: 'release-server', serverId })) as PlacementEntry[];
  }

  async ownedBy(serverId: string): Promise<readonly PlacementEntry[]> {
    return (await this.#monitor.placement({ name: 'owned-by', serverId })) as PlacementEntry[];
  }

  watch(listener: (released: PlacementEntry) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  /** The master announced a released key. */
  released(entry: PlacementEntry): void {
    for (const watcher of this.#watchers) watcher(entry);
  }
}
