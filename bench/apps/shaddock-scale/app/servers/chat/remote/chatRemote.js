// chat.chatRemote: the rooms, each kept as a local channel (this server's memory) and as a global
// channel (Redis), joined and left together.
export default function chatRemote(app) {
  const global = () => app.services.get('globalChannelService');
  return {
    async add(uid, frontendId, rid) {
      app.channelService.createChannel(rid).add(uid, frontendId);
      await global().add(rid, uid, frontendId);
      return true;
    },

    async kick(uid, frontendId, rid) {
      const channel = app.channelService.getChannel(rid);
      const left = channel?.leave(uid, frontendId) ?? false;
      if (channel !== undefined && channel.userAmount === 0) channel.destroy();
      await global().leave(rid, uid, frontendId);
      return left;
    },
  };
}
