// chat.chatHandler: `echo(body)` answers the body; `send(body)` pushes `onChat` with the body to
// every member of the sender's room (not awaited, as Pomelo's chat demo does).
export default function chatHandler(app) {
  let failures = 0;
  const report = (what) => {
    if (++failures <= 10) console.error(`chat.chatHandler.send: ${what}`);
  };
  return {
    async echo(msg) {
      return msg;
    },

    async send(msg, session) {
      const rid = session.get('rid');
      const channel = typeof rid === 'string' ? app.channelService.getChannel(rid) : undefined;
      if (channel === undefined) return { code: 500, error: `no room ${String(rid)}` };
      channel.pushMessage('onChat', msg).then(
        (failed) => {
          if (failed.length > 0) report(`${failed.length} members got nothing`);
        },
        (error) => report(error.message),
      );
      return { code: 200 };
    },
  };
}
