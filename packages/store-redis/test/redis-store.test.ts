import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type RecordKey } from '@authmanager/core';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCredentialStore } from '../src/index.js';
import { SET_SCRIPT } from '../src/luaScripts.js';

let server: RedisServerHandle;
let raw: Redis;
const stores: RedisCredentialStore[] = [];

/** A store on the shared test server with its own key prefix; closed after all tests. */
function newStore(keyPrefix = `t${randomBytes(4).toString('hex')}:`): RedisCredentialStore {
  const store = new RedisCredentialStore({ redis: server.url, keyPrefix });
  stores.push(store);
  return store;
}

function newKey(kind: RecordKey['kind'] = 'credentials'): RecordKey {
  return { kind, provider: 'notion', subject: `user-${randomBytes(6).toString('hex')}` };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return '<fulfilled>';
}

/** Every key that starts with `prefix` (SCAN). */
async function keysWithPrefix(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

/** The part of `key` Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

beforeAll(async () => {
  server = await startRedisServer({ args: ['--rename-command', 'KEYS', ''] });
  raw = new Redis(server.url);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  raw.disconnect();
  await server.stop();
});

describe('key schema', () => {
  it('stores a record as a string <prefix><kind>:{<provider>:<subject>} = <version>:<write id>:<value>', async () => {
    const store = newStore('schema-a:');
    await store.set({ kind: 'credentials', provider: 'notion', subject: 'user@example.com' }, 'the-value');
    await store.set({ kind: 'credentials', provider: 'notion', subject: 'user@example.com' }, 'the:value-2');
    const keys = await keysWithPrefix('schema-a:');
    const stored = await raw.get('schema-a:credentials:{notion:user@example.com}');
    expect({ keys, stored }).toEqual({
      keys: ['schema-a:credentials:{notion:user@example.com}'], stored: expect.stringMatching(/^2:[A-Za-z0-9_-]{12}:the:value-2$/),
    });
  });

  it('percent-encodes ":", "{", "}", NUL, "%" and non-ASCII in provider and subject', async () => {
    const store = newStore('schema-b:');
    await store.set({ kind: 'pending', provider: '*', subject: 'a:{b}\u0000%ü' }, 'x');
    expect(await keysWithPrefix('schema-b:')).toEqual(['schema-b:pending:{%2A:a%3A%7Bb%7D%00%25%C3%BC}']);
  });

  it('gives the record and lock keys of one record the same hash tag, braces in the subject notwithstanding', async () => {
    const store = newStore('schema-c:');
    const key: RecordKey = { kind: 'credentials', provider: 'git{hub}', subject: '}{x}:{' };
    await store.set(key, 'x');
    await store.lock(key, { ttlMs: 30_000, waitMs: 0 });
    const keys = await keysWithPrefix('schema-c:');
    expect({ count: keys.length, tags: new Set(keys.map(hashTagOf)).size, lock: keys.some((k) => k.startsWith('schema-c:lock:')) })
      .toEqual({ count: 2, tags: 1, lock: true });
  });

  it('rejects a keyPrefix with braces (it would move the hash tag) with CONFIGURATION', () => {
    let error: unknown;
    try {
      new RedisCredentialStore({ redis: raw, keyPrefix: 'app{1}:' });
    } catch (err) {
      error = err;
    }
    expect(AuthManagerError.is(error, 'CONFIGURATION')).toBe(true);
  });

  it('rejects an ioredis instance with its own keyPrefix with CONFIGURATION', () => {
    const prefixed = new Redis(server.url, { keyPrefix: 'x:', lazyConnect: true });
    let error: unknown;
    try {
      new RedisCredentialStore({ redis: prefixed });
    } catch (err) {
      error = err;
    }
    prefixed.disconnect();
    expect(AuthManagerError.is(error, 'CONFIGURATION')).toBe(true);
  });
});

describe('server-side expiry and atomic writes', () => {
  it('turns ttlMs into a PX expiry on the record key', async () => {
    const store = newStore('ttl-a:');
    await store.set({ kind: 'pending', provider: '*', subject: 'abc' }, 'x', { ttlMs: 10_000 });
    const pttl = await raw.pttl('ttl-a:pending:{%2A:abc}');
    expect(pttl > 9000 && pttl <= 10_000).toBe(true);
  });

  it('removes the expiry when the record is rewritten without ttlMs', async () => {
    const store = newStore('ttl-b:');
    const key: RecordKey = { kind: 'pending', provider: '*', subject: 'abc' };
    await store.set(key, 'x', { ttlMs: 10_000 });
    await store.set(key, 'y');
    expect(await raw.pttl('ttl-b:pending:{%2A:abc}')).toBe(-1);
  });

  it('applies a write that ioredis resends after a dropped connection only once (same write id)', async () => {
    const key = 'resend:credentials:{p:s}';
    const args = ['value', 'version', '1', '', 'write-id-1', '-', ''];
    await raw.set(key, '1:other:old');
    const first = await raw.eval(SET_SCRIPT.lua, 1, key, ...args);
    const resent = await raw.eval(SET_SCRIPT.lua, 1, key, ...args);
    const other = await raw.eval(SET_SCRIPT.lua, 1, key, 'value', 'version', '1', '', 'write-id-2', '-', '');
    expect({ first, resent, other, stored: await raw.get(key) }).toEqual({
      first: [2], resent: [2], other: [-2], stored: '2:write-id-1:value',
    });
  });
});

/** `EVALSHA` calls the server has run so far (INFO commandstats). */
async function evalshaCalls(): Promise<number> {
  const match = /cmdstat_evalsha:calls=(\d+)/.exec(await raw.info('commandstats'));
  return match ? Number(match[1]) : 0;
}

// Writes made in the same tick go to Redis as one call of the write script (WriteBatch); each
// must still get exactly the result it would get alone, in the order the writes were made.
describe('writes of one tick, batched into one script call', () => {
  const outcomes: Record<string, unknown> = {};
  let scriptCalls = 0;
  let stored: Record<string, string | undefined> = {};

  beforeAll(async () => {
    const store = newStore('batch:');
    const key = (subject: string): RecordKey => ({ kind: 'credentials', provider: 'notion', subject });
    await store.set(key('cas'), 'v1');
    await raw.rpush('batch:credentials:{notion:not-a-record}', 'x');
    const before = await evalshaCalls();
    const outcome = (name: string, write: Promise<{ version: number }>): Promise<void> => write.then(
      (record) => { outcomes[name] = record.version; },
      (err: unknown) => { outcomes[name] = AuthManagerError.is(err) ? err.code : String(err); },
    );
    await Promise.all([
      outcome('same key, first', store.set(key('twice'), 'a')),
      outcome('same key, second', store.set(key('twice'), 'b')),
      outcome('compare-and-set, matching', store.set(key('cas'), 'v2', { ifVersion: 1 })),
      outcome('compare-and-set, stale', store.set(key('cas'), 'v2-stale', { ifVersion: 1 })),
      outcome('not a record', store.set(key('not-a-record'), 'y')),
      outcome('create-only', store.set(key('new'), 'n', { ifVersion: null })),
    ]);
    scriptCalls = (await evalshaCalls()) - before;
    const [, readInSameTick] = await Promise.all([store.set(key('order'), 'written'), store.get(key('order'))]);
    outcomes['get made right after a set, same tick'] = readInSameTick?.value;
    stored = {
      twice: (await store.get(key('twice')))?.value,
      cas: (await store.get(key('cas')))?.value,
      new: (await store.get(key('new')))?.value,
    };
  });

  it('sends them as one script call', () => {
    expect(scriptCalls).toBe(1);
  });

  it('gives each write its own result, in call order', () => {
    expect(outcomes).toEqual({
      'same key, first': 1,
      'same key, second': 2,
      'compare-and-set, matching': 2,
      'compare-and-set, stale': 'STORE_CONFLICT',
      'not a record': 'STORE_UNAVAILABLE',
      'create-only': 1,
      'get made right after a set, same tick': 'written',
    });
  });

  it('stores what the successful writes wrote, and nothing of the refused ones', () => {
    expect(stored).toEqual({ twice: 'b', cas: 'v2', new: 'n' });
  });
});

/** Calls of `command` the server has run so far (INFO commandstats). */
async function commandCalls(command: string): Promise<number> {
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await raw.info('commandstats'));
  return match ? Number(match[1]) : 0;
}

