import type { Redis } from 'ioredis';
import { checkPlacement, type PlacementClaim, type PlacementEntry, type PlacementTable } from 'shaddock';
import type { RedisConnection } from './connection.js';
import { closedStore, RedisDriverError, RedisErrorCode } from './errors.js';
import type { ClusterKeys } from './keys.js';
import type { MalformedData } from './malformed-data.js';
import { type ScriptReply, scripts } from './scripts.js';
import { type RedisStoreOptions, storeParts } from './store-options.js';

/**
 * The {@link PlacementTable} in Redis (room → owning server), one for every server of the cluster
 * on every host: what a scale-out cluster places rooms with.
 *
 * Layout: a hash `shaddock:<cluster>:placement` of `<kind>\n<key>` → owner; per owner a set
 * `…:placement-owner:<id>` of its fields (so `releaseServer` and `ownedBy` read no more than that
 * server's keys); a hash `…:placement-lost` of keys freed because their owner left, until the next
 * claim takes them over and says so. Claims and releases are Lua scripts (a claim is HSETNX plus
 * the index, atomically); a release publishes the key on `…:placement-released`, which every table
 * hears through a subscriber connection of its own (opened by `connect`), so caches of owners forget
 * it.
 *
 * @example
 * const table = new RedisPlacementTable({ url: 'redis://127.0.0.1:6379', cluster: 'game' });
 * await table.connect();
 * await table.claim('room', 'lobby', 'chat-server-1'); // { owner: 'chat-server-1' }
 */
export class RedisPlacementTable implements PlacementTable {
  readonly shared: boolean = true;
  readonly connection: RedisConnection;
  readonly keys: ClusterKeys;
  readonly #malformed: MalformedData;
  readonly #watchers = new Set<(released: PlacementEntry) => void>();
  #subscriber: Redis | undefined;
  #subscribed: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const parts = storeParts(options);
    this.connection = parts.connection;
    this.keys = parts.keys;
    this.#malformed = parts.malformed;
  }

  /** Resolves once Redis answers and this table hears releases; rejects naming the URL otherwise. */
  async connect(): Promise<void> {
    await this.connection.connect();
    this.#subscribed ??= this.#subscribe();
    await this.#subscribed;
  }

  async claim(kind: string, key: string, candidate: string): Promise<PlacementClaim> {
    checkPlacement(kind, key, candidate);
    const field = fieldOf(kind, key);
    const keys = [this.keys.placement, this.keys.placementLost, this.keys.placementOwner(candidate)] as const;
    const reply = await this.#write(keys, (run) => run.shaddockPlacementClaim(...keys, field, candidate));
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw this.#odd('claim', reply);
    const [owner, previousOwner] = reply;
    return typeof previousOwner === 'string' ? { owner, previousOwner } : { owner };
  }

  async owner(kind: string, key: string): Promise<string | undefined> {
    checkPlacement(kind, key);
    const owner = await this.#run((client) => client.hget(this.keys.placement, fieldOf(kind, key)));
    return owner ?? undefined;
  }

  async release(kind: string, key: string, owner: string): Promise<boolean> {
    checkPlacement(kind, key, owner);
    const keys = [this.keys.placement, this.keys.placementLost, this.keys.placementOwner(owner)] as const;
    const message = JSON.stringify({ kind, key, owner });
    const reply = await this.#write(keys, (run) =>
      run.shaddockPlacementRelease(...keys, fieldOf(kind, key), owner, this.keys.placementReleased, message),
    );
    return reply === 1;
  }

  async releaseServer(serverId: string): Promise<readonly PlacementEntry[]> {
    checkPlacement('server', serverId, serverId);
    const keys = [this.keys.placement, this.keys.placementLost, this.keys.placementOwner(serverId)] as const;
    const reply = await this.#write(keys, (run) => run.shaddockPlacementReleaseServer(...keys, serverId));
    return this.#entries(reply, serverId);
  }

  async ownedBy(serverId: string): Promise<readonly PlacementEntry[]> {
    const fields = await this.#run((client) => client.smembers(this.keys.placementOwner(serverId)));
    return this.#entries(fields, serverId);
  }

  watch(listener: (released: PlacementEntry) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  /** Closes the subscriber and releases this table's hold on the process's connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscriber?.disconnect();
    await this.connection.release();
  }

  async #subscribe(): Promise<void> {
    // a connection of its own: a subscribed connection takes no other command. ioredis subscribes
    // again by itself after a reconnection.
    const subscriber = this.connection.client.duplicate({ enableOfflineQueue: true, lazyConnect: true });
    subscriber.on('error', () => {}); // the shared connection reports outages, once
    subscriber.on('message', (_channel: string, message: string) => this.#heard(message));
    this.#subscriber = subscriber;
    await subscriber.connect();
    await subscriber.subscribe(this.keys.placementReleased);
  }

  #heard(message: string): void {
    let entry: unknown;
    try {
      entry = JSON.parse(message);
    } catch {
      entry = undefined;
    }
    if (!isEntry(entry)) {
      this.#malformed.report(
        'placement-message',
        this.keys.placementReleased,
        'a release that does not parse',
      );
      return;
    }
    for (const watcher of this.#watchers) watcher(entry);
  }

  #entries(reply: ScriptReply | string[], owner: string): PlacementEntry[] {
    if (!Array.isArray(reply)) return [];
    const entries: PlacementEntry[] = [];
    for (const field of reply) {
      const at = typeof field === 'string' ? field.indexOf('\n') : -1;
      if (typeof field !== 'string' || at < 1) continue;
      entries.push({ kind: field.slice(0, at), key: field.slice(at + 1), owner });
    }
    return entries;
  }

  #odd(what: string, reply: ScriptReply): RedisDriverError {
    return new RedisDriverError(
      RedisErrorCode.CommandFailed,
      `Redis answered a placement ${what} with ${JSON.stringify(reply)}`,
    );
  }

  #run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedStore('placement'));
    return this.connection.run(command);
  }

  /** Runs a write script; a key of another type is reported and the write refused. */
  async #write(
    keys: readonly string[],
    write: (run: ReturnType<typeof scripts>) => Promise<ScriptReply>,
  ): Promise<ScriptReply> {
    try {
      return await this.#run((client) => write(scripts(client)));
    } catch (error) {
      throw this.#malformed.refusedWrite(error, keys, 'placement-key', 'what the placement table writes');
    }
  }
}

/** The hash field of a key: a kind never holds `\n`. */
function fieldOf(kind: string, key: string): string {
  return `${kind}\n${key}`;
}

function isEntry(value: unknown): value is PlacementEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, key, owner } = value as Record<string, unknown>;
  return typeof kind === 'string' && typeof key === 'string' && typeof owner === 'string';
}
