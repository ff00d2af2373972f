import type { Application, ChannelService, ChannelStore, MembershipView, Plugin } from 'shaddock';
import { RedisChannelStore } from './channel-store.js';
import {
  explicitTarget,
  type PluginRedisOptions,
  pluginStoreOptions,
  servesTarget,
} from './plugin-stores.js';
import { type PushBody, pushToGroups } from './push-groups.js';

declare module 'shaddock' {
  interface Services {
    /** Channels every server shares, in Redis (plugin `globalChannel` from `@shaddock/redis`). */
    globalChannelService: GlobalChannelService;
  }
}

/** What a {@link GlobalChannelService} is made of. */
export interface GlobalChannelServiceOptions {
  /** Where the members are: a shared store (a {@link RedisChannelStore}). */
  readonly store: ChannelStore;
  /** Which frontends exist, and of which type. */
  readonly membership: MembershipView;
  /** The app's channel service, asked for at the first push: pushes go out through it. */
  readonly channelService: () => ChannelService;
}

/**
 * Channels that live in Redis, so every server of the cluster sees and pushes to the same members
 * (Pomelo's globalchannel plugin, in promise style; `sid` is the frontend id). The members are the
 * ones the {@link RedisChannelStore} keeps, in the same keys: a channel the app's channel store
 * writes through to Redis is the global channel of the same name.
 *
 * `pushMessage` reads the members in one round trip and sends ONE `channelRemote.pushMessage` per
 * frontend of the type that has members (the system remote the local channels use), so each
 * frontend encodes the message once. Every method needs Redis: while it is away they reject at once
 * with `SHADDOCK_ERR_REDIS_UNAVAILABLE`.
 *
 * @example
 * app.use(globalChannel, {});
 * const global = app.services.get('globalChannelService');
 * await global.add('world', session.uid, session.frontendId);
 * const failed = await global.pushMessage('connector', 'onChat', { text: 'hi' }, 'world');
 */
export class GlobalChannelService {
  /** The store the members are in. */
  readonly store: ChannelStore;
  readonly #membership: MembershipView;
  readonly #channelService: () => ChannelService;

  constructor(options: GlobalChannelServiceOptions) {
    this.store = options.store;
    this.#membership = options.membership;
    this.#channelService = options.channelService;
  }

  /** Adds `uid`, connected to frontend `sid`, to `name` (moving it from another frontend); true when that changed anything. */
  async add(name: string, uid: string, sid: string): Promise<boolean> {
    if (uid === '' || sid === '') return false;
    return this.store.add(name, uid, sid);
  }

  /** Removes `uid` from `name` if it is a member through `sid`; true when it was removed. */
  async leave(name: string, uid: string, sid: string): Promise<boolean> {
    return this.store.remove(name, uid, sid);
  }

  /** The uids in `name` through frontend `sid`. */
  async getMembersBySid(name: string, sid: string): Promise<string[]> {
    return [...(await this.store.membersOnFrontend(name, sid))];
  }

  /** The uids in `name` on every frontend of `serverType` now in membership. */
  async getMembersByChannelName(serverType: string, name: string): Promise<string[]> {
    const members: string[] = [];
    for (const uids of this.#groupsOfType(serverType, await this.store.membersByFrontend(name)).values()) {
      for (const uid of uids) members.push(uid);
    }
    return members;
  }

  /**
   * Pushes `route` with `msg` to the members of `channelName` on the frontends of `serverType`:
   * one call per frontend that has members. Resolves to the uids that got nothing (no session
   * there any more, or their frontend unreachable); members on frontends that are not in membership
   * (gone) are not pushed to, as in Pomelo. Rejects only when Redis cannot be read.
   */
  async pushMessage(
    serverType: string,
    route: string,
    msg: PushBody,
    channelName: string,
  ): Promise<string[]> {
    const groups = this.#groupsOfType(serverType, await this.store.membersByFrontend(channelName));
    return pushToGroups(this.#channelService(), route, msg, groups);
  }

  /** Removes `name` and every member of it. */
  async destroyChannel(name: string): Promise<void> {
    await this.store.destroy(name);
  }

  /** The groups whose frontend is in membership with type `serverType`. */
  #groupsOfType(
    serverType: string,
    groups: ReadonlyMap<string, readonly string[]>,
  ): ReadonlyMap<string, readonly string[]> {
    const kept = new Map<string, readonly string[]>();
    for (const [frontendId, uids] of groups) {
      if (this.#membership.get(frontendId)?.serverType === serverType) kept.set(frontendId, uids);
    }
    return kept;
  }
}

/** Options of the {@link globalChannel} plugin (`{}`: the cluster's Redis). */
export type GlobalChannelOptions = PluginRedisOptions;

/**
 * The global channel plugin: provides `app.services.get('globalChannelService')` on every server
 * but the master. Its members are in the app's channel store when that is shared (the
 * `@shaddock/redis` drivers, chosen by `config/cluster.*`), sharing its connection; with an explicit
 * `url` or `cluster` that the app's store does not serve, in a {@link RedisChannelStore} of its own,
 * closed when the server stops. The server fails to start, naming the URL, when Redis cannot be
 * reached then.
 *
 * @example
 * app.use(globalChannel, {});                                   // the cluster's Redis
 * app.use(globalChannel, { url: 'redis://10.0.0.5:6379' });     // another one
 */
export const globalChannel: Plugin<GlobalChannelOptions> = {
  name: 'globalChannel',
  install(app: Application, options: GlobalChannelOptions = {}) {
    if (app.isMaster()) return;
    const { store, owned } = chooseStore(app, options);
    app.services.provide(
      'globalChannelService',
      new GlobalChannelService({
        store,
        membership: app.membership,
        channelService: () => app.services.get('channelService'),
      }),
    );
    app.load({
      name: 'globalChannel',
      // the app's own store is connected by the runner; one of the plugin's own is connected here
      async start() {
        if (owned) await store.connect?.();
      },
      async stop() {
        if (owned) await store.close?.();
      },
    });
  },
};

function chooseStore(
  app: Application,
  options: GlobalChannelOptions,
): { store: ChannelStore; owned: boolean } {
  const current = app.services.find('channelStore');
  if (current?.shared === true && !explicitTarget(options)) return { store: current, owned: false };
  const target = pluginStoreOptions(app, 'globalChannel', options);
  if (current !== undefined && servesTarget(current, target)) return { store: current, owned: false };
  return { store: new RedisChannelStore(target), owned: true };
}
