import type { ChannelStore } from 'shaddock';
import type { RedisConnection } from './connection.js';
import { closedStore } from './errors.js';
import type { ClusterKeys } from './keys.js';
import { isWrongType, type MalformedData } from './malformed-data.js';
import { malformedReply, type ScriptReply, scripts } from './scripts.js';
import { type RedisStoreOptions, storeParts } from './store-options.js';

/**
 * The {@link ChannelStore} in Redis: channel membership that every process of the cluster sees
 * (`shared`), and that outlives the server that wrote it. The global channel service reads and
 * writes the same keys: one truth.
 *
 * Layout: one hash per channel, `shaddock:<cluster>:channel:<name>`, uid → frontend id, plus the
 * set `shaddock:<cluster>:channels` of the channels that have members. One field per uid is what
 * makes "a uid is in a channel once, through one frontend" hold by construction; adding with another
 * frontend moves the member in one `HSET`. Writes are Lua scripts (the last member out removes the
 * channel from the set in the same step); `membersByFrontend`, the push path, is one script call
 * (one round trip) whose `[uid, frontend, …]` answer is grouped here in one pass.
 *
 * Every call needs Redis: while it is away calls reject at once with
 * `SHADDOCK_ERR_REDIS_UNAVAILABLE` (see {@link RedisConnection}). Data under the channel keys that
 * is not what this store writes (a key of another type, an empty frontend id) is skipped and logged;
 * a write to such a key rejects with `SHADDOCK_ERR_REDIS_COMMAND_FAILED` and changes nothing.
 *
 * @example
 * const store = new RedisChannelStore({ url: 'redis://127.0.0.1:6379', cluster: 'game' });
 * await store.add('room-1', 'ann', 'connector-1');
 * await store.membersByFrontend('room-1'); // Map { 'connector-1' => ['ann'] }
 * await store.close();
 */
export class RedisChannelStore implements ChannelStore {
  readonly shared: boolean = true;
  /** The process's connection to the store's URL (shared with the other Redis stores and services). */
  readonly connection: RedisConnection;
  readonly keys: ClusterKeys;
  readonly #malformed: MalformedData;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const parts = storeParts(options);
    this.connection = parts.connection;
    this.keys = parts.keys;
    this.#malformed = parts.malformed;
  }

  /** Resolves once Redis answers; rejects naming the URL when it cannot be reached now. */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  add(channel: string, uid: string, frontendId: string): Promise<boolean> {
    const key = this.keys.channel(channel);
    return this.#write(key, (run) =>
      run.shaddockChannelAdd(key, this.keys.channels, channel, uid, frontendId),
    );
  }

  remove(channel: string, uid: string, frontendId?: string): Promise<boolean> {
    const key = this.keys.channel(channel);
    const match = frontendId === undefined ? ['', '0'] : [frontendId, '1'];
    return this.#write(key, (run) =>
      run.shaddockChannelRemove(key, this.keys.channels, channel, uid, ...(match as [string, string])),
    );
  }

  async membersByFrontend(channel: string): Promise<ReadonlyMap<string, readonly string[]>> {
    const key = this.keys.channel(channel);
    const flat = await this.#read(key, [] as ScriptReply, (client) =>
      scripts(client).shaddockChannelMembers(key),
    );
    const groups = new Map<string, string[]>();
    if (!Array.isArray(flat)) return groups;
    for (let index = 0; index + 1 < flat.length; index += 2) {
      const uid = flat[index];
      const frontendId = flat[index + 1];
      if (typeof uid !== 'string' || typeof frontendId !== 'string' || frontendId === '') {
        this.#malformed.report('channel-member', key, `member ${String(uid)} has no frontend id`);
        continue;
      }
      const uids = groups.get(frontendId);
      if (uids === undefined) groups.set(frontendId, [uid]);
      else uids.push(uid);
    }
    return groups;
  }

  async membersOnFrontend(channel: string, frontendId: string): Promise<readonly string[]> {
    const key = this.keys.channel(channel);
    const uids = await this.#read(key, [] as ScriptReply, (client) =>
      scripts(client).shaddockChannelOnFrontend(key, frontendId),
    );
    return strings(uids);
  }

  async members(channel: string): Promise<readonly string[]> {
    const key = this.keys.channel(channel);
    return this.#read(key, [], (client) => client.hkeys(key));
  }

  async frontendOf(channel: string, uid: string): Promise<string | undefined> {
    const key = this.keys.channel(channel);
    const frontendId = await this.#read(key, null, (client) => client.hget(key, uid));
    return frontendId === null || frontendId === '' ? undefined : frontendId;
  }

  count(channel: string): Promise<number> {
    const key = this.keys.channel(channel);
    return this.#read(key, 0, (client) => client.hlen(key));
  }

  async destroy(channel: string): Promise<void> {
    const key = this.keys.channel(channel);
    await this.#run((client) => scripts(client).shaddockChannelDestroy(key, this.keys.channels, channel));
  }

  channels(): Promise<readonly string[]> {
    const key = this.keys.channels;
    return this.#read(key, [], (client) => client.smembers(key));
  }

  /** Releases this store's hold on the connection: the last Redis store or service to close closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.connection.release();
  }

  #run<T>(command: (client: RedisConnection['client']) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedStore('channel'));
    return this.connection.run(command);
  }

  /** Runs a write script; a malformed key is reported and the write rejects, changing nothing. */
  async #write(
    key: string,
    write: (run: ReturnType<typeof scripts>) => Promise<ScriptReply>,
  ): Promise<boolean> {
    try {
      return (await this.#run((client) => write(scripts(client)))) === 1;
    } catch (error) {
      throw this.#malformed.refusedWrite(error, [key], 'channel-key', 'a channel hash');
    }
  }

  /** Runs a read; a key of another type reads as `empty`, reported. */
  async #read<T>(key: string, empty: T, read: (client: RedisConnection['client']) => Promise<T>): Promise<T> {
    try {
      return await this.#run(read);
    } catch (error) {
      const malformed = malformedReply(error);
      if (malformed === undefined && !isWrongType(error)) throw error;
      const expected = key === this.keys.channels ? 'set' : 'hash';
      this.#malformed.report(
        'channel-key',
        key,
        `${malformed?.type ?? 'another type'}, not a ${expected}: read as empty`,
      );
      return empty;
    }
  }
}

/** The strings of a script's array answer. */
function strings(reply: ScriptReply): string[] {
  return Array.isArray(reply) ? reply.filter((item): item is string => typeof item === 'string') : [];
}
