import { createHash } from 'node:crypto';

/** A Lua script run with EVALSHA (falling back to EVAL once after `NOSCRIPT`). */
export interface LuaScript {
  readonly lua: string;
  /** SHA-1 of `lua`, hex. */
  readonly sha: string;
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

// Records are strings `<version>:<writeId>:<value>` (format 2). Records written by earlier versions
// are hashes (`v` version, `r` = `<version>:<value>`, `w` write id); every script reads both, and
// a write replaces a hash with a string. `READ_STORED` sets `version` and `wid` (nil when absent);
// a string that is not in the format raises a WRONGTYPE error (nothing is written).
const READ_STORED = `
local version, wid
local stored = redis.pcall('GET', KEYS[1])
if type(stored) == 'string' then
  local digits
  digits, wid = string.match(stored, '^(%d+):([^:]*):')
  version = tonumber(digits)
  if not version then return redis.error_reply('WRONGTYPE record is not in the store format') end
elseif type(stored) == 'table' and stored.err then
  if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return redis.error_reply(stored.err) end
  local fields = redis.call('HMGET', KEYS[1], 'v', 'w')
  version = tonumber(fields[1])
  wid = fields[2]
end
`;

/**
 * Versioned write. KEYS[1] = record key; KEYS[2], optional, = the due index (a sorted set), updated
 * in the same script: ARGV[6] = due time in epoch ms (`''` = remove the entry), ARGV[7] = its member.
 * ARGV = value, mode (`any` | `absent` | `version`), expected version, ttlMs (`''` = no expiry), write id.
 * Returns the new version (> 0) or, on a failed precondition, minus the stored version (`0` when
 * there is no record): an integer reply, which costs Redis less than an array.
 *
 * The write id makes a command that ioredis resends after a dropped connection idempotent: when
 * the stored write id is this write's, the write already happened and its version is returned.
 * `SET` replaces a format-1 hash and sets or removes the expiry in the same command.
 */
export const SET_SCRIPT = script(`${READ_STORED}
if version ~= nil and wid == ARGV[5] then
  return version
end
if ARGV[2] == 'absent' then
  if version ~= nil then return -version end
elseif ARGV[2] == 'version' then
  if version == nil or version ~= tonumber(ARGV[3]) then return -(version or 0) end
end
local nextVersion = (version or 0) + 1
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], nextVersion .. ':' .. ARGV[5] .. ':' .. ARGV[1])
else
  redis.call('SET', KEYS[1], nextVersion .. ':' .. ARGV[5] .. ':' .. ARGV[1], 'PX', ARGV[4])
end
if KEYS[2] then
  if ARGV[6] ~= '' then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7]) else redis.call('ZREM', KEYS[2], ARGV[7]) end
end
return nextVersion
`);

/**
 * Delete if the version matches. KEYS[1] = record key. ARGV = expected version.
 * Returns `{1, deletedVersion}` or `{0, storedVersion or 0}`.
 */
export const DELETE_IF_VERSION_SCRIPT = script(`${READ_STORED}
if version == nil or version ~= tonumber(ARGV[1]) then return {0, version or 0} end
redis.call('DEL', KEYS[1])
return {1, version}
`);

/**
 * Read and delete. KEYS[1] = record key. Returns `{2, <version>:<writeId>:<value>}` (string
 * record), `{1, <version>:<value>}` (format-1 hash) or nil.
 */
export const TAKE_SCRIPT = script(`
local stored = redis.pcall('GET', KEYS[1])
if type(stored) == 'string' then
  redis.call('DEL', KEYS[1])
  return {2, stored}
end
if type(stored) == 'table' and stored.err then
  local record = redis.call('HGET', KEYS[1], 'r')
  if not record then return false end
  redis.call('DEL', KEYS[1])
  return {1, record}
end
return false
`);

/**
 * Compare-and-delete of a lock, announcing the release. KEYS[1] = lock key. ARGV = owner token,
 * release channel. Returns 1 if released. The `PUBLISH` (message: the lock key) wakes processes
 * waiting in `lockReleased`; regular pub/sub, so on a Cluster it reaches subscribers on every node.
 */
export const RELEASE_LOCK_SCRIPT = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], KEYS[1])
  return 1
end
return 0
`);

/**
 * Compare-and-extend of a lock. KEYS[1] = lock key. ARGV = owner token, ttlMs.
 * Returns 1 when the token still owns the lock and its expiry is now `ttlMs` from now, else 0.
 */
export const RENEW_LOCK_SCRIPT = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);
