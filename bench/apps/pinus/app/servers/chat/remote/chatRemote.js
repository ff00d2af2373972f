// chat.chatRemote: the rooms of this chat server, joined and left by the connectors.

class ChatRemote {
  constructor(app) {
    this.app = app;
  }

  async add(uid, frontendId, rid) {
    this.app.get('channelService').getChannel(rid, true).add(uid, frontendId);
    return true;
  }

  async kick(uid, frontendId, rid) {
    const channel = this.app.get('channelService').getChannel(rid, false);
    if (!channel) return false;
    const left = channel.leave(uid, frontendId);
    if (channel.getUserAmount() === 0) channel.destroy();
    return left;
  }
}

exports.default = (app) => new ChatRemote(app);
