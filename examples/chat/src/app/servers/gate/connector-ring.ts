import { ConsistentHashRouter, LocalMembership, type MembershipView, type ServerInfo } from 'shaddock';

/** A connector's address as clients use it: its `clientHost` (else `host`) and its `clientPort`. */
export type ConnectorAddress = { host: string; port: number };

/** The server type the gate hands out. */
const CONNECTOR = 'connector';
/** Rings kept, one per set of connectors: the full set, and the sets left when some are skipped. */
const RINGS_KEPT = 16;

/** Where clients reach `server`, or `undefined` for a server without a client port. */
function addressOf(server: ServerInfo): ConnectorAddress | undefined {
  return server.clientPort === undefined
    ? undefined
    : { host: server.clientHost ?? server.host, port: server.clientPort };
}

/** What {@link ConnectorRing.pick} found. */
export type ConnectorPick =
  | { readonly kind: 'found'; readonly server: ServerInfo; readonly address: ConnectorAddress }
  /** No connector with a client port is in membership. */
  | { readonly kind: 'none-running' }
  /** Every connector in membership is one the client failed to reach. */
  | { readonly kind: 'none-left'; readonly running: number };

/**
 * The connectors in membership on a consistent-hash ring of their ids, as `ConsistentHashRouter`
 * builds it: a key always lands on the same connector while the connectors stay the same. The
 * connectors a client failed to reach are taken off the ring for its pick, so its key lands on
 * the next connector clockwise, where it would land if they had left membership; the others keep
 * theirs. Only membership is read: a connector that is not in it is never picked.
 *
 * @example
 * const ring = new ConnectorRing(app.membership);
 * const pick = ring.pick('ann', [{ host: '127.0.0.1', port: 3051 }]);
 */
export class ConnectorRing {
  readonly #membership: MembershipView;
  /** Rings by the ids on them: a ring depends on nothing else, so an entry never goes stale. */
  readonly #rings = new Map<string, ConsistentHashRouter>();

  constructor(membership: MembershipView) {
    this.#membership = membership;
  }

  /** The connector for `key`, leaving out those whose address is in `failed`. */
  pick(key: string, failed: readonly ConnectorAddress[] = []): ConnectorPick {
    const running = this.#membership.byType(CONNECTOR).filter((server) => server.clientPort !== undefined);
    if (running.length === 0) return { kind: 'none-running' };
    const left = running.filter(
      (server) => !failed.some((address) => sameAddress(addressOf(server), address)),
    );
    if (left.length === 0) return { kind: 'none-left', running: running.length };
    const id = this.#ring(left).routeKey(CONNECTOR, key);
    const server = left.find((candidate) => candidate.id === id);
    const address = server === undefined ? undefined : addressOf(server);
    // The ring holds exactly the ids of `left`, each with a client port.
    if (server === undefined || address === undefined) throw new Error(`connector ${id} is not on its ring`);
    return { kind: 'found', server, address };
  }

  #ring(servers: readonly ServerInfo[]): ConsistentHashRouter {
    const ids = servers.map((server) => server.id).sort();
    const name = ids.join('\n');
    const known = this.#rings.get(name);
    if (known !== undefined) {
      // Most recently used last, so the oldest is the one let go.
      this.#rings.delete(name);
      this.#rings.set(name, known);
      return known;
    }
    const view = new LocalMembership(
      ids.map((id) => ({ id, serverType: CONNECTOR, host: '', frontend: true })),
    );
    const ring = new ConsistentHashRouter(view);
    this.#rings.set(name, ring);
    if (this.#rings.size > RINGS_KEPT) {
      const [oldestName, oldest] = this.#rings.entries().next().value ?? [];
      if (oldestName !== undefined) this.#rings.delete(oldestName);
      oldest?.dispose();
    }
    return ring;
  }
}

/** Host names compare without case (DNS ignores it), ports exactly. */
function sameAddress(a: ConnectorAddress | undefined, b: ConnectorAddress): boolean {
  return a !== undefined && a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}