// Reads made in the same tick go to Redis as one MGET (ReadBatch); MGET answers nil for a missing
// key and for one holding a hash (the earlier record format) alike, so those are read again alone.
describe('reads of one tick, batched into one MGET', () => {
  const key = (subject: string): RecordKey => ({ kind: 'credentials', provider: 'notion', subject });
  const outcomes: Record<string, unknown> = {};
  let calls: Record<string, number>;
  let fortyReads: { mget: number; values: (string | undefined)[] };

  beforeAll(async () => {
    const store = newStore('read-batch:');
    await store.set(key('present'), 'value-1');
    await store.set(key('twice-written'), 'value-2');
    await raw.hset('read-batch:credentials:{notion:hash-format}', 'v', '3', 'r', '3:old-format', 'w', 'id');
    await raw.set('read-batch:credentials:{notion:not-a-record}', 'no version here');
    const outcome = (name: string, read: Promise<{ value: string; version: number } | undefined>): Promise<void> => read.then(
      (record) => { outcomes[name] = record === undefined ? 'absent' : `${record.version}:${record.value}`; },
      (err: unknown) => { outcomes[name] = AuthManagerError.is(err) ? err.code : String(err); },
    );
    const before = { mget: await commandCalls('mget'), get: await commandCalls('get') };
    await Promise.all([
      outcome('present', store.get(key('present'))),
      outcome('absent', store.get(key('absent'))),
      outcome('hash format', store.get(key('hash-format'))),
      outcome('not a record', store.get(key('not-a-record'))),
      outcome('same key twice, first', store.get(key('twice-written'))),
      outcome('same key twice, second', store.get(key('twice-written'))),
    ]);
    calls = { mget: (await commandCalls('mget')) - before.mget, get: (await commandCalls('get')) - before.get };
    // A read made before a write in the same tick reads what was there; one made after reads the write.
    const [readBefore, , readAfter] = await Promise.all([store.get(key('present')), store.set(key('present'), 'value-3'), store.get(key('present'))]);
    outcomes['read before a write, same tick'] = readBefore?.value;
    outcomes['read after a write, same tick'] = readAfter?.value;
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.set(key(`r-${i}`), `v-${i}`)));
    const mget0 = await commandCalls('mget');
    const values = (await Promise.all(Array.from({ length: 40 }, (_, i) => store.get(key(`r-${i}`))))).map((record) => record?.value);
    fortyReads = { mget: (await commandCalls('mget')) - mget0, values };
  });

  it('sends them as one MGET, reading alone only the keys it answered nil for', () => {
    // The missing key and the hash-format record: one GET each (then HGET for the hash).
    expect(calls).toEqual({ mget: 1, get: 2 });
  });

  it('gives each read the result it would get alone', () => {
    expect(outcomes).toEqual({
      present: '1:value-1',
      absent: 'absent',
      'hash format': '3:old-format',
      'not a record': 'INVALID_STORED_CREDENTIALS',
      'same key twice, first': '1:value-2',
      'same key twice, second': '1:value-2',
      'read before a write, same tick': 'value-1',
      'read after a write, same tick': 'value-3',
    });
  });

  it('sends 40 reads as two MGETs of at most 32 keys', () => {
    expect(fortyReads).toEqual({ mget: 2, values: Array.from({ length: 40 }, (_, i) => `v-${i}`) });
  });
});

