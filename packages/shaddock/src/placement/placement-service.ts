import type { Logger } from '../logging/index.js';
import type { MembershipView, ServerInfo } from '../membership/index.js';
import { ConsistentHashRouter, type RouteFunction, type RpcTarget } from '../rpc/index.js';
import {
  checkPlacement,
  type PlacementClaim,
  type PlacementEntry,
  type PlacementTable,
  placementField,
} from './placement-table.js';

/** A key that moved because its owner left the cluster. */
export interface PlacementMove {
  readonly kind: string;
  readonly key: string;
  /** The server that left (its state of the key died with it). */
  readonly from: string;
  /** The server that owns the key now; it re-creates it. */
  readonly to: string;
}

/** What a {@link PlacementService} tells the app. */
export interface PlacementEvents {
  /**
   * On the new owner, once per key: this server took the key over from `from`, which left the
   * cluster. The app re-creates the key's state and may tell its members.
   */
  adopted: PlacementMove;
  /**
   * On every server that routed to the key (a frontend with members in a room): the key's owner
   * left, and the key lives on `to` now. A frontend tells its members and re-enters them there.
   */
  moved: PlacementMove;
}

/** The system remote every server serves: the owner hears that it adopted a key. */
export interface PlacementRemote {
  adopted(kind: string, key: string, from: string): Promise<void>;
}

/** The system remote's name. */
export const PLACEMENT_REMOTE = 'placementRemote';

/** What a {@link PlacementService} needs. */
export interface PlacementServiceOptions {
  readonly serverId: string;
  readonly membership: MembershipView;
  readonly table: PlacementTable;
  /** Calls a server's system remote (to tell a new owner it adopted a key). */
  readonly invoke: (serverId: string, target: RpcTarget, args: unknown[]) => Promise<unknown>;
  readonly logger: Logger;
}

interface Cached {
  readonly kind: string;
  readonly key: string;
  readonly serverType: string;
  readonly owner: string;
}

/**
 * Routing by placement (service `placement`): the owner of a key is what the placement table says;
 * a key that has none is claimed for the server of its type that the consistent hash of the key
 * picks (the same ring as the default route, so a key lands where it always did while membership
 * is unchanged). Once placed, a key stays on its server when servers are added: only new keys go
 * to new servers. A key whose owner left the cluster is claimed again for a live server, which
 * hears it `adopted` the key.
 *
 * Owners are cached in this process: a request pays a round trip to the table only for the first
 * use of a key here. The cache forgets an owner when it leaves membership and when the table says
 * its key was released.
 *
 * @example
 * app.route('chat', placementRoute(app, 'room', (routeParam) => roomOf(routeParam)));
 * app.placement.on('adopted', ({ key, from }) => app.logger.info(`room ${key} re-created here (was on ${from})`));
 */
