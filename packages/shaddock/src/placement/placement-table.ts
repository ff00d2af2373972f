import { ErrorCode, ShaddockError } from '../errors.js';

/** One key placed on a server: a room (`kind` `room`), an area, … and the server that owns it. */
export interface PlacementEntry {
  readonly kind: string;
  readonly key: string;
  readonly owner: string;
}

/** What {@link PlacementTable.claim} answers. */
export interface PlacementClaim {
  /** The server that owns the key now: the claimer's candidate when the key was free, else its owner. */
  readonly owner: string;
  /**
   * Set when this claim took the key over from a server that left the cluster (its state died with
   * it): the key must be re-created on `owner`. Told to exactly one claimer.
   */
  readonly previousOwner?: string;
}

/**
 * Where stateful keys live (room or area → owning server): a replaceable driver, chosen at
 * start-up (`createApp({ drivers: { placementTable } })`). The embedded default is the master's
 * table, reached over each server's monitor connection; `@shaddock/redis` keeps it in Redis.
 *
 * Rules every implementation keeps (the contract suite `describePlacementTableContract` in
 * `shaddock/testing` checks them):
 * - `claim` is atomic: the first claimer of a free key makes its candidate the owner, every later
 *   claimer gets that owner, until the key is released;
 * - `release(kind, key, owner)` frees the key only while `owner` still owns it;
 * - `releaseServer(id)` (the server left the cluster) frees every key of `id`, and the next claim
 *   of each such key says `previousOwner: id`, once;
 * - `watch` listeners hear of every `release` made through any table of the same cluster (a shared
 *   table: every process's), so caches of owners can forget released keys.
 */
export interface PlacementTable {
  /** Whether every process sees the same entries (the master's table, Redis), or each its own (memory). */
  readonly shared: boolean;
  /** Makes `candidate` the owner of the key unless it has one; answers the owner. */
  claim(kind: string, key: string, candidate: string): Promise<PlacementClaim>;
  /** The owner of the key, or `undefined` when it is free. */
  owner(kind: string, key: string): Promise<string | undefined>;
  /** Frees the key when `owner` owns it; true when it did. */
  release(kind: string, key: string, owner: string): Promise<boolean>;
  /** Frees every key `serverId` owns (it left the cluster); answers them. Doing it twice frees nothing more. */
  releaseServer(serverId: string): Promise<readonly PlacementEntry[]>;
  /** Every key `serverId` owns. */
  ownedBy(serverId: string): Promise<readonly PlacementEntry[]>;
  /** Calls `listener` for each key released by `release`; returns the function that stops it. */
  watch(listener: (released: PlacementEntry) => void): () => void;
  /** Opens what the table needs (its connection) before the server's components start. */
  connect?(): void | Promise<void>;
  /** Releases what the table holds open; called once, as the server stops. */
  close?(): void | Promise<void>;
}

/** What a kind may be: a short name (it goes into keys of shared stores). */
const KIND = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The longest key, in UTF-16 units: a name, not a document. */
const MAX_KEY_LENGTH = 1024;

/** Throws `SHADDOCK_ERR_PLACEMENT_INVALID` for a kind, key or server id the table cannot hold. */
export function checkPlacement(kind: unknown, key: unknown, serverId?: unknown): void {
  if (typeof kind !== 'string' || !KIND.test(kind))
    throw invalid(
      `placement kind ${JSON.stringify(kind)} must be 1-64 letters, digits, "_", ".", ":" or "-"`,
    );
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH)
    throw invalid(`placement key ${JSON.stringify(key)} must be a string of 1-${MAX_KEY_LENGTH} characters`);
  if (serverId !== undefined && (typeof serverId !== 'string' || serverId === ''))
    throw invalid(`placement owner ${JSON.stringify(serverId)} must be a server id`);
}

function invalid(message: string): ShaddockError {
  return new ShaddockError(ErrorCode.PlacementInvalid, message);
}

/** The one string a (kind, key) pair is filed under: a kind never holds `\n`. */
export function placementField(kind: string, key: string): string {
  return `${kind}\n${key}`;
}

