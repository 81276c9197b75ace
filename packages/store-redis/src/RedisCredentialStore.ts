import {
  AuthManagerError, ErrorCode, retryLock,
  type CredentialStore, type DeleteOptions, type ListFilter, type LockOptions, type RecordKey, type RecordKind, type SetOptions,
  type StoredRecord, type StoreLock,
} from '@authmanager/core';
import { Command, Redis, type Cluster } from 'ioredis';
import { randomBytes, randomFillSync } from 'node:crypto';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import {
  DELETE_IF_VERSION_SCRIPT, RELEASE_LOCK_SCRIPT, RENEW_LOCK_SCRIPT, SET_SCRIPT, TAKE_SCRIPT, type LuaScript,
} from './luaScripts.js';
import { CallDeadlines } from './CallDeadlines.js';
import { ReadBatch } from './ReadBatch.js';
import { WriteBatch, writeReply } from './WriteBatch.js';
import { decodeOrUndefined, encodeKeyPart, RedisKeySchema } from './RedisKeySchema.js';

/** Options for {@link RedisCredentialStore}. */
export interface RedisCredentialStoreOptions {
  /**
   * Where to store: a Redis URL (`redis://…` or `rediss://…`), for which the store opens, owns and
   * on {@link RedisCredentialStore.close} closes its own connection; or an ioredis `Redis` or
   * `Cluster` instance that stays yours (the store never closes it and never adds commands to it).
   *
   * An instance must not use ioredis' own `keyPrefix` option (use {@link keyPrefix} instead:
   * SCAN patterns are not prefixed by ioredis). The store's {@link commandTimeoutMs} deadline
   * applies to calls on your instance too; to have it reconnect and fail fast while Redis is down
   * as the store's own connections do, give it `maxRetriesPerRequest: 2`, `connectTimeout: 2000`
   * and a `retryStrategy` that never gives up (ioredis' `commandTimeout` is not needed).
   */
  readonly redis: string | Redis | Cluster;
  /**
   * Prepended to every key. Must not contain `{` or `}`.
   * @default 'authmanager:'
   */
  readonly keyPrefix?: string;
  /**
   * First pause between two attempts to take a held lock, in milliseconds; pauses double (with
   * jitter) up to `max(200, lockRetryDelayMs)`.
   * @default 25
   */
  readonly lockRetryDelayMs?: number;
  /**
   * Connections the store opens itself (URL): reconnect attempts a command waits through before it
   * fails with `STORE_UNAVAILABLE` (ioredis `maxRetriesPerRequest`). The connection itself keeps
   * reconnecting (backoff 100 ms doubling to 500 ms), so the store recovers when Redis is back (a
   * restarted server, same address); while Redis stays down a command fails after about
   * `(maxRetries + 1) × 500 ms`, and never later than {@link commandTimeoutMs} after the call.
   * @default 2
   */
  readonly maxRetries?: number;
  /** Connections the store opens itself: TCP connect timeout in milliseconds (ioredis `connectTimeout`). @default 2000 */
  readonly connectTimeoutMs?: number;
  /**
   * Deadline of every store call, in milliseconds from the call: a `get`, `set`, `delete`,
   * `take`, `list` page, `lock` attempt, lock `release` or `renew` that has no reply by then fails
   * with `STORE_UNAVAILABLE`, whatever holds it up: a hung or frozen server, a reconnect in
   * progress, or its command queued behind an earlier pipeline that is still waiting for replies
   * (ioredis' own `commandTimeout` starts only when a command is sent, so it cannot bound that).
   * Applies to an ioredis instance you pass in as well. One timer serves all calls in flight
   * (armed for the oldest, cleared when none is waiting); `0` turns it off, and then a hung
   * server blocks callers until the connection drops.
   *
   * A write that failed this way may still reach Redis later (when the server wakes up or the
   * connection's queue is sent after a reconnect); it is applied completely or not at all.
   * `lock` arms it per attempt, so `lock` ends within `waitMs + commandTimeoutMs`.
   * @default 5000
   */
  readonly commandTimeoutMs?: number;
  /**
   * Keep a per-provider and a per-subject index of `credentials` records (two Redis sets per
   * provider and subject, `<prefix>index:credentials:provider:{<provider>}` and
   * `…:subject:{<subject>}`), so that `list({ kind: 'credentials', provider })` and
   * `list({ kind: 'credentials', subject })` (`connections(subject)`) cost O(result) instead of a
   * walk of the whole keyspace.
   *
   * Costs: two `SADD`s per credentials write (same round trip on a standalone server; one more
   * round trip on a Cluster, where the sets live in other slots) and two `SREM`s plus an `EXISTS`
   * per delete; about 60 bytes of Redis memory per record. The index may list more than exists
   * (a record that expired), never less once a write has returned; `list` checks each entry.
   *
   * Turning it on for existing data: records written without it are not indexed until
   * {@link RedisCredentialStore.buildIndex} has run (once) or they are written again, and every
   * process writing the store must have it on, or their writes are missing from the index.
   * @default false
   */
  readonly index?: boolean;
  /**
   * Keep the due index that `listDue` (and so `auth.refreshDue()` / `auth.startRefresher()`) reads:
   * a sorted set `<prefix>due:credentials` of credential records by the time they are due for a
   * proactive refresh. On a standalone server it is written in the record's own write script; on a
   * Cluster (another slot) right after it. Costs one `ZADD` per credentials write and one `ZREM` per
   * delete. `false` leaves it out (and `listDue` then throws `UNSUPPORTED_FLOW`).
   * @default true
   */
  readonly dueIndex?: boolean;
}

