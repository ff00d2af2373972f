module.exports = (app) => new ChatHandler(app);

function ChatHandler(app) {
  this.app = app;
}

/**
 * Sends `{ content, target }` to the room (`target` '*') or to one member, as an `onChat` push
 * `{ msg, from, target }`.
 */
ChatHandler.prototype.send = function (msg, session, next) {
  const rid = session.get('rid');
  const username = session.uid.split('*')[0];
  const channelService = this.app.get('channelService');
  const channel = channelService.getChannel(rid, false);
  if (!channel) {
    next(null, { code: 500, error: `no room ${rid}` });
    return;
  }
  const param = { msg: msg.content, from: username, target: msg.target };

  if (msg.target === '*') {
    channel.pushMessage('onChat', param, (err) => {
      next(err, { code: 200, route: msg.route });
    });
    return;
  }
  const tuid = `${msg.target}*${rid}`;
  const member = channel.getMember(tuid);
  if (!member) {
    next(null, { code: 500, error: `${msg.target} is not in the room` });
    return;
  }
  channelService.pushMessageByUids('onChat', param, [{ uid: tuid, sid: member.sid }], (err) => {
    next(err, { code: 200, route: msg.route });
  });
};

/** Puts `{ target }` out of the room: its connector kicks its session, which then leaves the room. */
ChatHandler.prototype.kick = function (msg, session, next) {
  const rid = session.get('rid');
  const channel = this.app.get('channelService').getChannel(rid, false);
  const tuid = `${msg.target}*${rid}`;
  const member = channel?.getMember(tuid);
  if (!member) {
    next(null, { code: 500, error: `${msg.target} is not in the room` });
    return;
  }
  this.app.get('backendSessionService').kickByUid(member.sid, tuid, (err) => {
    next(err, { code: 200 });
  });
};
