// The connectors' handler (routes `connector.entry.*`).
import { describeError } from '../../../events.js';

/** A factory, as in Pomelo: `(app) => handler`. */
export default function entry(app) {
  return {
    /**
     * Binds the connection to `uid`, keeps `room` in the session (so `chat.*` requests go to its
     * chat server), and joins the room's channel there. Answers with this connector's id and the
     * room's last pushed sequence number when the player joined: every tick after it is the
     * player's.
     */
    async enter({ uid, room }, session) {
      await session.bind(uid);
      session.set('room', room);
      await session.push('room');
      const frontendId = app.serverId;
      const chatId = room.split('/')[0];
      session.onClosed((closed) => {
        app.rpc.chat.chatRemote.leave
          .toServer(chatId)(closed.uid, frontendId, room)
          .catch(() => {});
      });
      const joined = await app.rpc.chat.chatRemote.join.toServer(chatId)(uid, frontendId, room);
      return { connector: frontendId, seq: joined.seq, members: joined.members };
    },

    /**
     * Calls `chat.chatRemote.<method>(...args)` on chat server `serverId` from this connector:
     * what came back or how it failed, and how long it took here.
     */
    async call({ serverId, method, args = [] }) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const value = await app.rpc.chat.chatRemote[method].toServer(serverId)(...args);
        return { ok: true, value, elapsedMs: elapsed() };
      } catch (error) {
        return { ok: false, error: describeError(error), elapsedMs: elapsed() };
      }
    },
  };
}
