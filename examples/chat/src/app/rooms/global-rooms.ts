import type { Application, PushReceiver, Services } from 'shaddock';
import type { ChatPushes } from '../chat-protocol.js';
import { ROOM } from '../routes.js';
import { pushToReceivers } from './room-push.js';
import type { PushRoute, RoomMember, Rooms } from './rooms.js';

/**
 * `@shaddock/redis`'s `GlobalChannelService`, named through the service it is provided as (its
 * plugin declares it): a type-only import of the class itself would name it twice in the
 * workspace's one program, once from the package's source and once from its build.
 */
type GlobalChannelService = Services['globalChannelService'];

/** The frontends the chat pushes to. */
const CONNECTOR = 'connector';

/**
 * Rooms in Redis, through the global channel service (`@shaddock/redis`): a global channel per
 * room, named after it, whose members (uid → connector) every chat server reads. A request about a
 * room still goes to the chat server the placement table names for it, so that joins to one room
 * run one at a time on one server; when that server dies the room is placed on another one, which
 * finds the same members in Redis.
 *
 * A member through a connector that is not in membership any more is gone, whatever Redis still
 * says: it is not listed, not pushed to, and its name is free (the room's server takes it out as
 * soon as it hears the connector left, see {@link stranded}).
 */
export class GlobalRooms implements Rooms {
  readonly #app: Application;
  /** The joins running, by room: the next one waits for the one before. */
  readonly #joins = new Map<string, Promise<unknown>>();

  constructor(app: Application) {
    this.#app = app;
  }

  /**
   * The service, looked up at each use: a frontend loads every server type's handlers (this one's
   * too) where the service may not be, and must be able to make them.
   */
  get #global(): GlobalChannelService {
    return this.#app.services.get('globalChannelService');
  }

  /**
   * A name is taken while its user is in the room through another connector that is in the
   * cluster. Through the same connector it is not: that connector refuses a name it holds a
   * session for before it asks, so such a record is left over from a connection that is gone
   * (the connector restarted, or gave up waiting for this answer).
   */
  join(rid: string, uid: string, frontendId: string): Promise<readonly string[] | undefined> {
    return this.#oneAtATime(rid, async () => {
      const holder = await this.#global.store.frontendOf(rid, uid);
      if (holder !== undefined && holder !== frontendId && this.#isUp(holder)) return undefined;
      await this.#global.add(rid, uid, frontendId);
      return this.#global.getMembersByChannelName(CONNECTOR, rid);
    });
  }

  leave(rid: string, uid: string, frontendId: string): Promise<boolean> {
    return this.#global.leave(rid, uid, frontendId);
  }

  async frontendOf(rid: string, uid: string): Promise<string | undefined> {
    const frontendId = await this.#global.store.frontendOf(rid, uid);
    return frontendId !== undefined && this.#isUp(frontendId) ? frontendId : undefined;
  }

  members(rid: string): Promise<readonly string[]> {
    return this.#global.getMembersByChannelName(CONNECTOR, rid);
  }

  async pushToRoom<Route extends PushRoute>(
    rid: string,
    route: Route,
    body: ChatPushes[Route],
    except?: string,
  ): Promise<string[]> {
    if (except === undefined) return this.#global.pushMessage(CONNECTOR, route, body, rid);
    // the global channel service pushes to every member: leave one out by hand, as it would push
    const receivers: PushReceiver[] = [];
    for (const [frontendId, uids] of await this.#global.store.membersByFrontend(rid)) {
      if (this.#app.membership.get(frontendId)?.serverType !== CONNECTOR) continue;
      for (const uid of uids) if (uid !== except) receivers.push({ uid, frontendId });
    }
    return this.pushToUsers(route, body, receivers);
  }

  pushToUsers<Route extends PushRoute>(
    route: Route,
    body: ChatPushes[Route],
    receivers: readonly PushReceiver[],
  ): Promise<string[]> {
    return pushToReceivers(this.#app.channelService, route, body, receivers);
  }

  async stranded(): Promise<RoomMember[]> {
    const mine = await this.#ownRooms();
    const rooms = (await this.#global.store.channels()).filter((rid) => mine.has(rid));
    const groups = await Promise.all(
      rooms.map(async (rid) => ({ rid, byFrontend: await this.#global.store.membersByFrontend(rid) })),
    );
    const stranded: RoomMember[] = [];
    for (const { rid, byFrontend } of groups) {
      for (const [frontendId, uids] of byFrontend) {
        if (this.#isUp(frontendId)) continue;
        for (const uid of uids) stranded.push({ rid, uid, frontendId });
      }
    }
    return stranded;
  }

  /**
   * Takes every user out of every room it is in through `frontendId`, without telling anyone:
   * what a connector does as it starts, before it takes clients, with what its previous run left
   * (a crash, or a stop that could not reach the chat servers). Resolves to how many it removed.
   */
  async forgetFrontend(frontendId: string): Promise<number> {
    const rooms = await this.#global.store.channels();
    const removed = await Promise.all(
      rooms.map(async (rid) => {
        const uids = await this.#global.getMembersBySid(rid, frontendId);
        const left = await Promise.all(uids.map((uid) => this.#global.leave(rid, uid, frontendId)));
        return left.filter(Boolean).length;
      }),
    );
    return removed.reduce((sum, count) => sum + count, 0);
  }

  #isUp(frontendId: string): boolean {
    return this.#app.membership.get(frontendId) !== undefined;
  }

  /** The rooms the placement table places on this server now. */
  async #ownRooms(): Promise<Set<string>> {
    const owned = await this.#app.placement.ownedBy();
    return new Set(owned.filter((entry) => entry.kind === ROOM).map((entry) => entry.key));
  }

  /** Runs `work` once the work queued before it for `rid` has settled. */
  async #oneAtATime<T>(rid: string, work: () => Promise<T>): Promise<T> {
    const before = this.#joins.get(rid) ?? Promise.resolve();
    const running = before.then(work, work);
    const settled = running.catch(() => {});
    this.#joins.set(rid, settled);
    try {
      return await running;
    } finally {
      if (this.#joins.get(rid) === settled) this.#joins.delete(rid);
    }
  }
}