/** The (kind, key) pair of a {@link placementField}. */
export function splitPlacementField(field: string): { kind: string; key: string } {
  const at = field.indexOf('\n');
  return { kind: field.slice(0, at), key: field.slice(at + 1) };
}

/**
 * A {@link PlacementTable} in this process's memory: the master's table (the authority of a
 * one-machine cluster, which serves it to every server), and the table of a lone process.
 *
 * @example
 * const table = new MemoryPlacementTable();
 * await table.claim('room', 'lobby', 'chat-server-1'); // { owner: 'chat-server-1' }
 * await table.claim('room', 'lobby', 'chat-server-2'); // { owner: 'chat-server-1' }
 */
export class MemoryPlacementTable implements PlacementTable {
  readonly shared: boolean = false;
  /** Owner by field. */
  readonly #owners = new Map<string, string>();
  /** Fields by owner. */
  readonly #byOwner = new Map<string, Set<string>>();
  /** Fields freed because their owner left, with that owner: the next claim says it. */
  readonly #lost = new Map<string, string>();
  readonly #watchers = new Set<(released: PlacementEntry) => void>();

  async claim(kind: string, key: string, candidate: string): Promise<PlacementClaim> {
    return this.claimNow(kind, key, candidate);
  }

  /** {@link claim}, answered at once (the master serves claims with it). */
  claimNow(kind: string, key: string, candidate: string): PlacementClaim {
    checkPlacement(kind, key, candidate);
    const field = placementField(kind, key);
    const owner = this.#owners.get(field);
    if (owner !== undefined) return { owner };
    this.#owners.set(field, candidate);
    let fields = this.#byOwner.get(candidate);
    if (fields === undefined) {
      fields = new Set();
      this.#byOwner.set(candidate, fields);
    }
    fields.add(field);
    const previousOwner = this.#lost.get(field);
    if (previousOwner === undefined) return { owner: candidate };
    this.#lost.delete(field);
    return { owner: candidate, previousOwner };
  }

  async owner(kind: string, key: string): Promise<string | undefined> {
    return this.ownerNow(kind, key);
  }

  /** {@link owner}, answered at once. */
  ownerNow(kind: string, key: string): string | undefined {
    checkPlacement(kind, key);
    return this.#owners.get(placementField(kind, key));
  }

  async release(kind: string, key: string, owner: string): Promise<boolean> {
    return this.releaseNow(kind, key, owner);
  }

  /** {@link release}, answered at once. */
  releaseNow(kind: string, key: string, owner: string): boolean {
    checkPlacement(kind, key, owner);
    const field = placementField(kind, key);
    this.#lost.delete(field);
    if (this.#owners.get(field) !== owner) return false;
    this.#forget(field, owner);
    const released = { kind, key, owner };
    for (const watcher of this.#watchers) watcher(released);
    return true;
  }

  async releaseServer(serverId: string): Promise<readonly PlacementEntry[]> {
    return this.releaseServerNow(serverId);
  }

  /** {@link releaseServer}, answered at once (the master runs it as a server leaves). */
  releaseServerNow(serverId: string): PlacementEntry[] {
    const fields = this.#byOwner.get(serverId);
    if (fields === undefined) return [];
    this.#byOwner.delete(serverId);
    const released: PlacementEntry[] = [];
    for (const field of fields) {
      this.#owners.delete(field);
      this.#lost.set(field, serverId);
      released.push({ ...splitPlacementField(field), owner: serverId });
    }
    return released;
  }

  async ownedBy(serverId: string): Promise<readonly PlacementEntry[]> {
    return this.ownedByNow(serverId);
  }

  /** {@link ownedBy}, answered at once. */
  ownedByNow(serverId: string): PlacementEntry[] {
    const fields = this.#byOwner.get(serverId) ?? [];
    return [...fields].map((field) => ({ ...splitPlacementField(field), owner: serverId }));
  }

  watch(listener: (released: PlacementEntry) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  #forget(field: string, owner: string): void {
    this.#owners.delete(field);
    const fields = this.#byOwner.get(owner);
    fields?.delete(field);
    if (fields?.size === 0) this.#byOwner.delete(owner);
  }
}
