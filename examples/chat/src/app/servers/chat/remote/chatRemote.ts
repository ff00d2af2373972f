import type { Application, Channel } from 'shaddock';
import { ChatCode, type ChatFailure, failure, nameOf } from '../../../chat-protocol.js';
import { pushToRoom } from '../room-push.js';

/** What `chatRemote.add` answers: the names in the room, the newcomer's included. */
export type AddResult = { code: 200; users: string[] } | ChatFailure;

/**
 * The chat servers' remote, called by the connectors (`chatRemote.add`/`kick`, routed to the
 * room's server by `roomRoute`). A room is a channel named after it, in this process; its members
 * are user ids (`name*room`) with the connector that holds each one. When a connector leaves the
 * cluster (it crashed, or was stopped), its users leave their rooms here: they cannot send
 * their own leave any more, and would otherwise hold their names forever.
 */
export default function chatRemote(app: Application) {
  /** The rooms open in this process. */
  const open = new Set<string>();

  /** Takes `uid` out of `room` if it is there through `frontendId`; tells the others, or closes the emptied room. */
  const leave = async (room: Channel, uid: string, frontendId: string): Promise<void> => {
    if (!room.leave(uid, frontendId)) return;
    if (room.userAmount === 0) {
      open.delete(room.name);
      room.destroy();
      return;
    }
    await pushToRoom(room, 'onLeave', { user: nameOf(uid) });
  };

  app.membership.on('remove', (server) => {
    if (!server.frontend) return;
    for (const rid of [...open]) {
      const room = app.channelService.getChannel(rid);
      if (room === undefined) continue;
      for (const uid of room.getMembers()) {
        if (room.getMember(uid)?.frontendId === server.id) void leave(room, uid, server.id);
      }
    }
  });

  return {
    /** Puts `uid`, connected to `frontendId`, in room `rid` and tells the others (`onAdd`). A name taken there is refused. */
    async add(uid: string, frontendId: string, rid: string): Promise<AddResult> {
      const room = app.channelService.createChannel(rid);
      if (room.getMember(uid) !== undefined) {
        return failure(ChatCode.NameTaken, `the name "${nameOf(uid)}" is taken in room "${rid}"`);
      }
      room.add(uid, frontendId);
      open.add(rid);
      const users = room.getMembers().map(nameOf);
      await pushToRoom(room, 'onAdd', { user: nameOf(uid) }, { except: uid });
      return { code: 200, users };
    },

    /** Takes `uid` out of room `rid` when it is there through `frontendId`, and tells the others (`onLeave`). */
    async kick(uid: string, frontendId: string, rid: string): Promise<void> {
      const room = app.channelService.getChannel(rid);
      if (room !== undefined) await leave(room, uid, frontendId);
    },
  };
}
