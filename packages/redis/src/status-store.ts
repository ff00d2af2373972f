import type { StatusEntry, StatusStore } from 'shaddock';
import type { RedisConnection } from './connection.js';
import { closedStore } from './errors.js';
import type { ClusterKeys } from './keys.js';
import { isWrongType, type MalformedData } from './malformed-data.js';
import { type ScriptReply, scripts } from './scripts.js';
import { type RedisStoreOptions, storeParts } from './store-options.js';

/** How many uids one step of `removeFrontend` clears: each step is one short script. */
const REMOVE_FRONTEND_BATCH = 500;

const NO_ENTRIES: readonly StatusEntry[] = Object.freeze([]);

/**
 * The {@link StatusStore} in Redis: who is online on which frontend, seen by every process of the
 * cluster (`shared`), so `BackendSessionService.findByUid` asks only the frontends that hold a uid
 * and the status service answers without asking any (Pomelo's status plugin).
 *
 * Layout: per uid a list `shaddock:<cluster>:status:<uid>` of `<sessionId>:<frontendId>` entries
 * in the order they were added, and per frontend a set `shaddock:<cluster>:frontend:<id>` of the
 * uids with a session there, which is what lets `removeFrontend` (a frontend died: every server
 * hears it from membership and calls it) clear that frontend's sessions without scanning the
 * keyspace. Writes are Lua scripts, so the list and the set never disagree; `removeFrontend` runs
 * in batches of 500 uids, each atomic, so a big frontend never blocks Redis for long.
 *
 * While Redis is away calls reject at once with `SHADDOCK_ERR_REDIS_UNAVAILABLE`; a key of another
 * type or an entry that does not parse is skipped and logged.
 *
 * @example
 * const status = new RedisStatusStore({ url: 'redis://127.0.0.1:6379', cluster: 'game' });
 * await status.add('ann', 'connector-1', 7);
 * await status.lookup('ann'); // [{ frontendId: 'connector-1', sessionId: 7 }]
 */
export class RedisStatusStore implements StatusStore {
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

  async add(uid: string, frontendId: string, sessionId: number): Promise<void> {
    const keys = [this.keys.status(uid), this.keys.frontend(frontendId)] as const;
    await this.#write(keys, (run) => run.shaddockStatusAdd(...keys, entry(frontendId, sessionId), uid));
  }

  async remove(uid: string, frontendId: string, sessionId: number): Promise<void> {
    const keys = [this.keys.status(uid), this.keys.frontend(frontendId)] as const;
    await this.#write(keys, (run) =>
      run.shaddockStatusRemove(...keys, entry(frontendId, sessionId), uid, frontendId),
    );
  }

  async removeFrontend(frontendId: string): Promise<void> {
    const key = this.keys.frontend(frontendId);
    for (;;) {
      // a malformed set is reported and left: clearing a frontend never fails for bad data
      const reply = await this.#write(
        [key],
        (run) =>
          run.shaddockStatusRemoveFrontend(
            key,
            frontendId,
            this.keys.statusPrefix,
            String(REMOVE_FRONTEND_BATCH),
          ),
        false,
      );
      if (!Array.isArray(reply)) return;
      for (const uid of reply.slice(1)) {
        this.#malformed.report('status-key', this.keys.status(String(uid)), 'not a list: left as it is');
      }
      if (reply[0] !== REMOVE_FRONTEND_BATCH) return;
    }
  }

  async lookup(uid: string): Promise<readonly StatusEntry[]> {
    const key = this.keys.status(uid);
    let list: string[];
    try {
      list = await this.#run((client) => client.lrange(key, 0, -1));
    } catch (error) {
      if (!isWrongType(error)) throw error;
      this.#malformed.report('status-key', key, 'not a list: read as offline');
      return NO_ENTRIES;
    }
    return this.#entries(key, list);
  }

  /**
   * The sessions of each of `uids`, in one round trip (a pipeline): what the status service's
   * `getStatusByUids` and `pushByUids` read. The answer lists them in the order of `uids`.
   */
  async lookupMany(uids: readonly string[]): Promise<Array<readonly StatusEntry[]>> {
    if (uids.length === 0) return [];
    const keys = uids.map((uid) => this.keys.status(uid));
    const lists = await this.#run(async (client) => {
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.lrange(key, 0, -1);
      const replies = (await pipeline.exec()) ?? [];
      return keys.map((key, index): string[] | undefined => {
        const [error, list] = replies[index] ?? [new Error('no reply to LRANGE'), undefined];
        if (error === null) return list as string[];
        // thrown here, the connection tells a lost connection from Redis's own refusal
        if (!isWrongType(error)) throw error;
        this.#malformed.report('status-key', key, 'not a list: read as offline');
        return undefined;
      });
    });
    return lists.map((list, index) =>
      list === undefined ? NO_ENTRIES : this.#entries(keys[index] ?? '', list),
    );
  }

  /** Releases this store's hold on the connection: the last Redis store or service to close closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.connection.release();
  }

  #entries(key: string, list: readonly string[]): readonly StatusEntry[] {
    if (list.length === 0) return NO_ENTRIES;
    const entries: StatusEntry[] = [];
    for (const item of list) {
      const parsed = parseEntry(item);
      if (parsed === undefined) this.#malformed.report('status-entry', key, `entry "${item}" does not parse`);
      else entries.push(parsed);
    }
    return entries;
  }

  #run<T>(command: (client: RedisConnection['client']) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedStore('status'));
    return this.connection.run(command);
  }

  /**
   * Runs a write script; a malformed key is reported and changes nothing: the write rejects, or
   * answers `null` without `refuse`.
   */
  async #write(
    keys: readonly string[],
    write: (run: ReturnType<typeof scripts>) => Promise<ScriptReply>,
    refuse = true,
  ): Promise<ScriptReply> {
    try {
      return await this.#run((client) => write(scripts(client)));
    } catch (error) {
      const refused = this.#malformed.refusedWrite(error, keys, 'status-key', 'what the status store writes');
      if (!refuse) return null;
      throw refused;
    }
  }
}

/** A session as its list stores it: `<sessionId>:<frontendId>`. */
function entry(frontendId: string, sessionId: number): string {
  return `${sessionId}:${frontendId}`;
}

const ENTRY = /^(\d{1,15}):(.+)$/s;

function parseEntry(item: string): StatusEntry | undefined {
  const match = ENTRY.exec(item);
  if (match === null) return undefined;
  return { sessionId: Number(match[1]), frontendId: match[2] as string };
}
