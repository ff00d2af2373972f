/**
 * Where channel membership is recorded: which uid is in which channel through which frontend. A
 * replaceable driver, chosen at start-up (`createApp({ drivers: { channelStore } })`); the default
 * is {@link MemoryChannelStore}, this process only. A store shared by every process (Redis) makes
 * membership visible cluster-wide (Pomelo's global channel: `getMembersBySid`,
 * `getMembersByChannelName`) and lets a restarted server find its channels again.
 *
 * Every method may answer synchronously or with a promise: callers await only a promise, so the
 * memory store costs no await. Rules every implementation keeps (the contract suite
 * `describeChannelStoreContract` in `shaddock/testing` checks them):
 *
 * - a uid is in a channel at most once, through one frontend: adding it with another frontend
 *   moves it there (the user reconnected elsewhere); adding it again as it is changes nothing;
 * - a channel exists in the store while it has members: the last one out removes it;
 * - writes made by one caller apply in the order they were made.
 */
export interface ChannelStore {
  /** Whether every process sees the same records (Redis), or each has its own (memory). */
  readonly shared: boolean;
  /** Makes `uid` a member of `channel` through `frontendId` (moving it from another frontend); true when that changed anything. */
  add(channel: string, uid: string, frontendId: string): boolean | Promise<boolean>;
  /**
   * Removes `uid` from `channel`; with `frontendId`, only while it is a member through that
   * frontend (a stale leave from a frontend it left does nothing). True when it was removed.
   */
  remove(channel: string, uid: string, frontendId?: string): boolean | Promise<boolean>;
  /**
   * The members of `channel` grouped by frontend: what a push needs, one call per frontend. The
   * caller must not change the map or its arrays, nor keep them past the current turn.
   */
  membersByFrontend(
    channel: string,
  ): ReadonlyMap<string, readonly string[]> | Promise<ReadonlyMap<string, readonly string[]>>;
  /** The uids in `channel` through `frontendId` (Pomelo's `getMembersBySid`). */
  membersOnFrontend(channel: string, frontendId: string): readonly string[] | Promise<readonly string[]>;
  /** Every uid in `channel` (Pomelo's `getMembersByChannelName`). */
  members(channel: string): readonly string[] | Promise<readonly string[]>;
  /** The frontend through which `uid` is in `channel`, if it is a member. */
  frontendOf(channel: string, uid: string): string | undefined | Promise<string | undefined>;
  /** How many members `channel` has. */
  count(channel: string): number | Promise<number>;
  /** Removes `channel` and every member of it. */
  destroy(channel: string): void | Promise<void>;
  /** The channels that have members. */
  channels(): readonly string[] | Promise<readonly string[]>;
  /** Opens what the store needs (its connection), before the server's components start; rejects naming what is unreachable. */
  connect?(): void | Promise<void>;
  /** Releases what the store holds open (its connection); called once, as the server stops. */
  close?(): void | Promise<void>;
}

const NO_GROUPS: ReadonlyMap<string, readonly string[]> = new Map();
const NO_UIDS: readonly string[] = Object.freeze([]);

/** One channel's members in memory: by uid, and grouped by frontend with the lists a push sends. */
class ChannelRecord {
  readonly frontendOf = new Map<string, string>();
  readonly #groups = new Map<string, Set<string>>();
  /** The lists by frontend; a list is replaced after a change, never changed in place (a push in flight keeps its own). */
  readonly #lists = new Map<string, readonly string[]>();
  /** Frontends whose list is out of date. */
  readonly #stale = new Set<string>();

  add(uid: string, frontendId: string): boolean {
    const current = this.frontendOf.get(uid);
    if (current === frontendId) return false;
    if (current !== undefined) this.#leaveGroup(uid, current);
    let group = this.#groups.get(frontendId);
    if (group === undefined) {
      group = new Set();
      this.#groups.set(frontendId, group);
    }
    group.add(uid);
    this.#stale.add(frontendId);
    this.frontendOf.set(uid, frontendId);
    return true;
  }

  remove(uid: string, frontendId: string | undefined): boolean {
    const current = this.frontendOf.get(uid);
    if (current === undefined || (frontendId !== undefined && current !== frontendId)) return false;
    this.frontendOf.delete(uid);
    this.#leaveGroup(uid, current);
    return true;
  }

  /** The lists by frontend, rebuilt only for the frontends that changed since the last call. */
  byFrontend(): ReadonlyMap<string, readonly string[]> {
    if (this.#stale.size > 0) {
      for (const frontendId of this.#stale) {
        const group = this.#groups.get(frontendId);
        if (group === undefined) this.#lists.delete(frontendId);
        else this.#lists.set(frontendId, [...group]);
      }
      this.#stale.clear();
    }
    return this.#lists;
  }

  onFrontend(frontendId: string): readonly string[] {
    return this.byFrontend().get(frontendId) ?? NO_UIDS;
  }

  #leaveGroup(uid: string, frontendId: string): void {
    const group = this.#groups.get(frontendId);
    if (group === undefined) return;
    group.delete(uid);
    if (group.size === 0) this.#groups.delete(frontendId);
    this.#stale.add(frontendId);
  }
}

/**
 * The default {@link ChannelStore}: this process's memory, every answer synchronous. The grouped
 * lists it hands to pushes are built once after a change and then reused, so a push to an
 * unchanged channel allocates nothing here.
 *
 * @example
 * const store = new MemoryChannelStore();
 * store.add('room-1', 'ann', 'connector-1');
 * store.membersByFrontend('room-1'); // Map { 'connector-1' => ['ann'] }
 */
export class MemoryChannelStore implements ChannelStore {
  readonly shared: boolean = false;
  readonly #channels = new Map<string, ChannelRecord>();

  add(channel: string, uid: string, frontendId: string): boolean {
    let record = this.#channels.get(channel);
    if (record === undefined) {
      record = new ChannelRecord();
      this.#channels.set(channel, record);
    }
    return record.add(uid, frontendId);
  }

  remove(channel: string, uid: string, frontendId?: string): boolean {
    const record = this.#channels.get(channel);
    if (record === undefined || !record.remove(uid, frontendId)) return false;
    if (record.frontendOf.size === 0) this.#channels.delete(channel);
    return true;
  }

  membersByFrontend(channel: string): ReadonlyMap<string, readonly string[]> {
    return this.#channels.get(channel)?.byFrontend() ?? NO_GROUPS;
  }

  membersOnFrontend(channel: string, frontendId: string): readonly string[] {
    return this.#channels.get(channel)?.onFrontend(frontendId) ?? NO_UIDS;
  }

  members(channel: string): string[] {
    const record = this.#channels.get(channel);
    return record === undefined ? [] : [...record.frontendOf.keys()];
  }

  frontendOf(channel: string, uid: string): string | undefined {
    return this.#channels.get(channel)?.frontendOf.get(uid);
  }

  count(channel: string): number {
    return this.#channels.get(channel)?.frontendOf.size ?? 0;
  }

  destroy(channel: string): void {
    this.#channels.delete(channel);
  }

  channels(): string[] {
    return [...this.#channels.keys()];
  }
}
