import type { ServerInfo } from './server-info.js';

/** What membership announces. */
export type MembershipEvent = 'add' | 'remove';

/**
 * The current set of servers, and news of servers joining and leaving: what RPC, channels and
 * sessions read. {@link Membership} adds the lifecycle of the driver behind it.
 */
export interface MembershipView {
  /** Every server now known. */
  servers(): readonly ServerInfo[];
  /** The server with this id, if it is known. */
  get(id: string): ServerInfo | undefined;
  /** The servers of a type, in a stable order (by id). */
  byType(serverType: string): readonly ServerInfo[];
  /** Calls `listener` for each server added or removed; returns the function that stops it. */
  on(event: MembershipEvent, listener: (server: ServerInfo) => void): () => void;
}

/**
 * Who is in the cluster: a driver chosen at start-up. The embedded default is the master's
 * registry (`MasterMembership`); a scale-out driver (NATS) implements the same interface and
 * passes the same contract suite (`describeMembershipContract` in `shaddock/testing`).
 *
 * Its life: `start()` joins the cluster and fills the view (this server's components may call
 * others from then on); `ready()` announces this server, so the others see it only once it
 * serves; `stop()` leaves at once (the others get `remove`). A member that crashes or is cut off
 * is removed from every other view without any call from it.
 */
export interface Membership extends MembershipView {
  /** Joins the cluster; resolves once the view holds every server up now. */
  start(): Promise<void>;
  /** Announces this server to the others: it serves from now on. */
  ready(): Promise<void> | void;
  /** Leaves the cluster; the others hear of it at once. */
  stop(): Promise<void>;
}

/**
 * A membership view held in this process, fed by whoever knows the cluster (the master's
 * registry, a NATS watcher). Drivers keep one and change it as news arrives.
 */
export class LocalMembership implements MembershipView {
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

/**
 * A fixed membership: every server of the config is a member, from start to stop. For a lone
 * server run without a master or a scale-out driver (tests, one process); it is no cluster
 * membership (nobody joins or leaves), so it is outside the contract suite.
 */
export class FixedMembership extends LocalMembership implements Membership {
  readonly #servers: readonly ServerInfo[];

  constructor(servers: readonly ServerInfo[]) {
    super();
    this.#servers = servers;
  }

  async start(): Promise<void> {
    this.replace(this.#servers);
  }

  ready(): void {}

  async stop(): Promise<void> {}
}
