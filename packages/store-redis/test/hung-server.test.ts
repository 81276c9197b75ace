import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { AuthManagerError, type RecordKey, type StoreLock } from '@authmanager/core';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCredentialStore } from '../src/index.js';

/** How a store call ended, and how long after the call. `hung` = still pending after `capMs`. */
interface Outcome { readonly code: string; readonly elapsedMs: number }

/** Calls `call` now and reports its outcome; gives up waiting (code `hung`) after `capMs`. */
async function outcomeOf(call: () => Promise<unknown>, capMs = 3000): Promise<Outcome> {
  const started = performance.now();
  let cap: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    call().then(() => 'fulfilled', (err: unknown) => (AuthManagerError.is(err) ? err.code : `non-AuthManagerError: ${String(err)}`)),
    new Promise<string>((resolve) => { cap = setTimeout(resolve, capMs, 'hung'); }),
  ]);
  clearTimeout(cap);
  return { code, elapsedMs: performance.now() - started };
}

/** Polls `read` until it returns `expected` (or 10 s pass); returns whether it did. */
async function recovers(read: () => Promise<string | undefined>, expected: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await read().catch(() => undefined) === expected) return true;
    await sleep(100);
  }
  return false;
}

// A server that keeps the connection open but stops answering: `DEBUG SLEEP` blocks the real
// redis-server, the failure a socket error never reports.
describe('a hung Redis server (DEBUG SLEEP)', () => {
  let server: RedisServerHandle;
  beforeAll(async () => { server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] }); });
  afterAll(async () => { await server.stop(); });

  it('fails waiting commands with STORE_UNAVAILABLE after commandTimeoutMs, then recovers', async () => {
    const store = new RedisCredentialStore({ redis: server.url, commandTimeoutMs: 300 });
    const key = { kind: 'credentials', provider: 'p', subject: 'hung' } as const;
    await store.set(key, 'before');
    const admin = new Redis(server.url);
    const sleeping = admin.call('DEBUG', 'SLEEP', '2.5');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const err = await store.get(key).catch((e: unknown) => e);
    const waitedMs = Date.now() - started;
    expect(AuthManagerError.is(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect(waitedMs).toBeLessThan(2_400); // failed before the server woke up
    await sleeping;
    admin.disconnect();
    let value: string | undefined;
    for (let i = 0; i < 50 && value === undefined; i++) {
      value = await store.get(key).then((r) => r?.value, () => undefined);
      if (value === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(value).toBe('before');
    await store.close();
  }, 15_000);
});

// The review's finding: with auto-pipelining a new pipeline waits behind one still waiting for
// replies, and ioredis' `commandTimeout` starts only when a command is sent, so a call made while
// an earlier pipeline hangs waited up to twice commandTimeoutMs (and forever on a caller-owned
// connection without commandTimeout). Each call now has its own deadline, from the call.
describe('a frozen Redis server (SIGSTOP): each store call fails within its own deadline, measured from the call', () => {
  const DEADLINE_MS = 300;
  const SLACK_MS = 100;
  let server: RedisServerHandle;
  let given: Redis;
  let stores: { own: RedisCredentialStore; given: RedisCredentialStore };
  const key: RecordKey = { kind: 'credentials', provider: 'p', subject: 'frozen' };
  let first: Outcome;
  let reads: Outcome[];
  const calls: Record<'own' | 'given', Record<string, Outcome>> = { own: {}, given: {} };
  let recovered: { own: boolean; given: boolean };

  /** One call of every kind; `lock` is a lock taken before the freeze. */
  function everyCall(store: RedisCredentialStore, lock: Required<StoreLock>, n: string): Record<string, () => Promise<unknown>> {
    const other = (subject: string): RecordKey => ({ kind: 'credentials', provider: 'p', subject: `${n}-${subject}` });
    return {
      get: () => store.get(key),
      set: () => store.set(other('set'), 'v'),
      'set ifVersion': () => store.set(other('cas'), 'v', { ifVersion: 1 }),
      delete: () => store.delete(other('del')),
      'delete ifVersion': () => store.delete(other('del-cas'), { ifVersion: 1 }),
      take: () => store.take(other('take')),
      'list page (SCAN)': async () => { for await (const _ of store.list({ kind: 'credentials', provider: 'p' })) { /* drain */ } },
      'list (EXISTS)': async () => { for await (const _ of store.list({ kind: 'credentials', provider: 'p', subject: 'x' })) { /* drain */ } },
      lock: () => store.lock(other('lock'), { ttlMs: 10_000, waitMs: 0 }),
      release: () => lock.release(),
      renew: () => lock.renew(),
    };
  }

  beforeAll(async () => {
    server = await startRedisServer();
    // A caller-owned connection with no commandTimeout of its own: the store's deadline still applies.
    given = new Redis(server.url, { maxRetriesPerRequest: 2 });
    stores = {
      own: new RedisCredentialStore({ redis: server.url, commandTimeoutMs: DEADLINE_MS }),
      given: new RedisCredentialStore({ redis: given, commandTimeoutMs: DEADLINE_MS }),
    };
    await stores.own.set(key, 'before');
    const locks = {
      own: await stores.own.lock({ ...key, subject: 'own-held' }, { ttlMs: 60_000, waitMs: 0 }),
      given: await stores.given.lock({ ...key, subject: 'given-held' }, { ttlMs: 60_000, waitMs: 0 }),
    };
    server.pause();
    try {
      // A first read goes out and is never answered: every later command queues behind its pipeline.
      const firstRead = outcomeOf(() => stores.own.get(key));
      const givenFirst = outcomeOf(() => stores.given.get(key));
      await sleep(100);
      const batch = Promise.all(Array.from({ length: 100 }, () => outcomeOf(() => stores.own.get(key))));
      const kinds = (['own', 'given'] as const).map(async (which) => {
        const entries = Object.entries(everyCall(stores[which], locks[which], which));
        const outcomes = await Promise.all(entries.map(([, call]) => outcomeOf(call)));
        entries.forEach(([name], i) => { calls[which][name] = outcomes[i] as Outcome; });
      });
      [first, reads] = await Promise.all([firstRead, batch, givenFirst, ...kinds]) as unknown as [Outcome, Outcome[]];
    } finally {
      server.resume();
    }
    recovered = {
      own: await recovers(async () => (await stores.own.get(key))?.value, 'before'),
      given: await recovers(async () => (await stores.given.get(key))?.value, 'before'),
    };
  }, 30_000);
  afterAll(async () => {
    await stores.own.close();
    await stores.given.close();
    given.disconnect();
    await server.stop();
  });

  it('fails the unanswered first read with STORE_UNAVAILABLE within commandTimeoutMs', () => {
    expect({ code: first.code, inTime: first.elapsedMs <= DEADLINE_MS + SLACK_MS })
      .toEqual({ code: 'STORE_UNAVAILABLE', inTime: true });
  });

  it('fails 100 concurrent reads queued behind the held pipeline, the slowest within commandTimeoutMs + 100 ms of its call (not twice commandTimeoutMs)', () => {
    const slowestMs = Math.max(...reads.map((r) => r.elapsedMs));
    expect({ codes: [...new Set(reads.map((r) => r.code))], slowest: slowestMs <= DEADLINE_MS + SLACK_MS ? 'in time' : `${Math.round(slowestMs)} ms` })
      .toEqual({ codes: ['STORE_UNAVAILABLE'], slowest: 'in time' });
  });

  it.each(['own', 'given'] as const)('fails every kind of call (get, set, delete, take, list page, lock, release, renew) within its deadline, %s connection', (which) => {
    const summary = Object.fromEntries(Object.entries(calls[which]).map(([name, o]) =>
      [name, `${o.code}${o.elapsedMs <= DEADLINE_MS + SLACK_MS ? '' : ` after ${Math.round(o.elapsedMs)} ms`}`]));
    expect(summary).toEqual(Object.fromEntries(Object.keys(summary).map((name) => [name, 'STORE_UNAVAILABLE'])));
  });

  it('recovers by itself after SIGCONT (both connections)', () => {
    expect(recovered).toEqual({ own: true, given: true });
  });
});
