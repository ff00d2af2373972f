// The room a route parameter names, and the chat server that holds it: the same rule as the Pinus
// app's (bench/apps/pinus/app/room-route.js), so both spread rooms over their chat servers alike.

/** The room of a session (its `rid` setting), of a session snapshot, or of `{ rid }`. */
export function roomOf(routeParam) {
  if (routeParam && typeof routeParam.get === 'function') return String(routeParam.get('rid') ?? '');
  if (routeParam && typeof routeParam === 'object') {
    if (typeof routeParam.rid === 'string') return routeParam.rid;
    if (routeParam.settings && typeof routeParam.settings.rid === 'string') return routeParam.settings.rid;
  }
  return String(routeParam ?? '');
}

/** FNV-1a of the room name, modulo the servers (sorted by id). */
export function roomServer(routeParam, servers) {
  const room = roomOf(routeParam);
  let hash = 0x811c9dc5;
  for (let index = 0; index < room.length; index++) {
    hash = Math.imul(hash ^ room.charCodeAt(index), 0x01000193) >>> 0;
  }
  const sorted = [...servers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted[hash % sorted.length].id;
}