/** What a store call was doing, for error messages. */
type Operation = 'get' | 'set' | 'delete' | 'take' | 'list' | 'lock' | 'lock release' | 'lock renew' | 'lock wait' | 'index';

/** `COUNT` of each `SCAN`/`SSCAN` page of `list`. */
const SCAN_PAGE = 500;

/** Longest pause between two `PTTL` checks of a held lock in {@link RedisCredentialStore.lockReleased} while subscribed. */
const SUBSCRIBED_POLL_MAX_MS = 1000;

/** `SetOptions.ifVersion` as sent to the write script. */
type WriteMode = 'any' | 'absent' | 'version';

/**
 * A {@link CredentialStore} on Redis (standalone, or Redis Cluster) through ioredis. Use it when
 * more than one process shares credentials; it implements the refresh `lock`.
 *
 * **Key schema** (`<prefix>` defaults to `authmanager:`):
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `<prefix><kind>:{<provider>:<subject>}` | string | `<version>:<write id>:<value>`, so a read is one `GET` and a record takes about the memory of a plain `SET` of its value |
 * | `<prefix>lock:<kind>:{<provider>:<subject>}` | string | random owner token of the lock, with a PX expiry |
 * | `<prefix>index:credentials:provider:{<provider>}`, `…:subject:{<subject>}` | set | only with {@link RedisCredentialStoreOptions.index} |
 *
 * Records written by earlier versions of this store are hashes (`v` version, `r` =
 * `<version>:<value>`, `w` write id): they are read as they are (one `GET` answered `WRONGTYPE`,
 * then an `HGET`), and the next write of each replaces it with a string.
 *
 * `kind`, `provider` and `subject` are percent-encoded (UTF-8; only `[A-Za-z0-9._~@+-]` stay), so
 * they never contain `:`, `{`, `}` or glob characters: the `{…}` part is a Redis Cluster hash tag
 * shared by all keys of one record (one slot), and no subject can collide with another's key.
 *
 * **Listing**: without the index, `list` walks the keyspace with `SCAN` and a `MATCH` pattern (on
 * a Cluster, every master), which costs O(keys in the database) per call, so keep it for admin and
 * maintenance work, not for request paths, or turn on {@link RedisCredentialStoreOptions.index}.
 * `list` with both provider and subject is a single `EXISTS`. `KEYS` is never used.
 *
 * **Guarantees**: every write runs in a Lua script on the server, so a record and its version
 * change together or not at all (on a standalone server the writes of one tick share one script
 * call, applied in call order, each with its own result), and a compare-and-set never overwrites
 * a newer version (a stale writer gets `STORE_CONFLICT`). `ttlMs` becomes a server-side
 * `PEXPIRE` (a write without `ttlMs` removes any expiry). `take` is a script that reads and
 * deletes, so one of several concurrent takes gets the record. A write that ioredis resends
 * after a dropped connection is applied once (each write carries a random id).
 *
 * **Failures**: anything Redis or the network fails with becomes an `AuthManagerError` with code
 * `STORE_UNAVAILABLE`, whose `cause` is a copy of the ioredis error without the command arguments
 * (they would contain the record value). A call fails this way at the latest `commandTimeoutMs`
 * after it was made, also when the server hangs. A write that failed this way may or may not have
 * been applied; it was applied completely if at all. A store on its own connection reconnects by
 * itself, e.g. to a server restarted on the same address.
 *
 * @example
 * ```ts
 * import { RedisCredentialStore } from '@authmanager/store-redis';
 *
 * const store = new RedisCredentialStore({ redis: 'redis://127.0.0.1:6379', keyPrefix: 'myapp:authmanager:' });
 * const key = { kind: 'credentials', provider: 'notion', subject: 'user-42' } as const;
 * const { version } = await store.set(key, '{"access_token":"…"}', { ifVersion: null });
 * await store.set(key, '{"access_token":"…2"}', { ifVersion: version });
 * await store.close();
 * ```
 */
export class RedisCredentialStore implements CredentialStore {
  readonly #redis: Redis | Cluster;
  readonly #owned: boolean;
  readonly #keys: RedisKeySchema;
  readonly #lockRetryDelayMs: number;
  readonly #commandTimeoutMs: number;
  /** Deadlines of calls in flight; `undefined` when `commandTimeoutMs` is 0. */
  readonly #deadlines: CallDeadlines<CallContext> | undefined;
  readonly #index: boolean;
  readonly #dueIndex: boolean;
  /** Writes of the current tick, sent as one script call; standalone servers only (see {@link WriteBatch}). */
  readonly #writeBatch: WriteBatch | undefined;
  /** Reads of the current tick, sent as one `MGET`; standalone servers only (see {@link ReadBatch}). */
  readonly #readBatch: ReadBatch | undefined;
  /** Channel on which lock releases are published (message: the lock key). */
  readonly #releaseChannel: string;
  /** Waiters of {@link RedisCredentialStore.lockReleased}, by lock key. */
  readonly #releaseWaiters = new Map<string, Set<() => void>>();
  /** The shared subscriber connection, opened by the first `lockReleased`. */
  #subscriber: Redis | Cluster | undefined;
  /** Resolves `true` once subscribed to the release channel, `false` when that failed. */
  #subscribed: Promise<boolean> | undefined;
  #closed = false;

