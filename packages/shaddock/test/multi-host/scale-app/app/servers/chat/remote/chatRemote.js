// The chat servers' remote (`chat.chatRemote.*`): rooms' channels and their tickers. A room is a
// global channel (`globalChannelService`, in Redis) when the app installed that plugin, else a
// channel of this server's memory.

/** A factory, as in Pomelo: `(app) => remote`. */
export default function chatRemote(app) {
  /** room → its ticker: the last sequence number pushed, the timer, pushes that reached nobody. */
  const tickers = new Map();
  const tickerOf = (room) => {
    let ticker = tickers.get(room);
    if (ticker === undefined) {
      ticker = { seq: 0, timer: undefined, failed: 0 };
      tickers.set(room, ticker);
    }
    return ticker;
  };
  const globalChannels = () => app.services.find('globalChannelService');

  return {
    /**
     * Adds `uid` (on `frontendId`) to the room (moving it from another frontend) and answers the
     * room's last pushed sequence number, read before the add: every later tick includes the new
     * member.
     */
    async join(uid, frontendId, room) {
      const seq = tickerOf(room).seq;
      const global = globalChannels();
      if (global !== undefined) {
        await global.add(room, uid, frontendId);
        return { seq, members: await global.getMembersByChannelName('connector', room) };
      }
      const channel = app.channelService.createChannel(room);
      channel.add(uid, frontendId);
      return { seq, members: channel.getMembers() };
    },

    async leave(uid, frontendId, room) {
      const global = globalChannels();
      if (global !== undefined) await global.leave(room, uid, frontendId);
      else app.channelService.getChannel(room)?.leave(uid, frontendId);
    },

    /** Who answers: this server and its process. */
    async whoami() {
      return { serverId: app.serverId, pid: process.pid };
    },

    /**
     * Pushes `onTick { room, seq }` to the room every `intervalMs`, seq counting up from the last;
     * answers which kind of channel the room is.
     */
    async startTicks(room, intervalMs) {
      const ticker = tickerOf(room);
      clearInterval(ticker.timer);
      const global = globalChannels();
      const channel = global === undefined ? app.channelService.createChannel(room) : undefined;
      ticker.timer = setInterval(() => {
        ticker.seq += 1;
        const body = { room, seq: ticker.seq };
        const pushed =
          global === undefined
            ? channel.pushMessage('onTick', body)
            : global.pushMessage('connector', 'onTick', body, room);
        pushed.then(
          (failed) => {
            ticker.failed += failed.length;
          },
          () => {},
        );
      }, intervalMs);
      return { seq: ticker.seq, channel: global === undefined ? 'local' : 'global' };
    },

    /** Stops the room's ticker: the last sequence number pushed, and how many pushes reached nobody. */
    async stopTicks(room) {
      const ticker = tickerOf(room);
      clearInterval(ticker.timer);
      ticker.timer = undefined;
      return { seq: ticker.seq, failed: ticker.failed };
    },
  };
}
