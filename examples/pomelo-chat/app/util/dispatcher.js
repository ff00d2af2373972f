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

/** The server of `servers` for `key`. */
exports.dispatch = (key, servers) => servers[hash(key) % servers.length];
