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

/**
 * Versioned write. KEYS[1] = record hash. ARGV = value, mode (`any` | `absent` | `version`),
 * expected version, ttlMs (`''` = no expiry), write id.
 * Returns `{1, newVersion}` or, on a failed precondition, `{0, storedVersion or 0}`.
 *
 * The write id makes a command that ioredis resends after a dropped connection idempotent: when
 * the stored write id is this write's, the write already happened and its version is returned.
 */
export const SET_SCRIPT = script(`
local stored = redis.call('HMGET', KEYS[1], 'v', 'w')
local version = tonumber(stored[1])
if version ~= nil and stored[2] == ARGV[5] then
  return {1, version}
end
if ARGV[2] == 'absent' then
  if version ~= nil then return {0, version} end
elseif ARGV[2] == 'version' then
  if version == nil or version ~= tonumber(ARGV[3]) then return {0, version or 0} end
end
local nextVersion = (version or 0) + 1
redis.call('HSET', KEYS[1], 'v', nextVersion, 'r', nextVersion .. ':' .. ARGV[1], 'w', ARGV[5])
if ARGV[4] == '' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return {1, nextVersion}
`);

/**
 * Delete if the version matches. KEYS[1] = record hash. ARGV = expected version.
 * Returns `{1, deletedVersion}` or `{0, storedVersion or 0}`.
 */
export const DELETE_IF_VERSION_SCRIPT = script(`
local version = tonumber(redis.call('HGET', KEYS[1], 'v'))
if version == nil or version ~= tonumber(ARGV[1]) then return {0, version or 0} end
redis.call('DEL', KEYS[1])
return {1, version}
`);

/** Read and delete. KEYS[1] = record hash. Returns `{version, value}` or nil. */
export const TAKE_SCRIPT = script(`
local record = redis.call('HGET', KEYS[1], 'r')
if not record then return false end
redis.call('DEL', KEYS[1])
return record
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