// A full batch (32 writes) is written to the connection at once, ahead of ioredis' auto-pipeline,
// but never ahead of a command already waiting there.
describe('a tick with more writes than one batch holds', () => {
  const key = (subject: string): RecordKey => ({ kind: 'credentials', provider: 'notion', subject });
  let calls: { alone: number; afterRead: number };
  let versions: number[];
  let readFirst: string | undefined;
  let stored: (string | undefined)[];

  beforeAll(async () => {
    const store = newStore('full-batch:');
    const calls0 = await evalshaCalls();
    const written = await Promise.all(Array.from({ length: 40 }, (_, i) => store.set(key(`s-${i}`), `v-${i}`)));
    versions = written.map((record) => record.version);
    const calls1 = await evalshaCalls();
    await store.set(key('read-first'), 'old');
    const calls2 = await evalshaCalls();
    // The read waits in the auto-pipeline; the 32 writes after it fill a batch.
    const reading = store.get(key('read-first'));
    const writes = [store.set(key('read-first'), 'new'), ...Array.from({ length: 31 }, (_, i) => store.set(key(`t-${i}`), 'x'))];
    readFirst = (await reading)?.value;
    await Promise.all(writes);
    calls = { alone: calls1 - calls0, afterRead: (await evalshaCalls()) - calls2 };
    stored = await Promise.all([key('s-0'), key('s-31'), key('s-32'), key('s-39'), key('read-first')].map(async (k) => (await store.get(k))?.value));
  });

  it('sends 40 writes as two script calls, each write with its own result', () => {
    expect({ calls: calls.alone, versions }).toEqual({ calls: 2, versions: Array.from({ length: 40 }, () => 1) });
    expect(stored.slice(0, 4)).toEqual(['v-0', 'v-31', 'v-32', 'v-39']);
  });

  it('does not send a full batch ahead of a read made before it', () => {
    expect({ readFirst, calls: calls.afterRead, now: stored[4] }).toEqual({ readFirst: 'old', calls: 1, now: 'new' });
  });
});

