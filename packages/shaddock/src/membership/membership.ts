import type { ServerInfo } from './server-info.js';

/** What membership announces. */
export type MembershipEvent = 'add' | 'remove';

/**
 * The current set of servers, and news of servers joining and leaving. One interface for every
 * source: the master's registry (the embedded default), later NATS or Redis.
 */
export interface Membership {
  /** Every server now known. */
  servers(): readonly ServerInfo[];
  /** The server with this id, if it is known. */
  get(id: string): ServerInfo | undefined;
  /** The servers of a type, in a stable order (by id). */
  byType(serverType: string): readonly ServerInfo[];
  /** Calls `listener` for each server added or removed; returns the function that stops it. */
  on(event: MembershipEvent, listener: (server: ServerInfo) => void): () => void;
}

/** Membership held in this process, fed by whoever knows the cluster (the master's registry). */
export class LocalMembership implements Membership {
  readonly #servers = new Map<string, ServerInfo>();
  readonly #byType = new Map<string, ServerInfo[]>();
  readonly #listeners: Record<MembershipEvent, Set<(server: ServerInfo) => void>> = {
    add: new Set(),
    remove: new Set(),
  };

  constructor(servers: Iterable<ServerInfo> = []) {
    for (const server of servers) this.add(server);
  }

  servers(): readonly ServerInfo[] {
    return [...this.#servers.values()];
  }

  get(id: string): ServerInfo | undefined {
    return this.#servers.get(id);
  }

  byType(serverType: string): readonly ServerInfo[] {
    return this.#byType.get(serverType) ?? [];
  }

  on(event: MembershipEvent, listener: (server: ServerInfo) => void): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Adds or updates a server; announces `add` when it is new. */
  add(server: ServerInfo): void {
    const known = this.#servers.has(server.id);
    this.#servers.set(server.id, server);
    this.#indexType(server.serverType);
    if (!known) for (const listener of this.#listeners.add) listener(server);
  }

  /** Removes a server; announces `remove` when it was known. */
  remove(id: string): void {
    const server = this.#servers.get(id);
    if (!server) return;
    this.#servers.delete(id);
    this.#indexType(server.serverType);
    for (const listener of this.#listeners.remove) listener(server);
  }

  /** Makes the set exactly `servers`, announcing the differences. */
  replace(servers: Iterable<ServerInfo>): void {
    const next = new Map([...servers].map((server) => [server.id, server]));
    for (const id of [...this.#servers.keys()]) if (!next.has(id)) this.remove(id);
    for (const server of next.values()) this.add(server);
  }

  #indexType(serverType: string): void {
    const list = [...this.#servers.values()].filter((server) => server.serverType === serverType);
    list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (list.length === 0) this.#byType.delete(serverType);
    else this.#byType.set(serverType, list);
  }
}
