// chat.chatRemote: the rooms of this chat server, joined and left by the connectors.
export default function chatRemote(app) {
  return {
    async add(uid, frontendId, rid) {
      app.channelService.createChannel(rid).add(uid, frontendId);
      return true;
    },

    async kick(uid, frontendId, rid) {
      const channel = app.channelService.getChannel(rid);
      if (channel === undefined) return false;
      const left = channel.leave(uid, frontendId);
      if (channel.userAmount === 0) channel.destroy();
      return left;
    },
  };
}
