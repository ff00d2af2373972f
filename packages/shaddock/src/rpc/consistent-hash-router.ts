import { NoServerForRoute } from '../errors.js';
import type { MembershipView, ServerInfo } from '../membership/index.js';

/**
 * Picks the server of a type that takes a call: gets the call's route parameter (usually the
 * session) and the servers of the type in a stable order, returns a server id. Registered per
 * server type with `app.route(type, fn)`.
 */
export type RouteFunction = (routeParam: unknown, servers: readonly ServerInfo[]) => string | Promise<string>;

/**
 * The key a route parameter is hashed by: its `uid` when it is an object with a string or number
 * `uid` (a session), else its string form.
 */
export function routeKey(routeParam: unknown): string {
  if (typeof routeParam === 'object' && routeParam !== null) {
    const uid: unknown = (routeParam as { uid?: unknown }).uid;
    if (typeof uid === 'string' || typeof uid === 'number') return String(uid);
  }
  return String(routeParam);
}

/** A stable 32-bit hash of a string (FNV-1a over UTF-16 units, then Murmur3's final mix for spread). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

interface Ring {
  readonly points: Uint32Array;
  readonly owners: readonly string[];
}

/** Options of {@link ConsistentHashRouter}. */
export interface ConsistentHashRouterOptions {
  /** Points each server takes on the ring (default 128): more spreads keys more evenly. */
  virtualNodes?: number;
}

/**
 * The default route: a consistent-hash ring per server type, built from membership on first use
 * and rebuilt lazily after a server of that type joins or leaves. A key stays on its server while
 * the membership is unchanged, and adding a server to N moves only about 1/(N+1) of the keys, all
 * to the new server (Pomelo's `crc32(uid) % n` moves most of them).
 *
 * @example
 * const router = new ConsistentHashRouter(membership);
 * const serverId = router.route('chat', session); // same uid, same server
 */
export class ConsistentHashRouter {
  readonly #membership: MembershipView;
  readonly #virtualNodes: number;
  readonly #rings = new Map<string, Ring>();
  readonly #unsubscribe: (() => void)[];

  constructor(membership: MembershipView, options: ConsistentHashRouterOptions = {}) {
    this.#membership = membership;
    this.#virtualNodes = options.virtualNodes ?? 128;
    const forget = (server: ServerInfo): void => void this.#rings.delete(server.serverType);
    this.#unsubscribe = [membership.on('add', forget), membership.on('remove', forget)];
  }

  /** The id of the server of `serverType` that owns this route parameter. Throws `NoServerForRoute`. */
  route(serverType: string, routeParam: unknown): string {
    return this.routeKey(serverType, routeKey(routeParam));
  }

  /** The id of the server of `serverType` that owns this key. Throws `NoServerForRoute`. */
  routeKey(serverType: string, key: string): string {
    const ring = this.#rings.get(serverType) ?? this.#build(serverType);
    const { points, owners } = ring;
    const hash = hashString(key);
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle]! < hash) low = middle + 1;
      else high = middle;
    }
    return owners[low === points.length ? 0 : low]!;
  }

  /** Stops following membership. */
  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#rings.clear();
  }

  #build(serverType: string): Ring {
    const servers = this.#membership.byType(serverType);
    if (servers.length === 0) throw new NoServerForRoute(serverType, 'none is running');
    const entries: { point: number; owner: string }[] = [];
    for (const { id } of servers) {
      for (let node = 0; node < this.#virtualNodes; node++)
        entries.push({ point: hashString(`${id}#${node}`), owner: id });
    }
    // ties broken by id so every process builds the same ring
    entries.sort((a, b) => a.point - b.point || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
    const ring: Ring = {
      points: Uint32Array.from(entries, (entry) => entry.point),
      owners: entries.map((entry) => entry.owner),
    };
    this.#rings.set(serverType, ring);
    return ring;
  }
}
