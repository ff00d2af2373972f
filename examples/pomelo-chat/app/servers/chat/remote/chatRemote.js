module.exports = (app) => new ChatRemote(app);

function ChatRemote(app) {
  this.app = app;
  this.channelService = app.get('channelService');
}

/**
 * Adds user `uid` (on frontend `sid`) to room `name`, creating the room when `flag` is true;
 * the others get `onAdd`; answers the room's user names.
 */
ChatRemote.prototype.add = function (uid, sid, name, flag, cb) {
  const channel = this.channelService.getChannel(name, flag);
  if (!channel) {
    cb(new Error(`no room ${name}`));
    return;
  }
  channel.pushMessage({ route: 'onAdd', user: uid.split('*')[0] });
  channel.add(uid, sid);
  cb(null, this.get(name, flag));
};

/** The user names in room `name`. */
ChatRemote.prototype.get = function (name, flag) {
  const channel = this.channelService.getChannel(name, flag);
  if (!channel) {
    return [];
  }
  return channel.getMembers().map((uid) => uid.split('*')[0]);
};

/** Takes user `uid` (on frontend `sid`) out of room `name`; the others get `onLeave`. */
ChatRemote.prototype.kick = function (uid, sid, name, cb) {
  const channel = this.channelService.getChannel(name, false);
  if (channel) {
    channel.leave(uid, sid);
    channel.pushMessage({ route: 'onLeave', user: uid.split('*')[0] });
  }
  cb();
};