// list fetches the next SCAN page while the caller consumes the current one; that page may fail
// after the caller has stopped iterating, and must not become an unhandled rejection.
describe('list: the page fetched ahead', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
  let stoppedEarly: { first: number; unhandled: number };
  let readOn: unknown;

  /** A store on an instance whose every SCAN after the first fails (fault injection). */
  function storeWithFailingSecondScan(instance: Redis): RedisCredentialStore {
    const realScan = instance.scan.bind(instance) as (...args: unknown[]) => Promise<unknown>;
    let scans = 0;
    (instance as unknown as { scan: (...args: unknown[]) => Promise<unknown> }).scan = (...args) =>
      (scans++ === 0 ? realScan(...args) : sleep(20).then(() => { throw new Error('injected SCAN failure'); }));
    return new RedisCredentialStore({ redis: instance, keyPrefix: 'ahead:' });
  }

  beforeAll(async () => {
    const writer = newStore('ahead:');
    await Promise.all(Array.from({ length: 2000 }, (_, i) => writer.set({ kind: 'credentials', provider: 'p', subject: `s${i}` }, 'x')));
    process.on('unhandledRejection', onUnhandled);
    const early = new Redis(server.url);
    let first = 0;
    for await (const _ of storeWithFailingSecondScan(early).list({ kind: 'credentials', provider: 'p' })) {
      first += 1;
      break;
    }
    await sleep(100); // the injected failure lands meanwhile
    stoppedEarly = { first, unhandled: unhandled.length };
    early.disconnect();
    const reading = new Redis(server.url);
    readOn = await rejectionOf((async () => {
      for await (const _ of storeWithFailingSecondScan(reading).list({ kind: 'credentials', provider: 'p' })) { /* drain */ }
    })());
    reading.disconnect();
    process.off('unhandledRejection', onUnhandled);
  });

  it('leaves no unhandled rejection when the caller stopped before the page failed', () => {
    expect(stoppedEarly).toEqual({ first: 1, unhandled: 0 });
  });

  it('fails a caller who reads on with STORE_UNAVAILABLE', () => {
    expect(AuthManagerError.is(readOn, 'STORE_UNAVAILABLE')).toBe(true);
  });
});

describe('no KEYS command', () => {
  it('runs every operation without KEYS (seen with MONITOR), and list uses SCAN', async () => {
    const monitor = await raw.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => { commands.push(String(args[0]).toLowerCase()); });
    const store = newStore('monitor:');
    const key = newKey();
    await store.set(key, 'x');
    await store.set(key, 'y', { ifVersion: 1 });
    await store.get(key);
    for await (const _ of store.list({ kind: 'credentials' })) { /* drain */ }
    for await (const _ of store.list({ kind: 'credentials', provider: key.provider })) { /* drain */ }
    for await (const _ of store.list({ kind: 'credentials', subject: key.subject })) { /* drain */ }
    const held = await store.lock(key, { ttlMs: 1000, waitMs: 0 });
    await held.release();
    await store.take(key);
    await store.delete(key);
    await sleep(100);
    monitor.disconnect();
    expect({ keys: commands.includes('keys'), scan: commands.includes('scan'), evalsha: commands.includes('evalsha') })
      .toEqual({ keys: false, scan: true, evalsha: true });
  });
});

