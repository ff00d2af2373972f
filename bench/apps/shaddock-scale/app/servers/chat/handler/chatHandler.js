// chat.chatHandler: `send(body)` pushes `onChat` with the body to every member of the sender's room
// through the local channel; `sendGlobal(body)` the same through the global channel
// (`globalChannelService.pushMessage('connector', …)`: the members read from Redis, one call per
// connector). Neither is awaited, as Pomelo's chat demo does.
export default function chatHandler(app) {
  let failures = 0;
  const report = (what) => {
    if (++failures <= 10) console.error(`chat.chatHandler: ${what}`);
  };
  const settled = (failed) => {
    if (failed.length > 0) report(`${failed.length} members got nothing`);
  };
  const failed = (error) => report(error.message);
  return {
    async send(msg, session) {
      const rid = session.get('rid');
      const channel = typeof rid === 'string' ? app.channelService.getChannel(rid) : undefined;
      if (channel === undefined) return { code: 500, error: `no room ${String(rid)}` };
      channel.pushMessage('onChat', msg).then(settled, failed);
      return { code: 200 };
    },

    async sendGlobal(msg, session) {
      const rid = session.get('rid');
      if (typeof rid !== 'string') return { code: 500, error: 'no room' };
      app.services
        .get('globalChannelService')
        .pushMessage('connector', 'onChat', msg, rid)
        .then(settled, failed);
      return { code: 200 };
    },
  };
}
