// The chat servers' handler (routes `chat.chatHandler.*`), reached through a connector: the
// session's `room` picks the chat server.

/** A factory, as in Pomelo: `(app) => handler`. */
export default function chatHandler(app) {
  return {
    /** Who answers: this server and its process. */
    async whoami() {
      return { serverId: app.serverId, pid: process.pid };
    },

    /** Answers a numbered request with its number: the players' request streams check them. */
    async echo({ n }) {
      return { n, serverId: app.serverId, pid: process.pid };
    },
  };
}
