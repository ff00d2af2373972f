module.exports = (app) => new EntryHandler(app);

function EntryHandler(app) {
  this.app = app;
}

/**
 * A user enters a room: `{ username, rid }`. The session is bound to `username*rid`, keeps the
 * room, and the room's chat server adds the user; the answer lists who is in the room.
 */
EntryHandler.prototype.enter = function (msg, session, next) {
  const rid = msg.rid;
  const uid = `${msg.username}*${rid}`;
  const sessionService = this.app.get('sessionService');

  if (!msg.username || !rid) {
    next(null, { code: 500, error: 'username and rid are needed' });
    return;
  }
  // The same name twice in one room: the second one is refused.
  if (sessionService.getByUid(uid)) {
    next(null, { code: 500, error: 'duplicate log in' });
    return;
  }

  session.bind(uid, (err) => {
    if (err) {
      next(err);
      return;
    }
    session.set('rid', rid);
    session.push('rid', (err) => {
      if (err) {
        console.error('set rid for session service failed! error is : %j', err.stack);
      }
    });
    session.on('closed', onUserLeave.bind(null, this.app));

    // Into the room on its chat server, then answer with its members.
    this.app.rpc.chat.chatRemote.add(session, uid, this.app.get('serverId'), rid, true, (err, users) => {
      if (err) {
        next(err);
        return;
      }
      next(null, { code: 200, users: users });
    });
  });
};

/** A closed session leaves its room. */
function onUserLeave(app, session, reason) {
  if (!session?.uid) {
    return;
  }
  app.rpc.chat.chatRemote.kick(session, session.uid, app.get('serverId'), session.get('rid'), (err) => {
    if (err) {
      console.error(`leaving the room failed: ${err.message} (${reason})`);
    }
  });
}