export class PlacementService {
  readonly table: PlacementTable;
  readonly #serverId: string;
  readonly #membership: MembershipView;
  readonly #invoke: PlacementServiceOptions['invoke'];
  readonly #logger: Logger;
  readonly #router: ConsistentHashRouter;
  /** Cached owners by kind, then key: no string is built on the request path. */
  readonly #owners = new Map<string, Map<string, Cached>>();
  readonly #claiming = new Map<string, Promise<string>>();
  readonly #listeners: { [Event in keyof PlacementEvents]: Set<(event: PlacementEvents[Event]) => void> } = {
    adopted: new Set(),
    moved: new Set(),
  };
  readonly #unsubscribe: (() => void)[];

  constructor(options: PlacementServiceOptions) {
    this.table = options.table;
    this.#serverId = options.serverId;
    this.#membership = options.membership;
    this.#invoke = options.invoke;
    this.#logger = options.logger;
    this.#router = new ConsistentHashRouter(options.membership);
    this.#unsubscribe = [
      options.membership.on('remove', (server) => this.#ownerLeft(server)),
      this.table.watch((released) => this.#released(released)),
    ];
  }

  /**
   * The server of `serverType` that owns `key` of `kind`: the cached owner at once, else the
   * table's after one round trip (claiming the key when it is free). Throws `NoServerForRoute`
   * when no server of the type is up, `SHADDOCK_ERR_PLACEMENT_INVALID` for a bad kind or key.
   */
  owner(serverType: string, kind: string, key: string): string | Promise<string> {
    const cached = this.#owners.get(kind)?.get(key);
    if (cached !== undefined) return cached.owner;
    checkPlacement(kind, key);
    const field = placementField(kind, key);
    let claiming = this.#claiming.get(field);
    if (claiming === undefined) {
      claiming = this.#claim(serverType, kind, key);
      this.#claiming.set(field, claiming);
      const done = (): void => void this.#claiming.delete(field);
      claiming.then(done, done);
    }
    return claiming;
  }

  /** The owner this process knows for the key, without asking the table. */
  knownOwner(kind: string, key: string): string | undefined {
    return this.#owners.get(kind)?.get(key)?.owner;
  }

  /**
   * A route function (`app.route(serverType, …)`) that sends a call to the owner of the key
   * `keyOf` finds in its route parameter.
   */
  route(kind: string, keyOf: (routeParam: unknown) => string): RouteFunction {
    return (routeParam: unknown, servers: readonly ServerInfo[]) => {
      const serverType = servers[0]?.serverType ?? '';
      return this.owner(serverType, kind, keyOf(routeParam));
    };
  }

  /** Frees a key this server owns (its state is gone, such as an emptied room); true when it did. */
  async release(kind: string, key: string): Promise<boolean> {
    const released = await this.table.release(kind, key, this.#serverId);
    if (released) this.#forget(kind, key, this.#serverId);
    return released;
  }

  /** Every key `serverId` owns (default: this server). */
  ownedBy(serverId: string = this.#serverId): Promise<readonly PlacementEntry[]> {
    return this.table.ownedBy(serverId);
  }

  /** Listens to an event; returns the function that stops it. */
  on<Event extends keyof PlacementEvents>(
    event: Event,
    listener: (move: PlacementEvents[Event]) => void,
  ): () => void {
    const listeners = this.#listeners[event] as Set<(move: PlacementEvents[Event]) => void>;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** The system remote: another server claimed a key for this one after its owner left. */
  remote(): PlacementRemote {
    return {
      adopted: async (kind, key, from) => this.#emit('adopted', { kind, key, from, to: this.#serverId }),
    };
  }

  /** Stops following membership and the table. */
  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#router.dispose();
  }

  async #claim(serverType: string, kind: string, key: string): Promise<string> {
    // A table may still name an owner that left (a shared store hears of it later than membership):
    // free that owner's keys and claim again. Twice is enough: the second claim's owner is live or new.
    for (let attempt = 0; ; attempt++) {
      const candidate = this.#router.routeKey(serverType, key);
      const claim = await this.table.claim(kind, key, candidate);
      if (this.#membership.get(claim.owner) !== undefined || attempt === 2) {
        let keys = this.#owners.get(kind);
        if (keys === undefined) {
          keys = new Map();
          this.#owners.set(kind, keys);
        }
        keys.set(key, { kind, key, serverType, owner: claim.owner });
        this.#announceAdoption(kind, key, claim);
        return claim.owner;
      }
      await this.table.releaseServer(claim.owner);
    }
  }

  #announceAdoption(kind: string, key: string, claim: PlacementClaim): void {
    const { owner, previousOwner } = claim;
    if (previousOwner === undefined) return;
    const move = { kind, key, from: previousOwner, to: owner };
    if (owner === this.#serverId) {
      this.#emit('adopted', move);
      return;
    }
    const serverType = this.#membership.get(owner)?.serverType;
    if (serverType === undefined) return;
    const target: RpcTarget = { namespace: 'sys', serverType, remote: PLACEMENT_REMOTE, method: 'adopted' };
    this.#invoke(owner, target, [kind, key, previousOwner]).catch((error: unknown) =>
      this.#logger.warn(
        { err: error, kind, key, owner },
        `could not tell ${owner} it adopted ${kind} ${key}`,
      ),
    );
  }

  /** An owner left: forget its keys, and place every key this server routed to it again, at once. */
  #ownerLeft(server: ServerInfo): void {
    const lost: Cached[] = [];
    for (const keys of this.#owners.values()) {
      for (const [key, cached] of keys) {
        if (cached.owner !== server.id) continue;
        keys.delete(key);
        lost.push(cached);
      }
    }
    for (const { kind, key, serverType } of lost) void this.#move(serverType, kind, key, server.id);
  }

  async #move(serverType: string, kind: string, key: string, from: string): Promise<void> {
    try {
      const to = await this.owner(serverType, kind, key);
      this.#emit('moved', { kind, key, from, to });
    } catch (error) {
      // no server of the type is left: the next use places the key, or fails with NoServerForRoute
      this.#logger.warn({ err: error, kind, key }, `could not place ${kind} ${key} again after ${from} left`);
    }
  }

  #released(released: PlacementEntry): void {
    this.#forget(released.kind, released.key, released.owner);
  }

  #forget(kind: string, key: string, owner: string): void {
    const keys = this.#owners.get(kind);
    if (keys?.get(key)?.owner === owner) keys.delete(key);
  }

  #emit<Event extends keyof PlacementEvents>(event: Event, move: PlacementEvents[Event]): void {
    for (const listener of this.#listeners[event] as Set<(move: PlacementEvents[Event]) => void>) {
      try {
        listener(move);
      } catch (error) {
        this.#logger.error(
          { err: error, event, kind: move.kind, key: move.key },
          `a placement '${event}' listener failed`,
        );
      }
    }
  }
}
