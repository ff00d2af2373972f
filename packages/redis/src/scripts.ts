import type { Redis } from 'ioredis';

// The Lua scripts behind every write that must be atomic (a member moving between frontends, the
// last member out removing its channel, a session leaving its frontend's index) and behind the
// reads that need one round trip. Redis runs a script alone, so no other caller sees half of one.
//
// A key of another type than the stores write is never changed: the script checks types before
// it writes anything and answers `MALFORMED <key index> <type>` (an error reply), which the store
// reports and turns into "nothing there" (reads) or a failed call (writes). The channel registry
// (`…:channels`) is kept best effort (`redis.pcall`): a broken registry must not stop the channels.

/** Checks that `KEYS[index]` is absent or of type `expected`; the reply when it is not. */
const CHECK = `
local function check(index, expected)
  local kind = redis.call('TYPE', KEYS[index])['ok']
  if kind ~= expected and kind ~= 'none' then
    return redis.error_reply('MALFORMED ' .. index .. ' ' .. kind)
  end
  return nil
end
`;

const SCRIPTS = {
  /** KEYS: channel hash, channel registry. ARGV: channel, uid, frontend. 1 when added or moved, 0 when it was there. */
  shaddockChannelAdd: {
    numberOfKeys: 2,
    lua: `${CHECK}
local bad = check(1, 'hash')
if bad then return bad end
if redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.pcall('SADD', KEYS[2], ARGV[1])
return 1`,
  },
  /**
   * KEYS: channel hash, channel registry. ARGV: channel, uid, frontend, '1' when the frontend must
   * match. 1 when removed; the last member out removes the channel from the registry.
   */
  shaddockChannelRemove: {
    numberOfKeys: 2,
    lua: `${CHECK}
local bad = check(1, 'hash')
if bad then return bad end
local current = redis.call('HGET', KEYS[1], ARGV[2])
if not current then return 0 end
if ARGV[4] == '1' and current ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.pcall('SREM', KEYS[2], ARGV[1]) end
return 1`,
  },
  /** KEYS: channel hash, channel registry. ARGV: channel. */
  shaddockChannelDestroy: {
    numberOfKeys: 2,
    lua: `redis.call('DEL', KEYS[1])
redis.pcall('SREM', KEYS[2], ARGV[1])
return 1`,
  },
  /** KEYS: channel hash. `[uid, frontend, uid, frontend, …]`: every member, one round trip. */
  shaddockChannelMembers: {
    numberOfKeys: 1,
    readOnly: true,
    lua: `${CHECK}
local bad = check(1, 'hash')
if bad then return bad end
return redis.call('HGETALL', KEYS[1])`,
  },
  /** KEYS: channel hash. ARGV: frontend. The uids in the channel through that frontend. */
  shaddockChannelOnFrontend: {
    numberOfKeys: 1,
    readOnly: true,
    lua: `${CHECK}
local bad = check(1, 'hash')
if bad then return bad end
local all = redis.call('HGETALL', KEYS[1])
local found = {}
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[1] then found[#found + 1] = all[i] end
end
return found`,
  },
  /** KEYS: uid's session list, frontend's uid set. ARGV: entry, uid. 1 when added, 0 when it was there. */
  shaddockStatusAdd: {
    numberOfKeys: 2,
    lua: `${CHECK}
local bad = check(1, 'list') or check(2, 'set')
if bad then return bad end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
for _, entry in ipairs(entries) do
  if entry == ARGV[1] then return 0 end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1`,
  },
  /**
   * KEYS: uid's session list, frontend's uid set. ARGV: entry, uid, frontend. 1 when removed; the
   * uid leaves the frontend's set with its last session there.
   */
  shaddockStatusRemove: {
    numberOfKeys: 2,
    lua: `${CHECK}
local bad = check(1, 'list') or check(2, 'set')
if bad then return bad end
if redis.call('LREM', KEYS[1], 0, ARGV[1]) == 0 then return 0 end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
for _, entry in ipairs(entries) do
  local colon = string.find(entry, ':', 1, true)
  if colon and string.sub(entry, colon + 1) == ARGV[3] then return 1 end
end
redis.call('SREM', KEYS[2], ARGV[2])
return 1`,
  },
  /**
   * KEYS: frontend's uid set. ARGV: frontend, status key prefix, batch size. Takes up to a batch of
   * uids out of the set and removes that frontend's sessions from each; answers
   * `[uids taken, uid whose list is malformed, …]`. Called until it takes none: each batch is
   * atomic, and servers that clear the same frontend at once share the work.
   */
  shaddockStatusRemoveFrontend: {
    numberOfKeys: 1,
    lua: `${CHECK}
local bad = check(1, 'set')
if bad then return bad end
local uids = redis.call('SPOP', KEYS[1], tonumber(ARGV[3]))
local reply = { #uids }
for _, uid in ipairs(uids) do
  local key = ARGV[2] .. uid
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'list' then
    local entries = redis.call('LRANGE', key, 0, -1)
    for _, entry in ipairs(entries) do
      local colon = string.find(entry, ':', 1, true)
      if colon and string.sub(entry, colon + 1) == ARGV[1] then redis.call('LREM', key, 0, entry) end
    end
  elseif kind ~= 'none' then
    reply[#reply + 1] = uid
  end
end
return reply`,
  },
  /**
   * KEYS: placement hash, lost hash, candidate's owner set. ARGV: field, candidate. `[owner]`, or
   * `[candidate, previous owner]` when the key was freed because its owner left.
   */
  shaddockPlacementClaim: {
    numberOfKeys: 3,
    lua: `${CHECK}
local bad = check(1, 'hash') or check(2, 'hash') or check(3, 'set')
if bad then return bad end
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner then return { owner } end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
local previous = redis.call('HGET', KEYS[2], ARGV[1])
if not previous then return { ARGV[2] } end
redis.call('HDEL', KEYS[2], ARGV[1])
return { ARGV[2], previous }`,
  },
  /**
   * KEYS: placement hash, lost hash, owner's set. ARGV: field, owner, release channel, message.
   * 1 when the owner owned it (released and published), else 0. Forgets a lost owner either way.
   */
  shaddockPlacementRelease: {
    numberOfKeys: 3,
    lua: `${CHECK}
local bad = check(1, 'hash') or check(2, 'hash') or check(3, 'set')
if bad then return bad end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`,
  },
  /**
   * KEYS: placement hash, lost hash, server's set. ARGV: server id. Frees every field the server
   * owns, remembering it as their lost owner; answers those fields.
   */
  shaddockPlacementReleaseServer: {
    numberOfKeys: 3,
    lua: `${CHECK}
local bad = check(1, 'hash') or check(2, 'hash') or check(3, 'set')
if bad then return bad end
local fields = redis.call('SMEMBERS', KEYS[3])
local released = {}
for _, field in ipairs(fields) do
  if redis.call('HGET', KEYS[1], field) == ARGV[1] then
    redis.call('HDEL', KEYS[1], field)
    redis.call('HSET', KEYS[2], field, ARGV[1])
    released[#released + 1] = field
  end
end
redis.call('DEL', KEYS[3])
return released`,
  },
} as const;

/** A script's reply: what Lua tables, strings, integers and nil become. */
export type ScriptReply = string | number | null | ScriptReply[];

type ScriptName = keyof typeof SCRIPTS;

/** The client with the scripts as commands (ioredis sends EVALSHA, and EVAL the first time on a socket). */
export type ScriptClient = Record<ScriptName, (...keysAndArgs: string[]) => Promise<ScriptReply>>;

const defined = new WeakSet<Redis>();

/** The scripts on `client`, defined on it the first time. */
export function scripts(client: Redis): ScriptClient {
  if (!defined.has(client)) {
    for (const [name, definition] of Object.entries(SCRIPTS)) client.defineCommand(name, definition);
    defined.add(client);
  }
  return client as unknown as ScriptClient;
}

/** What a script's `MALFORMED <key index> <type>` reply says, if `error` is one. */
export function malformedReply(error: unknown): { keyIndex: number; type: string } | undefined {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(cause instanceof Error)) return undefined;
  const match = /^MALFORMED (\d+) (\S+)/.exec(cause.message);
  if (match === null) return undefined;
  return { keyIndex: Number(match[1]), type: match[2] ?? 'unknown' };
}
