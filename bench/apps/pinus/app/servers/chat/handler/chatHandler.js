// chat.chatHandler: `echo(body)` answers the body; `send(body)` pushes `onChat` with the body to
// every member of the sender's room (not awaited, as Pomelo's chat demo does).

// pinus-loader turns every method of the class into a route: helpers live outside it.
let failures = 0;

function report(what) {
  if (++failures <= 10) console.error(`chat.chatHandler.send: ${what}`);
}

class ChatHandler {
  constructor(app) {
    this.app = app;
  }

  async echo(msg) {
    return msg;
  }

  async send(msg, session) {
    const rid = session.get('rid');
    const channel =
      typeof rid === 'string' ? this.app.get('channelService').getChannel(rid, false) : undefined;
    if (!channel) return { code: 500, error: `no room ${String(rid)}` };
    channel.apushMessage('onChat', msg).then(
      (failed) => {
        if (Array.isArray(failed) && failed.length > 0) report(`${failed.length} members got nothing`);
      },
      (error) => report(error.message),
    );
    return { code: 200 };
  }
}

exports.default = (app) => new ChatHandler(app);
