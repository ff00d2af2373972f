import type { Application, ChannelService, MembershipView, Plugin, StatusEntry, StatusStore } from 'shaddock';
import {
  explicitTarget,
  type PluginRedisOptions,
  pluginStoreOptions,
  servesTarget,
} from './plugin-stores.js';
import { type PushBody, pushToGroups } from './push-groups.js';
import { RedisStatusStore } from './status-store.js';

declare module 'shaddock' {
  interface Services {
    /** Who is online on which frontend, cluster-wide (plugin `onlineStatus` from `@shaddock/redis`). */
    statusService: StatusService;
  }
}

/** What a {@link StatusService} is made of. */
export interface StatusServiceOptions {
  /** The status store frontends keep: a shared one (a {@link RedisStatusStore}). */
  readonly store: StatusStore;
  /** Which frontends exist: entries on a frontend that is gone do not count. */
  readonly membership: MembershipView;
  /** The app's channel service, asked for at the first push: pushes go out through it. */
  readonly channelService: () => ChannelService;
}

/**
 * Who is online, cluster-wide, without asking any frontend (Pomelo's status plugin, in promise
 * style; `sid` is the frontend id). It reads the status store that every frontend writes as
 * sessions bind, unbind and close; when a frontend leaves membership (it stopped, or crashed) every
 * server clears its entries, and until then they are left out here, so a crashed connector's users
 * never stay online.
 *
 * @example
 * app.use(onlineStatus, {});
 * const status = app.services.get('statusService');
 * if (await status.getStatusByUid('ann')) await status.pushByUids(['ann'], 'onInvite', { room: 7 });
 */
export class StatusService {
  /** The store it reads. */
  readonly store: StatusStore;
  readonly #membership: MembershipView;
  readonly #channelService: () => ChannelService;

  constructor(options: StatusServiceOptions) {
    this.store = options.store;
    this.#membership = options.membership;
    this.#channelService = options.channelService;
  }

  /** The frontends `uid` has a session on, each once. */
  async getSidsByUid(uid: string): Promise<string[]> {
    return this.#frontends(await this.store.lookup(uid));
  }

  /** Whether `uid` has a session on any frontend. */
  async getStatusByUid(uid: string): Promise<boolean> {
    return this.#frontends(await this.store.lookup(uid)).length > 0;
  }

  /** Whether each of `uids` is online, in one round trip to Redis. */
  async getStatusByUids(uids: readonly string[]): Promise<Map<string, boolean>> {
    const lists = await this.#lookupMany(uids);
    const online = new Map<string, boolean>();
    uids.forEach((uid, index) => {
      online.set(uid, online.get(uid) === true || this.#frontends(lists[index] ?? []).length > 0);
    });
    return online;
  }

  /**
   * Pushes `route` with `msg` to every session of `uids`, wherever they are: one round trip to
   * Redis, then ONE `channelRemote.pushMessage` per frontend with its uids. Resolves to the uids
   * that got nothing (offline, or every frontend that holds them failed); rejects only when Redis
   * cannot be read.
   */
  async pushByUids(uids: readonly string[], route: string, msg: PushBody): Promise<string[]> {
    const distinct = [...new Set(uids)];
    const lists = await this.#lookupMany(distinct);
    const failed: string[] = [];
    const groups = new Map<string, string[]>();
    /** How many frontends each uid was sent to. */
    const sentTo = new Map<string, number>();
    distinct.forEach((uid, index) => {
      const frontends = this.#frontends(lists[index] ?? []);
      if (frontends.length === 0) {
        failed.push(uid);
        return;
      }
      sentTo.set(uid, frontends.length);
      for (const frontendId of frontends) {
        const group = groups.get(frontendId);
        if (group === undefined) groups.set(frontendId, [uid]);
        else group.push(uid);
      }
    });
    if (groups.size === 0) return failed;
    const missed = await pushToGroups(this.#channelService(), route, msg, groups);
    // a uid failed when every frontend it was sent to failed it
    const misses = new Map<string, number>();
    for (const uid of missed) misses.set(uid, (misses.get(uid) ?? 0) + 1);
    for (const [uid, count] of misses) if (count >= (sentTo.get(uid) ?? 1)) failed.push(uid);
    return failed;
  }

  #lookupMany(uids: readonly string[]): Promise<ReadonlyArray<readonly StatusEntry[]>> {
    const store = this.store as Partial<Pick<RedisStatusStore, 'lookupMany'>> & StatusStore;
    // one pipeline with a Redis store (of any copy of this package); one lookup per uid otherwise
    if (typeof store.lookupMany === 'function') return store.lookupMany(uids);
    return Promise.all(uids.map((uid) => store.lookup(uid)));
  }

  /** The frontends of these entries that are in membership, each once. */
  #frontends(entries: readonly StatusEntry[]): string[] {
    const frontends: string[] = [];
    for (const { frontendId } of entries) {
      if (!frontends.includes(frontendId) && this.#membership.get(frontendId) !== undefined) {
        frontends.push(frontendId);
      }
    }
    return frontends;
  }
}

/** Options of the {@link onlineStatus} plugin (`{}`: the cluster's Redis). */
export type OnlineStatusOptions = PluginRedisOptions;

/**
 * The status plugin: provides `app.services.get('statusService')` on every server but the master,
 * over the app's status store when that is shared (the `@shaddock/redis` drivers, chosen by
 * `config/cluster.*`). With an explicit `url` or `cluster` that the app's store does not serve (or
 * an app whose status store is its own memory), it makes a {@link RedisStatusStore} the app's
 * `statusStore`: frontends write to it as sessions bind and close, backends read it, and the server
 * closes it as it stops. The server fails to start, naming the URL, when Redis cannot be reached.
 *
 * @example
 * app.use(onlineStatus, {});
 */
export const onlineStatus: Plugin<OnlineStatusOptions> = {
  name: 'onlineStatus',
  install(app: Application, options: OnlineStatusOptions = {}) {
    if (app.isMaster()) return;
    const store = chooseStore(app, options);
    app.services.provide(
      'statusService',
      new StatusService({
        store,
        membership: app.membership,
        channelService: () => app.services.get('channelService'),
      }),
    );
    // the store is the app's status store: the runner connects it before the components start
  },
};

function chooseStore(app: Application, options: OnlineStatusOptions): StatusStore {
  const current = app.services.find('statusStore');
  if (current?.shared === true && !explicitTarget(options)) return current;
  const target = pluginStoreOptions(app, 'onlineStatus', options);
  if (current !== undefined && servesTarget(current, target)) return current;
  // frontends must write where the service reads: the app's status store becomes this one
  const store = new RedisStatusStore(target);
  app.services.provide('statusStore', store);
  // the replaced store is nobody's now (sessions start after plugins are installed)
  void Promise.resolve()
    .then(() => current?.close?.())
    .catch(() => {});
  return store;
}
