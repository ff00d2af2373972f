import type { JsonObject } from '@shaddock/protocol';
import { getLogger } from '../logging/index.js';
import type { MembershipView } from '../membership/index.js';
import type { RpcClient } from '../rpc/index.js';
import { Channel, type ChannelContext } from './channel.js';
import type { BroadcastOptions } from './channel-remote.js';
import { type ChannelStore, MemoryChannelStore } from './channel-store.js';
import type { FrontendPusher } from './frontend-push.js';
import { type ChannelLogger, PushDispatcher } from './push-dispatcher.js';

/** A receiver of `pushMessageByUids`: a uid and its frontend, as `frontendId` or Pomelo's `sid`. */
export type PushReceiver =
  | { readonly uid: string; readonly frontendId: string }
  | { readonly uid: string; readonly sid: string };

/** Options of {@link ChannelService}. */
export interface ChannelServiceOptions {
  /** This process's server id: pushes to it are direct calls on `local`. */
  readonly serverId: string;
  /** Where frontends are found; a frontend missing from it fails its uids at once. */
  readonly membership: MembershipView;
  /** The RPC client, asked for at the first push to another server. */
  readonly rpcClient: () => RpcClient;
  /** This process's pusher when it is a frontend. */
  readonly local?: FrontendPusher | undefined;
  /**
   * Where channel membership is recorded (the `channelStore` driver); default a
   * {@link MemoryChannelStore} of this service's own. A memory store is the channels' view itself;
   * any other store gets every change written through, in order, while channels read and push
   * from this process's memory view.
   */
  readonly store?: ChannelStore;
  /** Where unreachable frontends and failed store writes are reported, once per outage (default `getLogger('channel')`). */
  readonly logger?: ChannelLogger;
}

/**
 * The channels of this process, and pushes to users wherever they are connected (service
 * `channelService`, on every server but the master).
 *
 * Delivery: pushes resolve to the uids that got nothing and never reject for delivery (a
 * frontend restarting must not fail the handler that pushes; the failed uids say everything);
 * `broadcast`, which has no uids to report, rejects when every frontend failed (Pomelo's rule).
 *
 * Order: pushes to one frontend are FIFO, so every member of a channel sees its pushes in the
 * order they were made, each once while its frontend stays reachable. A push to a frontend
 * whose connection drops is reported failed even if it was delivered just before the drop.
 * Custom RPC `before` filters that delay calls by different amounts would reorder them.
 *
 * @example
 * const channels = app.services.get('channelService');
 * const failed = await channels.pushMessageByUids('onInvite', { room: 7 }, [{ uid: 'ann', sid: 'connector-1' }]);
 * await channels.broadcast('connector', 'onNotice', { text: 'restart in 5 min' }, { binded: true });
 */
export class ChannelService {
  /** The chosen store: the channels' view when it is a memory store, else written through. */
  readonly store: ChannelStore;
  readonly #channels = new Map<string, Channel>();
  readonly #dispatcher: PushDispatcher;
  readonly #context: ChannelContext;
  readonly #logger: ChannelLogger;
  readonly #serverId: string;
  /** Whether the last write through to the store failed: logged once until one succeeds. */
  #storeFailing = false;

  constructor(options: ChannelServiceOptions) {
    this.#serverId = options.serverId;
    this.#logger = options.logger ?? getLogger('channel');
    this.#dispatcher = new PushDispatcher({
      serverId: options.serverId,
      membership: options.membership,
      rpcClient: options.rpcClient,
      local: options.local,
      logger: this.#logger,
    });
    this.store = options.store ?? new MemoryChannelStore();
    const view = this.store instanceof MemoryChannelStore ? this.store : new MemoryChannelStore();
    const target = this.store === view ? undefined : this.store;
    this.#context = {
      dispatcher: this.#dispatcher,
      view,
      writeThrough: target === undefined ? () => {} : (write) => this.#writeThrough(target, write),
      forget: (channel) => {
        if (this.#channels.get(channel.name) === channel) this.#channels.delete(channel.name);
      },
    };
  }

  /** The channel `name`, made now unless it exists (then the existing one, as in Pomelo). */
  createChannel(name: string): Channel {
    let channel = this.#channels.get(name);
    if (channel === undefined) {
      channel = new Channel(name, this.#context);
      this.#channels.set(name, channel);
    }
    return channel;
  }

  /** The channel `name`; with `create`, made when missing. */
  getChannel(name: string, create = false): Channel | undefined {
    return create ? this.createChannel(name) : this.#channels.get(name);
  }

  /** Destroys the channel `name` (see `Channel.destroy`); nothing when there is none. */
  destroyChannel(name: string): void {
    this.#channels.get(name)?.destroy();
  }

  /**
   * Pushes to these receivers, grouped by frontend: one call per frontend. Resolves to the uids
   * that got nothing (no session, unreachable frontend, or no frontend id given); never rejects.
   */
  pushMessageByUids(route: string, body: JsonObject, receivers: readonly PushReceiver[]): Promise<string[]> {
    const groups = new Map<string, string[]>();
    const unaddressed: string[] = [];
    for (const receiver of receivers) {
      const frontendId = 'frontendId' in receiver ? receiver.frontendId : receiver.sid;
      if (typeof frontendId !== 'string' || frontendId === '') {
        unaddressed.push(receiver.uid);
        continue;
      }
      const uids = groups.get(frontendId);
      if (uids === undefined) groups.set(frontendId, [receiver.uid]);
      else uids.push(receiver.uid);
    }
    const pending: Promise<string[]>[] = [];
    for (const [frontendId, uids] of groups) {
      pending.push(this.#dispatcher.toFrontend(frontendId, route, body, uids));
    }
    if (unaddressed.length > 0) pending.push(Promise.resolve(unaddressed));
    return this.#dispatcher.collect(pending);
  }

  /**
   * Pushes to every session of every frontend of `frontendType` (only bound ones with `binded`;
   * the app's `broadcastFilter` setting sees each session with `filterParam`): one call per
   * frontend. Rejects with `BroadcastFailed` only when every frontend of the type failed.
   */
  broadcast(
    frontendType: string,
    route: string,
    body: JsonObject,
    options: BroadcastOptions = {},
  ): Promise<void> {
    return this.#dispatcher.broadcast(frontendType, route, body, options);
  }

  #writeThrough(store: ChannelStore, write: (store: ChannelStore) => unknown): void {
    let result: unknown;
    try {
      result = write(store);
    } catch (error) {
      this.#storeFailed(error);
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => {
          this.#storeFailing = false;
        },
        (error: unknown) => this.#storeFailed(error),
      );
    } else {
      this.#storeFailing = false;
    }
  }

  #storeFailed(error: unknown): void {
    if (this.#storeFailing) return;
    this.#storeFailing = true;
    this.#logger.warn(
      { err: error },
      `[${this.#serverId}] writes to the channel store fail (logged once until one succeeds)`,
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}
