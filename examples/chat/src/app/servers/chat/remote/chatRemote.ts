import type { Application } from 'shaddock';
import { ChatCode, type ChatFailure, failure, nameOf } from '../../../chat-protocol.js';
import { roomsOf } from '../../../rooms/index.js';

/** What `chatRemote.add` answers: the names in the room, the newcomer's included. */
export type AddResult = { code: 200; users: string[] } | ChatFailure;

/**
 * The chat servers' remote, called by the connectors (`chatRemote.add`/`kick`, routed to the
 * room's server by `roomRoute`). A room's members are user ids (`name*room`) with the connector
 * that holds each one, in this process or in Redis (`roomsOf`). When a server leaves the cluster,
 * the users of a connector that is gone (it crashed, or was stopped) leave their rooms here: they
 * cannot send their own leave any more, and would otherwise hold their names forever. Each room is
 * cleaned by the one server it routes to, so the room hears each `onLeave` once.
 */
export default function chatRemote(app: Application) {
  const rooms = roomsOf(app);

  /** Takes `uid` out of `rid` if it is there through `frontendId`, and tells the others. */
  const leave = async (rid: string, uid: string, frontendId: string): Promise<void> => {
    if (await rooms.leave(rid, uid, frontendId))
      await rooms.pushToRoom(rid, 'onLeave', { user: nameOf(uid) });
  };

  const cleanUp = (): void => {
    void (async () => {
      for (const member of await rooms.stranded()) await leave(member.rid, member.uid, member.frontendId);
    })().catch((error: unknown) =>
      app.logger.warn({ err: error }, `could not take a departed connector's users out of their rooms`),
    );
  };
  // Any server that leaves may matter: a connector takes its users along; a chat server hands its
  // rooms to the next one on the ring, which also cleans them for a connector that died with it.
  app.membership.on('remove', cleanUp);
  // This server joining the ring: the rooms it takes over may hold users of a connector that died
  // while no chat server ran (rooms in Redis outlive every server).
  app.membership.on('add', (server) => {
    if (server.id === app.serverId) cleanUp();
  });

  return {
    /** Puts `uid`, connected to `frontendId`, in room `rid` and tells the others (`onAdd`). A name taken there is refused. */
    async add(uid: string, frontendId: string, rid: string): Promise<AddResult> {
      const users = await rooms.join(rid, uid, frontendId);
      if (users === undefined) {
        return failure(ChatCode.NameTaken, `the name "${nameOf(uid)}" is taken in room "${rid}"`);
      }
      await rooms.pushToRoom(rid, 'onAdd', { user: nameOf(uid) }, uid);
      return { code: 200, users: users.map(nameOf) };
    },

    /**
     * Puts back, silently, users of `frontendId` whose room's chat server left the cluster (the
     * room now lives here), then tells the whole room who is in it (`onRoomMoved`). Answers how
     * many were put back (a name taken meanwhile through another connector is not).
     */
    async rejoin(uids: string[], frontendId: string, rid: string): Promise<number> {
      let back = 0;
      for (const uid of uids) if ((await rooms.join(rid, uid, frontendId)) !== undefined) back++;
      const users = (await rooms.members(rid)).map(nameOf);
      await rooms.pushToRoom(rid, 'onRoomMoved', { rid, users });
      return back;
    },

    /** Takes `uid` out of room `rid` when it is there through `frontendId`, and tells the others (`onLeave`). */
    async kick(uid: string, frontendId: string, rid: string): Promise<void> {
      await leave(rid, uid, frontendId);
    },
  };
}
