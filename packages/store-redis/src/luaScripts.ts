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
// a write replaces a hash with a string. `readStored(key)` returns the version and write id (nil
// when absent), or nil, nil and an error message when the key holds neither (nothing is written).
const READ_STORED = `
local function readStored(key)
  local stored = redis.pcall('GET', key)
  if type(stored) == 'string' then
    local digits, wid = string.match(stored, '^(%d+):([^:]*):')
    local version = tonumber(digits)
    if not version then return nil, nil, 'WRONGTYPE record is not in the store format' end
    return version, wid
  elseif type(stored) == 'table' and stored.err then
    if redis.call('TYPE', key).ok ~= 'hash' then return nil, nil, stored.err end
    local fields = redis.call('HMGET', key, 'v', 'w')
    return tonumber(fields[1]), fields[2]
  end
  return nil, nil
end
`;

/** Arguments of one write in {@link SET_SCRIPT}'s `ARGV`. */
export const SET_SCRIPT_ARGS_PER_WRITE = 7;

/**
 * Versioned writes of one or more records, one after the other (each as if alone; a batch is
 * simply one call). KEYS = the record key of each write, then, when any write updates it, the due
 * index (a sorted set). ARGV = 7 per write: value, mode (`any` | `absent` | `version`), expected
 * version, ttlMs (`''` = no expiry), write id, due time (`'-'` = leave the due entry as it is,
 * `''` = remove it, else its score in epoch ms), due member.
 * Returns one entry per write: the new version (> 0); minus the stored version (`0` when there is
 * no record) on a failed precondition; or an error message (a string) when the key holds something
 * that is not a record (that write does nothing; the others go on).
 *
 * The write id makes a command that ioredis resends after a dropped connection idempotent: when
 * the stored write id is this write's, the write already happened and its version is returned.
 * `SET` replaces a format-1 hash and sets or removes the expiry in the same command.
 */
export const SET_SCRIPT = script(`${READ_STORED}
local writes = #ARGV / ${SET_SCRIPT_ARGS_PER_WRITE}
local dueKey = KEYS[writes + 1]
local replies = {}
for i = 1, writes do
  local key, a = KEYS[i], (i - 1) * ${SET_SCRIPT_ARGS_PER_WRITE}
  local version, wid, err = readStored(key)
  local mode = ARGV[a + 2]
  if err then
    replies[i] = err
  elseif version ~= nil and wid == ARGV[a + 5] then
    replies[i] = version
  elseif (mode == 'absent' and version ~= nil) or (mode == 'version' and (version == nil or version ~= tonumber(ARGV[a + 3]))) then
    replies[i] = -(version or 0)
  else
    local nextVersion = (version or 0) + 1
    local record = nextVersion .. ':' .. ARGV[a + 5] .. ':' .. ARGV[a + 1]
    if ARGV[a + 4] == '' then
      redis.call('SET', key, record)
    else
      redis.call('SET', key, record, 'PX', ARGV[a + 4])
    end
    local due = ARGV[a + 6]
    if due ~= '-' then
      if due ~= '' then redis.call('ZADD', dueKey, due, ARGV[a + 7]) else redis.call('ZREM', dueKey, ARGV[a + 7]) end
    end
    replies[i] = nextVersion
  end
end
return replies
`);

/**
 * Delete if the version matches. KEYS[1] = record key. ARGV = expected version.
 * Returns `{1, deletedVersion}` or `{0, storedVersion or 0}`.
 */
export const DELETE_IF_VERSION_SCRIPT = script(`${READ_STORED}
local version, wid, err = readStored(KEYS[1])
if err then return redis.error_reply(err) end
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
