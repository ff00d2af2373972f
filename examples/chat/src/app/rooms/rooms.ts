import type { PushReceiver } from 'shaddock';
import type { ChatPushes } from '../chat-protocol.js';

/** A push route of the chat. */
export type PushRoute = keyof ChatPushes;

/** A user in a room, through the connector that holds its connection. */
export interface RoomMember {
  readonly rid: string;
  readonly uid: string;
  readonly frontendId: string;
}

/**
 * The chat's rooms, as the chat servers use them: who is in which room through which connector,
 * and pushes to a room or to some of its users. Two implementations: `LocalRooms`, a channel per
 * room in the memory of the chat server the room routes to (one machine, the master's cluster);
 * `GlobalRooms`, the members in Redis (the cluster's config names Redis), which any chat server
 * reads, so a room outlives the chat server that served it.
 *
 * A user id is `name*room` (`userId`): a uid is in one room only, once.
 */
export interface Rooms {
  /**
   * Puts `uid`, connected through `frontendId`, in room `rid` unless its name is taken there:
   * resolves to the uids in the room then (the newcomer's included), or `undefined` when taken.
   */
  join(rid: string, uid: string, frontendId: string): Promise<readonly string[] | undefined>;
  /** Takes `uid` out of `rid` when it is there through `frontendId`; true when it was. */
  leave(rid: string, uid: string, frontendId: string): Promise<boolean>;
  /** The connector through which `uid` is in `rid`, or `undefined` when it is not in it. */
  frontendOf(rid: string, uid: string): Promise<string | undefined>;
  /** Every uid in `rid`. */
  members(rid: string): Promise<readonly string[]>;
  /** Pushes to every member of `rid` but `except`; resolves to the uids that got nothing. */
  pushToRoom<Route extends PushRoute>(
    rid: string,
    route: Route,
    body: ChatPushes[Route],
    except?: string,
  ): Promise<string[]>;
  /** Pushes to these users; resolves to the uids that got nothing. */
  pushToUsers<Route extends PushRoute>(
    route: Route,
    body: ChatPushes[Route],
    receivers: readonly PushReceiver[],
  ): Promise<string[]>;
  /**
   * The members this chat server must take out of their rooms because their connector has left
   * the cluster (it crashed, or was stopped): they cannot send their own leave any more. Only the
   * rooms this server looks after count, so that each stranded member is found by one server.
   */
  stranded(): Promise<RoomMember[]>;
}
