import type { Application, PushReceiver } from 'shaddock';
import type { ChatPushes } from '../chat-protocol.js';
import { pushToChannel, pushToReceivers } from './room-push.js';
import type { PushRoute, RoomMember, Rooms } from './rooms.js';

/**
 * Rooms in this chat server's memory: a channel per room, named after it, on the chat server the
 * room routes to (`roomRoute`). A room dies with its server. What the one-machine cluster uses.
 */
export class LocalRooms implements Rooms {
  readonly #app: Application;
  /** The rooms open in this process. */
  readonly #open = new Set<string>();

  constructor(app: Application) {
    this.#app = app;
  }

  async join(rid: string, uid: string, frontendId: string): Promise<readonly string[] | undefined> {
    const room = this.#app.channelService.createChannel(rid);
    if (room.getMember(uid) !== undefined) return undefined;
    room.add(uid, frontendId);
    this.#open.add(rid);
    return room.getMembers();
  }

  async leave(rid: string, uid: string, frontendId: string): Promise<boolean> {
    const room = this.#app.channelService.getChannel(rid);
    if (room === undefined || !room.leave(uid, frontendId)) return false;
    if (room.userAmount === 0) {
      this.#open.delete(rid);
      room.destroy();
    }
    return true;
  }

  async frontendOf(rid: string, uid: string): Promise<string | undefined> {
    return this.#app.channelService.getChannel(rid)?.getMember(uid)?.frontendId;
  }

  async members(rid: string): Promise<readonly string[]> {
    return this.#app.channelService.getChannel(rid)?.getMembers() ?? [];
  }

  async pushToRoom<Route extends PushRoute>(
    rid: string,
    route: Route,
    body: ChatPushes[Route],
    except?: string,
  ): Promise<string[]> {
    const room = this.#app.channelService.getChannel(rid);
    // an emptied room is destroyed: nobody to tell
    if (room === undefined) return [];
    return pushToChannel(room, route, body, except === undefined ? undefined : { except });
  }

  pushToUsers<Route extends PushRoute>(
    route: Route,
    body: ChatPushes[Route],
    receivers: readonly PushReceiver[],
  ): Promise<string[]> {
    return pushToReceivers(this.#app.channelService, route, body, receivers);
  }

  async stranded(): Promise<RoomMember[]> {
    const stranded: RoomMember[] = [];
    for (const rid of this.#open) {
      const room = this.#app.channelService.getChannel(rid);
      if (room === undefined) continue;
      for (const uid of room.getMembers()) {
        const frontendId = room.getMember(uid)?.frontendId;
        if (frontendId !== undefined && this.#app.membership.get(frontendId) === undefined) {
          stranded.push({ rid, uid, frontendId });
        }
      }
    }
    return stranded;
  }
}
