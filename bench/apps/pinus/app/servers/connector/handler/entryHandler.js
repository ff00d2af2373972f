// connector.entryHandler: `enter({ uid, rid })` binds the session to `uid` and joins room `rid`
// (held by the chat server `chatRemote.add` is routed to); the room is left when the client goes.
// pinus-loader calls `exports.default(app)`; every method of the class is a route.

class EntryHandler {
  constructor(app) {
    this.app = app;
  }

  async enter(msg, session) {
    const { uid, rid } = msg;
    if (typeof uid !== 'string' || uid === '' || typeof rid !== 'string' || rid === '') {
      return { code: 500, error: 'enter needs a uid and a rid' };
    }
    const app = this.app;
    await session.abind(uid);
    session.set('rid', rid);
    await session.apush('rid');
    session.on('closed', () => {
      app.rpc.chat.chatRemote.kick
        .route({ rid })(uid, app.getServerId(), rid)
        .catch((error) => console.error(`chatRemote.kick ${uid}: ${error.message}`));
    });
    await app.rpc.chat.chatRemote.add.route(session)(uid, app.getServerId(), rid);
    return { code: 200 };
  }
}

exports.default = (app) => new EntryHandler(app);