  /**
   * @param options - connection and key prefix, see {@link RedisCredentialStoreOptions}
   * @throws AuthManagerError `CONFIGURATION` when `keyPrefix` contains `{` or `}`, or the given
   *   ioredis instance has its own `keyPrefix`
   * @throws RangeError when `commandTimeoutMs` is negative or not finite
   */
  constructor(options: RedisCredentialStoreOptions) {
    const keyPrefix = options.keyPrefix ?? 'authmanager:';
    try {
      this.#keys = new RedisKeySchema(keyPrefix);
    } catch (err) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `RedisCredentialStore: ${(err as Error).message}`);
    }
    this.#releaseChannel = `${keyPrefix}lock-released`;
    this.#index = options.index ?? false;
    this.#dueIndex = options.dueIndex ?? true;
    this.#lockRetryDelayMs = Math.max(1, options.lockRetryDelayMs ?? 25);
    const commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs < 0) {
      throw new RangeError('commandTimeoutMs must be a non-negative number of milliseconds');
    }
    this.#commandTimeoutMs = Math.ceil(commandTimeoutMs);
    this.#deadlines = this.#commandTimeoutMs === 0 ? undefined : new CallDeadlines(this.#commandTimeoutMs, noReply);
    if (typeof options.redis === 'string') {
      this.#owned = true;
      const redis = new Redis(options.redis, {
        maxRetriesPerRequest: options.maxRetries ?? 2,
        connectTimeout: options.connectTimeoutMs ?? 2000,
        // No ioredis `commandTimeout`: the store's own per-call deadline (#call) replaces it, and
        // a second timer per command would only cost throughput.
        enableOfflineQueue: true,
        // Commands issued in the same event-loop tick go out in one write: with many concurrent
        // sessions this is most of the store's throughput (bench: "Redis session open").
        enableAutoPipelining: true,
        // Never gives up: after a crash or restart the store reconnects by itself.
        retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 500),
      });
      // Failures reach callers as STORE_UNAVAILABLE from the commands; without a listener ioredis
      // would print every reconnect error.
      redis.on('error', () => {});
      this.#redis = redis;
    } else {
      this.#owned = false;
      const instance = options.redis as Redis | Cluster;
      const ownPrefix = instance.options.keyPrefix ??
        (instance.isCluster ? (instance as Cluster).options.redisOptions?.keyPrefix : undefined);
      if (ownPrefix) {
        throw new AuthManagerError(ErrorCode.CONFIGURATION,
          'RedisCredentialStore: the ioredis instance has a keyPrefix; use the store\'s keyPrefix option instead');
      }
      this.#redis = instance;
    }
    this.#writeBatch = this.#redis.isCluster
      ? undefined
      : new WriteBatch((keys, args) => this.#eval(SET_SCRIPT, keys, args, true), this.#dueIndex ? [this.#keys.dueKey()] : []);
    this.#readBatch = this.#redis.isCluster ? undefined : new ReadBatch((keys) => this.#sendNow('mget', keys));
  }

  /**
   * The record, or `undefined` when absent or expired. One `GET` (the record is one string,
   * `<version>:<write id>:<value>`), or on a standalone server one entry of an `MGET` of the reads
   * made in the same tick (see the README's "Guarantees"); a missing key costs one `GET` more, a
   * record in the earlier hash format one `GET` and one `HGET` more.
   * @throws AuthManagerError `STORE_UNAVAILABLE` when Redis fails, cannot be reached or has not
   *   replied within `commandTimeoutMs`
   * @throws AuthManagerError `INVALID_STORED_CREDENTIALS` when the stored string is not in the
   *   store's format
   */
  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    const recordKey = this.#keys.recordKey(key);
    const batch = this.#readBatch;
    let reading: Promise<string | null>;
    if (batch === undefined) {
      reading = this.#getAlone(recordKey);
    } else {
      this.#writeBatch?.flush();
      // A `nil` in the batch's MGET is a missing key or a record of the hash format: read alone.
      reading = batch.add(recordKey).then((stored) => (stored === null ? this.#getAlone(recordKey) : stored));
    }
    return toRecord(key, await this.#call('get', key, reading));
  }

  /** One `GET` of `recordKey` (a record of the earlier hash format: see {@link #legacyGet}). */
  #getAlone(recordKey: string): Promise<string | null> {
    return this.#send().get(recordKey).catch((err: unknown) => this.#legacyGet(recordKey, err));
  }

  /** After a `WRONGTYPE` reply to `GET`: the record of the earlier hash format, as `<version>::<value>`. */
  async #legacyGet(recordKey: string, err: unknown): Promise<string | null> {
    if (!(err instanceof Error) || !err.message.startsWith('WRONGTYPE')) throw err;
    const record = await this.#send().hget(recordKey, 'r');
    return record === null ? null : legacyToCurrent(record);
  }

  /**
   * Write `value` (opaque; any string up to Redis' 512 MB limit) atomically with the next version.
   * @param options - `ifVersion`: `undefined` writes unconditionally, `null` only creates, a number
   *   compares-and-sets; `ttlMs`: expiry in milliseconds (rounded up; a write without it makes the
   *   record permanent)
   * @returns the written record with its new version
   * @throws AuthManagerError `STORE_CONFLICT` when `ifVersion` does not match (nothing is written)
   * @throws AuthManagerError `STORE_UNAVAILABLE` when Redis fails or cannot be reached
   * @throws RangeError when `ttlMs` is not a finite number
   */
  async set(key: RecordKey, value: string, options: SetOptions = {}): Promise<StoredRecord> {
    const { ifVersion, ttlMs, dueAtMs } = options;
    let ttlArg = '';
    if (ttlMs !== undefined) {
      if (!Number.isFinite(ttlMs)) throw new RangeError('ttlMs must be a finite number of milliseconds');
      ttlArg = String(Math.max(0, Math.ceil(ttlMs)));
    }
    const mode: WriteMode = ifVersion === undefined ? 'any' : ifVersion === null ? 'absent' : 'version';
    // A number indexes the record, null removes it, absent leaves its entry as it was.
    const due = this.#dueIndex && key.kind === 'credentials' && dueAtMs !== undefined;
    const dueArg = dueAtMs == null ? '' : String(Math.round(dueAtMs));
    // Standalone: the due index is updated in the write's own script. A Cluster keeps it in another
    // slot, so there it follows the write (an entry may be stale; listDue's callers read again).
    const batch = this.#writeBatch;
    const inScript = due && batch !== undefined;
    const recordKey = this.#keys.recordKey(key);
    const args = [value, mode, ifVersion == null ? '' : String(ifVersion), ttlArg, nextWriteId(),
      inScript ? dueArg : '-', inScript ? this.#keys.dueMember(key) : ''];
    let reply: unknown;
    if (this.#index && key.kind === 'credentials') {
      // One write per call: its index entries follow it in the same pipeline (see #indexedWrite).
      const writing = this.#eval(SET_SCRIPT, inScript ? [recordKey, this.#keys.dueKey()] : [recordKey], args)
        .then(firstWriteReply);
      reply = await this.#call('set', key, this.#indexedWrite(key, writing));
    } else if (batch !== undefined) {
      this.#readBatch?.flush();
      reply = await this.#call('set', key, batch.add(recordKey, args));
    } else {
      reply = await this.#call('set', key, this.#eval(SET_SCRIPT, [recordKey], args).then(firstWriteReply));
    }
    const version = reply as number;
    if (version <= 0) throw conflict(key, ifVersion ?? null, -version);
    if (due && !inScript) {
      const member = this.#keys.dueMember(key);
      await this.#call('index', key, dueArg === '' ? this.#send().zrem(this.#keys.dueKey(), member) : this.#send().zadd(this.#keys.dueKey(), dueArg, member));
    }
    return { value, version };
  }

  /**
   * Credential records written with `dueAtMs` at or before `beforeMs`, earliest first, at most
   * `limit`: one `ZRANGE … BYSCORE LIMIT` on the due index (O(log n + due)). An entry can outlive
   * its record briefly (a delete removes it right after); callers read the record again.
   * @param beforeMs - epoch milliseconds
   * @throws AuthManagerError `STORE_UNAVAILABLE`
   */
  async listDue(beforeMs: number, limit: number): Promise<RecordKey[]> {
    if (!this.#dueIndex) {
      throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, 'RedisCredentialStore.listDue needs the store created with dueIndex: true (the default)');
    }
    const members = await this.#call('list', undefined, this.#send().zrange(this.#keys.dueKey(), '-inf', String(Math.floor(beforeMs)), 'BYSCORE', 'LIMIT', 0, Math.max(0, Math.floor(limit))));
    return (members as string[]).map((m) => this.#keys.parseDueMember(m)).filter((k): k is RecordKey => k !== undefined);
  }

  /** Drops `key`'s due-index entry after its record was deleted. */
  async #removeFromDue(key: RecordKey): Promise<void> {
    if (!this.#dueIndex || key.kind !== 'credentials') return;
    await this.#call('index', key, this.#send().zrem(this.#keys.dueKey(), this.#keys.dueMember(key)));
  }

  /**
   * `writing` (the write script, just issued), then the two index entries of `key`. They are added
   * after the record is written, so that a delete, which removes them and then checks whether the
   * record is back, never leaves a written record unindexed. On one connection (standalone) the
   * `SADD`s go in the same pipeline, behind the script; on a Cluster (other slots) they wait for it.
   */
  async #indexedWrite(key: RecordKey, writing: Promise<unknown>): Promise<unknown> {
    if (this.#redis.isCluster) {
      const reply = await writing;
      await this.#addToIndex(key);
      return reply;
    }
    const [reply] = await Promise.all([writing, this.#addToIndex(key)]);
    return reply;
  }

  #addToIndex(key: RecordKey): Promise<unknown> {
    return Promise.all([
      this.#send().sadd(this.#keys.providerIndexKey(key.kind, key.provider), encodeKeyPart(key.subject)),
      this.#send().sadd(this.#keys.subjectIndexKey(key.kind, key.subject), encodeKeyPart(key.provider)),
    ]);
  }

  /**
   * Removes `key`'s index entries after its record was deleted; puts them back when the record
   * exists again by then (written concurrently), so the index never misses a record.
   */
  async #removeFromIndex(key: RecordKey): Promise<void> {
    if (!this.#index || key.kind !== 'credentials') return;
    await this.#call('index', key, Promise.all([
      this.#send().srem(this.#keys.providerIndexKey(key.kind, key.provider), encodeKeyPart(key.subject)),
      this.#send().srem(this.#keys.subjectIndexKey(key.kind, key.subject), encodeKeyPart(key.provider)),
    ]));
    if ((await this.#call('index', key, this.#send().exists(this.#keys.recordKey(key)))) > 0) {
      await this.#call('index', key, this.#addToIndex(key));
    }
  }

  /**
   * Delete a record (`DEL`, or a compare-and-delete script with `ifVersion`).
   * @returns whether it existed
   * @throws AuthManagerError `STORE_CONFLICT` when `options.ifVersion` is given and does not match
   *   the stored version (or the record is absent)
   * @throws AuthManagerError `STORE_UNAVAILABLE` when Redis fails or cannot be reached
   */
  async delete(key: RecordKey, options: DeleteOptions = {}): Promise<boolean> {
    const recordKey = this.#keys.recordKey(key);
    const { ifVersion } = options;
    if (ifVersion === undefined) {
      const existed = (await this.#call('delete', key, this.#send().del(recordKey))) > 0;
      await this.#removeFromIndex(key);
      await this.#removeFromDue(key);
      return existed;
    }
    const reply = await this.#call('delete', key, this.#eval(DELETE_IF_VERSION_SCRIPT, [recordKey], [String(ifVersion)]));
    const [ok, version] = reply as [number, number];
    if (ok !== 1) throw conflict(key, ifVersion, version);
    await this.#removeFromIndex(key);
    await this.#removeFromDue(key);
    return true;
  }

  /**
   * Read and delete a record in one script: of concurrent takes of one key exactly one gets it.
   * @returns the record, or `undefined` when absent or expired
   * @throws AuthManagerError `STORE_UNAVAILABLE` when Redis fails or cannot be reached (the record
   *   may then be gone: a take is not retried)
   */
  async take(key: RecordKey): Promise<StoredRecord | undefined> {
    const reply = await this.#call('take', key, this.#eval(TAKE_SCRIPT, [this.#keys.recordKey(key)], []));
    if (reply === null) return undefined;
    await this.#removeFromIndex(key);
    await this.#removeFromDue(key);
    const [format, stored] = reply as [number, string];
    return toRecord(key, format === 2 ? stored : legacyToCurrent(stored));
  }

  /**
   * Keys of live records of `filter.kind`, optionally of one provider and/or subject, in no order,
   * each once. With both `provider` and `subject` it is a single `EXISTS`. With the
   * {@link RedisCredentialStoreOptions.index} on, `credentials` of one provider or one subject are
   * read from the index (`SSCAN`, then one pipelined `EXISTS` per entry): O(result). Otherwise it
   * walks the keyspace with `SCAN … MATCH` (every master of a Cluster), O(keys in the database);
   * the next page is requested while the caller consumes the current one (at most one page ahead).
   * Keys seen are remembered for de-duplication, so memory grows with the number of matching
   * records. A record written or deleted during the walk may or may not be listed.
   * @throws AuthManagerError `STORE_UNAVAILABLE` when Redis fails or cannot be reached, or a page
   *   (one `SCAN`) has no reply within `commandTimeoutMs`
   */
  async *list(filter: ListFilter): AsyncIterable<RecordKey> {
    const { kind, provider, subject } = filter;
    if (provider !== undefined && subject !== undefined) {
      const key: RecordKey = { kind, provider, subject };
      const exists = await this.#call('list', key, this.#send().exists(this.#keys.recordKey(key)));
      if (exists > 0) yield key;
      return;
    }
    if (this.#index && kind === 'credentials' && (provider !== undefined || subject !== undefined)) {
      yield* this.#listIndexed(kind, provider, subject);
      return;
    }
    const pattern = this.#keys.scanPattern(filter);
    // Keys of one provider start with `<head><provider>:`: only the subject is left to decode.
    const head = provider === undefined ? this.#keys.recordKeyHead(kind) : this.#keys.providerKeyHead(kind, provider);
    const seen = new Set<string>();
    for (const node of await this.#scanNodes()) {
      let pending = this.#scanPage(node, '0', pattern);
      for (;;) {
        const [cursor, redisKeys] = await pending;
        // The next page is on its way while this one is parsed and consumed. With auto-pipelining
        // ioredis writes it from a process.nextTick callback, queued once the pipeline of the page
        // just received has finished; nextTick callbacks run only when the microtask queue is
        // empty, which without a pause would be after this whole page had been consumed.
        const next = cursor === '0' ? undefined : this.#scanPage(node, cursor, pattern);
        if (next !== undefined) await setImmediatePromise();
        // Parse and filter the whole page, then yield its keys.
        const page: RecordKey[] = [];
        for (const redisKey of redisKeys) {
          if (!redisKey.startsWith(head)) continue;
          let key: RecordKey | undefined;
          if (provider !== undefined) {
            // One provider: the subject identifies the key, and is shorter to hash and keep.
            key = this.#keys.parseRecordKeyOfProvider(redisKey, kind, provider, head.length);
            if (key === undefined) continue;
            const size = seen.size;
            if (seen.add(key.subject).size === size) continue; // seen before
          } else {
            const size = seen.size;
            if (seen.add(redisKey).size === size) continue;
            key = this.#keys.parseRecordKeyOfKind(redisKey, kind, head.length);
            if (key === undefined || (subject !== undefined && key.subject !== subject)) continue;
          }
          page.push(key);
        }
        for (const key of page) yield key;
        if (next === undefined) break;
        pending = next;
      }
    }
  }

  /**
   * One `SCAN … MATCH pattern COUNT 500` page of `node`. Issued ahead of its use (while the page
   * before is consumed), so a failure is marked handled here, in case the caller stops iterating
   * before it awaits this page; it still rejects for the caller who does.
   */
  #scanPage(node: Redis, cursor: string, pattern: string): Promise<[cursor: string, keys: string[]]> {
    const page = this.#call('list', undefined, node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_PAGE));
    page.catch(() => {});
    return page;
  }

  /** `list` of one provider's or one subject's credentials from the index. */
  async *#listIndexed(kind: RecordKind, provider: string | undefined, subject: string | undefined): AsyncIterable<RecordKey> {
    const indexKey = provider !== undefined ? this.#keys.providerIndexKey(kind, provider) : this.#keys.subjectIndexKey(kind, subject!);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, members] = await this.#call('list', undefined, this.#send().sscan(indexKey, cursor, 'COUNT', SCAN_PAGE));
      cursor = next;
      const keys: RecordKey[] = [];
      for (const member of members) {
        if (seen.has(member)) continue;
        seen.add(member);
        const other = decodeOrUndefined(member);
        if (other === undefined) continue;
        keys.push(provider !== undefined ? { kind, provider, subject: other } : { kind, provider: other, subject: subject! });
      }
      const exists = await this.#call('list', undefined, Promise.all(keys.map((key) => this.#send().exists(this.#keys.recordKey(key)))));
      const page: RecordKey[] = [];
      const gone: RecordKey[] = [];
      keys.forEach((key, i) => { (exists[i]! > 0 ? page : gone).push(key); });
      for (const key of page) yield key;
      // Entries of records that expired: removed as a delete removes them (and put back if written meanwhile).
      for (const key of gone) await this.#removeFromIndex(key);
    } while (cursor !== '0');
  }

  /**
   * Adds every `credentials` record to the index ({@link RedisCredentialStoreOptions.index}): run it
   * once after turning the index on for a store that already holds records. Walks the keyspace
   * with `SCAN` (every master of a Cluster); safe to run while the store is in use, and again.
   * @returns the number of records indexed
   * @throws AuthManagerError `CONFIGURATION` when the store was created without `index: true`
   * @throws AuthManagerError `STORE_UNAVAILABLE` when Redis fails or cannot be reached
   */
  async buildIndex(): Promise<number> {
    if (!this.#index) throw new AuthManagerError(ErrorCode.CONFIGURATION, 'RedisCredentialStore.buildIndex needs the store created with index: true');
    let count = 0;
    let batch: Promise<unknown>[] = [];
    for await (const key of this.list({ kind: 'credentials' })) {
      batch.push(this.#addToIndex(key));
      count += 1;
      if (batch.length >= SCAN_PAGE) {
        await this.#call('index', undefined, Promise.all(batch));
        batch = [];
      }
    }
    await this.#call('index', undefined, Promise.all(batch));
    return count;
  }

  /**
   * Take the cross-process lock of `key`: `SET <lock key> <random token> NX PX ttlMs`, retried with
   * a doubling, jittered pause (from `lockRetryDelayMs`) until `waitMs` has passed. The lock
   * expires by itself after `ttlMs`; `release()` deletes it only while this token still owns it;
   * `renew()` sets its expiry to `ttlMs` from now only while this token still owns it (a script
   * comparing the token, then `PEXPIRE`), and returns `false` when it expired or another owner
   * took it. Each attempt, `release()` and `renew()` has the `commandTimeoutMs` deadline, so
   * `lock` ends within `waitMs + commandTimeoutMs`.
   * @param options - `ttlMs`: lifetime in milliseconds (> 0, rounded up); `waitMs`: how long to
   *   keep trying in milliseconds (0 = one attempt)
   * @returns the held lock, with `renew` (always present here)
   * @throws AuthManagerError `LOCK_TIMEOUT` when the lock is still held by another owner after `waitMs`
   * @throws AuthManagerError `STORE_UNAVAILABLE` when Redis fails, cannot be reached or has not
   *   replied within `commandTimeoutMs` (also from `release()` and `renew()`)
   * @throws RangeError when `ttlMs` is not a positive finite number or `waitMs` is negative or not finite
   */
  async lock(key: RecordKey, options: LockOptions): Promise<Required<StoreLock>> {
    const lockKey = this.#keys.lockKey(key);
    const token = randomBytes(16).toString('base64url');
    const ttlArg = String(Math.ceil(options.ttlMs));
    await retryLock(key, options, this.#lockRetryDelayMs,
      async () => (await this.#call('lock', key, this.#send().set(lockKey, token, 'PX', ttlArg, 'NX'))) === 'OK');
    return {
      token,
      release: async () => {
        await this.#call('lock release', key, this.#eval(RELEASE_LOCK_SCRIPT, [lockKey], [token, this.#releaseChannel]));
      },
      renew: async () =>
        (await this.#call('lock renew', key, this.#eval(RENEW_LOCK_SCRIPT, [lockKey], [token, ttlArg]))) === 1,
    };
  }

  /**
   * Wait until the lock of `key` is released by its holder or has expired, without taking it: a
   * process waiting for another's refresh re-reads the record as soon as it lands.
   *
   * `release()` publishes the lock key on the channel `<prefix>lock-released` (regular pub/sub,
   * so on a Cluster a subscriber on any node hears it). The first call opens one subscriber
   * connection per store (`duplicate()` of the store's connection, also of an ioredis instance you
   * passed in; closed by {@link RedisCredentialStore.close}) and keeps it. Each call checks the lock
   * with `PTTL` after subscribing, so a release just before the call is not missed, and again when
   * the lock's own expiry is due (a crashed holder) or, as a fallback for lost messages (a
   * reconnecting subscriber, pub/sub not permitted), every 25 ms doubling to 200 ms while
   * unsubscribed and up to once a second while subscribed.
   * @param key - the record whose lock is awaited
   * @param timeoutMs - the longest wait in milliseconds (0: one check)
   * @returns `true` when the lock is free (released, expired or never held), `false` when it is
   *   still held after `timeoutMs`
   * @throws AuthManagerError `STORE_UNAVAILABLE` when a `PTTL` check fails or gets no reply within
   *   `commandTimeoutMs`
   * @throws RangeError when `timeoutMs` is negative or not finite
   */
  async lockReleased(key: RecordKey, timeoutMs: number): Promise<boolean> {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new RangeError('timeoutMs must be a non-negative number of milliseconds');
    const lockKey = this.#keys.lockKey(key);
    const deadline = performance.now() + timeoutMs;
    let released = false;
    let wake: (() => void) | undefined;
    const onRelease = (): void => { released = true; wake?.(); };
    let waiters = this.#releaseWaiters.get(lockKey);
    if (waiters === undefined) this.#releaseWaiters.set(lockKey, (waiters = new Set()));
    waiters.add(onRelease);
    try {
      const subscribed = await this.#subscribe();
      let pollMs = subscribed ? 200 : this.#lockRetryDelayMs;
      const maxPollMs = subscribed ? SUBSCRIBED_POLL_MAX_MS : Math.max(200, this.#lockRetryDelayMs);
      for (;;) {
        if (released) return true;
        const pttl = await this.#call('lock wait', key, this.#send().pttl(lockKey));
        if (released || pttl === -2) return true;
        const remainingMs = deadline - performance.now();
        if (remainingMs <= 0) return false;
        // The release message, the lock's own expiry (+1 ms) or the next poll, whichever comes first.
        const waitMs = Math.min(remainingMs, pttl >= 0 ? pttl + 1 : Infinity, pollMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.ceil(waitMs));
          wake = () => { clearTimeout(timer); resolve(); };
        });
        wake = undefined;
        pollMs = Math.min(maxPollMs, pollMs * 2);
      }
    } finally {
      waiters.delete(onRelease);
      if (waiters.size === 0 && this.#releaseWaiters.get(lockKey) === waiters) this.#releaseWaiters.delete(lockKey);
    }
  }

  /** Opens the shared subscriber once; @returns whether it is subscribed to the release channel */
  #subscribe(): Promise<boolean> {
    if (this.#subscribed !== undefined) return this.#subscribed;
    if (this.#closed) return Promise.resolve(false);
    const subscriber = this.#redis.duplicate();
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, lockKey: string) => {
      if (channel !== this.#releaseChannel) return;
      const waiters = this.#releaseWaiters.get(lockKey);
      if (waiters !== undefined) for (const onRelease of [...waiters]) onRelease();
    });
    this.#subscriber = subscriber;
    const subscribing = subscriber.subscribe(this.#releaseChannel).then(() => true, () => false);
    this.#subscribed = this.#withDeadline(subscribing).then((ok) => {
      if (!ok) {
        // Pub/sub unavailable (or slow): wait by polling; the next call tries again.
        this.#subscribed = undefined;
        this.#subscriber = undefined;
        subscriber.disconnect();
      }
      return ok;
    });
    return this.#subscribed;
  }

  /** `pending`, or `false` when it has not settled within `commandTimeoutMs` (never rejects). */
  #withDeadline(pending: Promise<boolean>): Promise<boolean> {
    if (this.#commandTimeoutMs === 0) return pending;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#commandTimeoutMs, false);
      void pending.then((ok) => { clearTimeout(timer); resolve(ok); });
    });
  }

  /**
   * Close the connection if the store opened it (a URL was given); an ioredis instance you passed
   * in stays open. The subscriber connection of {@link RedisCredentialStore.lockReleased} is always
   * closed. Idempotent.
   */
  async close(): Promise<void> {
    this.#readBatch?.flush();
    this.#writeBatch?.flush();
    if (this.#closed) return;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#subscribed = Promise.resolve(false);
    subscriber?.disconnect();
    if (!this.#owned) {
      this.#closed = true;
      return;
    }
    this.#closed = true;
    const redis = this.#redis as Redis;
    if (redis.status === 'ready') {
      await redis.quit().catch(() => redis.disconnect());
    } else {
      redis.disconnect();
    }
  }

  /** The nodes to SCAN: the connection itself, or every master of a Cluster. */
  async #scanNodes(): Promise<Redis[]> {
    this.#readBatch?.flush();
    this.#writeBatch?.flush();
    if (!this.#redis.isCluster) return [this.#redis as Redis];
    const cluster = this.#redis as Cluster;
    // Until the cluster has loaded its slot map it knows no nodes; a keyless command waits for that.
    if (cluster.status !== 'ready') await this.#call('list', undefined, cluster.ping());
    const masters = cluster.nodes('master');
    if (masters.length === 0) {
      throw new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, 'Redis credential store failed during list: the cluster has no master nodes');
    }
    return masters;
  }

  /**
   * The connection, for a command about to be sent: the writes batched so far go first, so that
   * the store's commands reach Redis in the order they were made.
   */
  #send(): Redis | Cluster {
    this.#readBatch?.flush();
    this.#writeBatch?.flush();
    return this.#redis;
  }

  /**
   * `EVALSHA` of `script`; after a `NOSCRIPT` reply (a server that has not seen it yet), `EVAL`.
   * @param now - write it to the connection now (standalone: see {@link #sendNow})
   */
  #eval(script: LuaScript, keys: readonly string[], args: readonly string[], now = false): Promise<unknown> {
    const sending = now
      ? this.#sendNow('evalsha', [script.sha, keys.length, ...keys, ...args])
      : this.#send().evalsha(script.sha, keys.length, ...keys, ...args);
    return sending.catch((err: unknown) => {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.#send().eval(script.lua, keys.length, ...keys, ...args);
    });
  }

  /**
   * `command` written to the connection now (standalone), rather than in ioredis' auto-pipeline at
   * the next `setImmediate`; through the auto-pipeline when commands already wait there, which it
   * must not overtake.
   */
  #sendNow(name: string, args: (string | number)[]): Promise<unknown> {
    const redis = this.#redis as Redis;
    if (redis.autoPipelineQueueSize > 0) return redis.call(name, ...args);
    const command = new Command(name, args, { replyEncoding: 'utf8' });
    void redis.sendCommand(command);
    return command.promise;
  }

  /**
   * `pending` (the call's command, just issued), raced against the call's deadline,
   * `commandTimeoutMs` from now (one timer shared by all calls in flight: {@link CallDeadlines}).
   * Either way a failure becomes `STORE_UNAVAILABLE`. A command that loses the race is left to
   * ioredis; its late reply is ignored.
   */
  #call<T>(operation: Operation, key: RecordKey | undefined, pending: Promise<T>): Promise<T> {
    const deadlines = this.#deadlines;
    if (deadlines === undefined) {
      return pending.catch((err: unknown) => { throw unavailable(operation, key, err); });
    }
    return deadlines.watch(pending, { operation, key }, failedCall);
  }
}

