// The gates' handler (routes `gate.gateHandler.*`): which connector a player should use.

/** A factory, as in Pomelo: `(app) => handler`. */
export default function gateHandler(app) {
  return {
    /**
     * The connector for `uid`: `prefer` when membership has it, else one picked by the uid among
     * the connectors membership has now (so a lost host's players go to the others).
     */
    async queryEntry({ uid, prefer }) {
      const connectors = app.getServersByType('connector');
      if (connectors.length === 0) {
        const error = new Error('no connector is up');
        error.code = 503;
        throw error;
      }
      let chosen = connectors.find((server) => server.id === prefer);
      if (chosen === undefined) {
        let hash = 0;
        for (const char of String(uid)) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
        chosen = connectors[hash % connectors.length];
      }
      return { id: chosen.id, host: chosen.host, port: chosen.clientPort };
    },
  };
}
