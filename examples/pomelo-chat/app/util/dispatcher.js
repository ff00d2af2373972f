// Picks one server of a list for a key, the same one for the same key as long as the list stays.

/** A 32-bit FNV-1a hash of the key's characters. */
function hash(key) {
  let value = 0x811c9dc5;
  const text = String(key);
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

/**
 * The server of `servers` for `key`. Sorted by id first: each process learns of the servers in its
 * own order, and every process must pick the same one.
 */
exports.dispatch = (key, servers) => {
  const sorted = servers.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted[hash(key) % sorted.length];
};