/** What a call was doing, kept with its deadline. */
interface CallContext { readonly operation: Operation; readonly key: RecordKey | undefined }

function failedCall(err: unknown, { operation, key }: CallContext): AuthManagerError {
  return unavailable(operation, key, err);
}

function failedDuring(operation: Operation, key: RecordKey | undefined): string {
  return `Redis credential store failed during ${operation}${key ? ` of a ${key.kind} record for provider "${key.provider}"` : ''}`;
}

function unavailable(operation: Operation, key: RecordKey | undefined, err: unknown): AuthManagerError {
  return new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, failedDuring(operation, key),
    { cause: redactedCause(err), ...(key ? { provider: key.provider } : {}) });
}

/** The error of a call that has no reply `timeoutMs` after it was made. */
function noReply({ operation, key }: CallContext, timeoutMs: number): AuthManagerError {
  const cause = new Error(`no reply from Redis within ${timeoutMs} ms of the call`);
  cause.name = 'TimeoutError';
  return new AuthManagerError(ErrorCode.STORE_UNAVAILABLE, `${failedDuring(operation, key)}: no reply within ${timeoutMs} ms`,
    { cause, ...(key ? { provider: key.provider } : {}) });
}

/** Write ids: 9 random bytes each (12 base64url characters), drawn from a pool refilled 1024 at a time. */
const writeIdPool = Buffer.alloc(9 * 1024);
let writeIdOffset = writeIdPool.length;

