// The room a route parameter names, and the chat server that holds it: the same rule as the
// Shaddock app's (bench/apps/shaddock/app/room-route.js).

/** The room of a session (its `rid` setting), or of `{ rid }`. */
function roomOf(routeParam) {
  if (routeParam && typeof routeParam.get === 'function') return String(routeParam.get('rid') ?? '');
  if (routeParam && typeof routeParam === 'object' && typeof routeParam.rid === 'string')
    return routeParam.rid;
  return String(routeParam ?? '');
}

/** FNV-1a of the room name, modulo the servers (sorted by id). */
function roomServer(routeParam, servers) {
  const room = roomOf(routeParam);
  let hash = 0x811c9dc5;
  for (let index = 0; index < room.length; index++) {
    hash = Math.imul(hash ^ room.charCodeAt(index), 0x01000193) >>> 0;
  }
  const sorted = [...servers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted[hash % sorted.length].id;
}

module.exports = { roomOf, roomServer };
