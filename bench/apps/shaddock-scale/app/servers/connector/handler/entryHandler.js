// connector.entryHandler: `enter({ uid, rid })` binds the session to `uid` and joins room `rid` on
// the chat server (both its local and its global channel); the room is left when the client goes.
export default function entryHandler(app) {
  return {
    async enter(msg, session) {
      const { uid, rid } = msg;
      if (typeof uid !== 'string' || uid === '' || typeof rid !== 'string' || rid === '') {
        return { code: 500, error: 'enter needs a uid and a rid' };
      }
      await session.bind(uid);
      session.set('rid', rid);
      await session.push('rid');
      session.onClosed(() => {
        app.rpc.chat.chatRemote.kick(rid, uid, app.serverId, rid).catch((error) => {
          console.error(`chatRemote.kick ${uid}: ${error.message}`);
        });
      });
      await app.rpc.chat.chatRemote.add(rid, uid, app.serverId, rid);
      return { code: 200 };
    },
  };
}