/**
 * A fresh random write id. One `randomFillSync` per 1024 writes instead of a `randomBytes` call per
 * write (which cost about a third of a write's client time). The ids need to be unique, not secret.
 */
function nextWriteId(): string {
  if (writeIdOffset === writeIdPool.length) {
    randomFillSync(writeIdPool);
    writeIdOffset = 0;
  }
  const start = writeIdOffset;
  writeIdOffset += 9;
  return writeIdPool.toString('base64url', start, writeIdOffset);
}

/** The entry of the only write of a write script call (see {@link writeReply}). */
function firstWriteReply(replies: unknown): unknown {
  return writeReply((replies as unknown[])[0]);
}

/** Parses a stored record, `<version>:<write id>:<value>`. */
function toRecord(key: RecordKey, stored: string | null): StoredRecord | undefined {
  if (stored === null) return undefined;
  const colon = stored.indexOf(':');
  const second = colon > 0 ? stored.indexOf(':', colon + 1) : -1;
  const version = second > 0 ? Number(stored.slice(0, colon)) : NaN;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new AuthManagerError(ErrorCode.INVALID_STORED_CREDENTIALS,
      `Malformed ${key.kind} record in Redis for provider "${key.provider}" (missing value or bad version)`,
      { provider: key.provider });
  }
  return { value: stored.slice(second + 1), version };
}