describe('concurrency across connections', () => {
  it('gives a record to exactly one of two takes from two processes, 50 times', async () => {
    const a = newStore('race:');
    const b = newStore('race:');
    const winners: number[] = [];
    for (let i = 0; i < 50; i++) {
      const key = newKey('pending');
      await a.set(key, `state-${i}`);
      const [x, y] = await Promise.all([a.take(key), b.take(key)]);
      winners.push(Number(x !== undefined) + Number(y !== undefined));
    }
    expect(winners).toEqual(Array.from({ length: 50 }, () => 1));
  });

  it('lets exactly one of two processes win a compare-and-set on the same version', async () => {
    const a = newStore('cas:');
    const b = newStore('cas:');
    const key = newKey();
    await a.set(key, 'v1');
    const outcomes = await Promise.allSettled([a.set(key, 'from-a', { ifVersion: 1 }), b.set(key, 'from-b', { ifVersion: 1 })]);
    const won = outcomes.filter((o) => o.status === 'fulfilled').length;
    const conflicts = outcomes.filter((o) => o.status === 'rejected' && AuthManagerError.is(o.reason, 'STORE_CONFLICT')).length;
    expect({ won, conflicts, version: (await a.get(key))?.version }).toEqual({ won: 1, conflicts: 1, version: 2 });
  });

  it('frees a lock after ttlMs when its owner died without releasing it', async () => {
    const owner = newStore('lock-death:');
    const other = newStore('lock-death:');
    const key = newKey();
    await owner.lock(key, { ttlMs: 400, waitMs: 0 });
    await owner.close(); // the owner's process is gone; the lock was never released
    const whileHeld = await rejectionOf(other.lock(key, { ttlMs: 5000, waitMs: 0 }));
    const started = Date.now();
    const taken = await other.lock(key, { ttlMs: 5000, waitMs: 3000 });
    const waitedMs = Date.now() - started;
    await taken.release();
    expect({
      whileHeld: AuthManagerError.is(whileHeld, 'LOCK_TIMEOUT'),
      afterExpiry: typeof taken.token,
      waitedForExpiry: waitedMs >= 250 && waitedMs < 2000,
    }).toEqual({ whileHeld: true, afterExpiry: 'string', waitedForExpiry: true });
  });
});

describe('lock renewal', () => {
  /** The lock key of `key` under `prefix` (found with SCAN, so the test does not restate the schema). */
  async function lockKeyOf(prefix: string): Promise<string> {
    const keys = (await keysWithPrefix(prefix)).filter((k) => k.startsWith(`${prefix}lock:`));
    if (keys.length !== 1) throw new Error(`expected one lock key under ${prefix}, found ${keys.length}`);
    return keys[0] as string;
  }

  it('keeps another owner out past the original ttlMs, and sets the expiry to ttlMs from the renewal', async () => {
    const owner = newStore('renew-a:');
    const other = newStore('renew-a:');
    const key = newKey();
    const lock = await owner.lock(key, { ttlMs: 600, waitMs: 0 });
    await sleep(400);
    const renewed = await lock.renew();
    const pttlAfterRenewMs = await raw.pttl(await lockKeyOf('renew-a:'));
    await sleep(400); // 800 ms after the lock was taken: past its original 600 ms
    const pastOriginalTtl = await rejectionOf(other.lock(key, { ttlMs: 5000, waitMs: 0 }));
    await lock.release();
    expect({
      renewed,
      pttlResetToTtl: pttlAfterRenewMs > 450 && pttlAfterRenewMs <= 600,
      otherKeptOut: AuthManagerError.is(pastOriginalTtl, 'LOCK_TIMEOUT'),
    }).toEqual({ renewed: true, pttlResetToTtl: true, otherKeptOut: true });
  });

  it('returns false after the lock expired and another owner took it, and leaves the new owner\'s lock alone', async () => {
    const owner = newStore('renew-b:');
    const other = newStore('renew-b:');
    const key = newKey();
    const lock = await owner.lock(key, { ttlMs: 200, waitMs: 0 });
    await sleep(300);
    const takenOver = await other.lock(key, { ttlMs: 2000, waitMs: 0 });
    const lockKey = await lockKeyOf('renew-b:');
    const pttlBeforeMs = await raw.pttl(lockKey);
    await sleep(100);
    const renewed = await lock.renew();
    const holder = await raw.get(lockKey);
    const pttlAfterMs = await raw.pttl(lockKey);
    await takenOver.release();
    expect({ renewed, holder: holder === takenOver.token, notExtended: pttlAfterMs <= pttlBeforeMs - 50 })
      .toEqual({ renewed: false, holder: true, notExtended: true });
  });

  it('returns false after the lock expired with no new owner, and does not bring it back', async () => {
    const owner = newStore('renew-c:');
    const key = newKey();
    const lock = await owner.lock(key, { ttlMs: 150, waitMs: 0 });
    await sleep(250);
    const renewed = await lock.renew();
    const lockKeys = (await keysWithPrefix('renew-c:')).filter((k) => k.startsWith('renew-c:lock:'));
    expect({ renewed, lockKeys }).toEqual({ renewed: false, lockKeys: [] });
  });

  it('returns false after the owner released the lock', async () => {
    const owner = newStore('renew-d:');
    const lock = await owner.lock(newKey(), { ttlMs: 5000, waitMs: 0 });
    await lock.release();
    expect(await lock.renew()).toBe(false);
  });
});