/** The `r` field of a record in the earlier hash format (`<version>:<value>`) in the current string form. */
function legacyToCurrent(record: string): string {
  const colon = record.indexOf(':');
  return colon < 0 ? record : `${record.slice(0, colon)}::${record.slice(colon + 1)}`;
}

function conflict(key: RecordKey, expected: number | null, found: number): AuthManagerError {
  return new AuthManagerError(
    ErrorCode.STORE_CONFLICT,
    `Write conflict on ${key.kind} record for provider "${key.provider}": expected ${expected === null ? 'no record' : `version ${expected}`}, found ${found === 0 ? 'no record' : `version ${found}`}`,
    { provider: key.provider },
  );
}

/**
 * A copy of an ioredis error with only name, message, stack and the network fields (`code`,
 * `errno`, `syscall`, `address`, `port`): ioredis attaches the failed command with its arguments
 * (`err.command.args`), which hold record values.
 */
function redactedCause(err: unknown): Error {
  if (!(err instanceof Error)) return new Error('non-Error failure from ioredis');
  const copy = new Error(err.message);
  copy.name = err.name;
  if (err.stack !== undefined) copy.stack = err.stack;
  const source = err as unknown as Record<string, unknown>;
  const target = copy as unknown as Record<string, unknown>;
  for (const field of ['code', 'errno', 'syscall', 'address', 'port']) {
    const value = source[field];
    if (typeof value === 'string' || typeof value === 'number') target[field] = value;
  }
  return copy;
}