describe('connection ownership', () => {
  it('leaves a caller-owned ioredis instance open on close()', async () => {
    const redis = new Redis(server.url);
    const store = new RedisCredentialStore({ redis, keyPrefix: 'owned:' });
    await store.close();
    const pong = await redis.ping();
    redis.disconnect();
    expect(pong).toBe('PONG');
  });

  it('closes the connection it opened from a URL', async () => {
    const store = new RedisCredentialStore({ redis: server.url, keyPrefix: 'owned:' });
    await store.get(newKey());
    await store.close();
    const err = await rejectionOf(store.get(newKey()));
    expect(AuthManagerError.is(err, 'STORE_UNAVAILABLE')).toBe(true);
  });
});

describe('failures', () => {
  it('reports a Redis error as STORE_UNAVAILABLE without the value anywhere in the error', async () => {
    const store = newStore('wrongtype:');
    const key: RecordKey = { kind: 'credentials', provider: 'notion', subject: 'broken' };
    await raw.rpush('wrongtype:credentials:{notion:broken}', 'not a record');
    const secret = `secret-${randomBytes(8).toString('hex')}`;
    const err = await rejectionOf(store.set(key, secret));
    const cause = AuthManagerError.is(err) ? (err.cause as Error & { command?: unknown }) : undefined;
    expect({
      code: AuthManagerError.is(err) ? err.code : err,
      causeMessage: cause?.message,
      causeCommand: cause?.command,
      leaks: inspect(err, { depth: Infinity, showHidden: true }).includes(secret) || JSON.stringify(err).includes(secret),
    }).toEqual({ code: 'STORE_UNAVAILABLE', causeMessage: expect.stringMatching(/WRONGTYPE/), causeCommand: undefined, leaks: false });
  });

  it('fails fast with STORE_UNAVAILABLE when nothing listens on the port', async () => {
    const down = await startRedisServer();
    const url = down.url;
    await down.stop();
    const store = new RedisCredentialStore({ redis: url });
    stores.push(store);
    const started = Date.now();
    const err = await rejectionOf(store.get(newKey()));
    expect({ code: AuthManagerError.is(err) ? err.code : err, bounded: Date.now() - started < 5000, cause: AuthManagerError.is(err) && err.cause instanceof Error })
      .toEqual({ code: 'STORE_UNAVAILABLE', bounded: true, cause: true });
  });
});

describe('server stopped and restarted', () => {
  let own: RedisServerHandle;
  let store: RedisCredentialStore;
  const secret = `secret-${randomBytes(8).toString('hex')}`;
  const key = newKey();
  let during: { error: unknown; elapsedMs: number };
  let recoveredAfterMs: number;
  let after: { written: number; read: string | undefined };

  beforeAll(async () => {
    own = await startRedisServer();
    store = new RedisCredentialStore({ redis: own.url });
    await store.set(key, 'before');
    await own.stop();
    const started = Date.now();
    during = { error: await rejectionOf(store.set(key, secret)), elapsedMs: Date.now() - started };
    await own.restart();
    const restarted = Date.now();
    for (;;) {
      try {
        await store.get(key);
        break;
      } catch (err) {
        if (Date.now() - restarted > 15_000) throw err;
        await sleep(100);
      }
    }
    recoveredAfterMs = Date.now() - restarted;
    const written = await store.set(key, 'after');
    after = { written: written.version, read: (await store.get(key))?.value };
  });
  afterAll(async () => {
    await store.close();
    await own.stop();
  });

  it('fails with STORE_UNAVAILABLE, with a cause, within a bounded time', () => {
    expect({
      code: AuthManagerError.is(during.error) ? during.error.code : during.error,
      cause: AuthManagerError.is(during.error) && during.error.cause instanceof Error,
      bounded: during.elapsedMs < 5000,
    }).toEqual({ code: 'STORE_UNAVAILABLE', cause: true, bounded: true });
  });

  it('does not put the value into the error', () => {
    const text = `${inspect(during.error, { depth: Infinity, showHidden: true })} ${JSON.stringify(during.error)}`;
    expect(text.includes(secret)).toBe(false);
  });

  it('recovers by itself once Redis is back (same store instance)', () => {
    // The restarted server is empty (--save ''), so the record starts again at version 1.
    expect({ recovered: recoveredAfterMs < 15_000, after }).toEqual({ recovered: true, after: { written: 1, read: 'after' } });
  });
});
