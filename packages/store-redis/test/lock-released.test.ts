import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RecordKey } from '@authmanager/core';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { Cluster } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCredentialStore } from '../src/index.js';

// Holder and waiter are separate store instances (separate connections), as two processes are.
// "Within a few ms" is checked against 25 ms: polling alone would wake a subscribed waiter after
// 200 ms at the earliest, so these tests fail if the release message does not arrive.
const WOKEN_WITHIN_MS = 25;

let server: RedisServerHandle;
let noPubSub: RedisServerHandle;
const closers: Array<() => Promise<void>> = [];

function newKey(): RecordKey {
  return { kind: 'credentials', provider: 'notion', subject: `user-${randomBytes(6).toString('hex')}` };
}

function storeOn(url: string): RedisCredentialStore {
  const store = new RedisCredentialStore({ redis: url, keyPrefix: 'wake:' });
  closers.push(() => store.close());
  return store;
}

beforeAll(async () => {
  server = await startRedisServer();
  // A server without pub/sub (as under an ACL that denies it): waiters fall back to polling.
  noPubSub = await startRedisServer({ args: ['--rename-command', 'SUBSCRIBE', ''] });
});
afterAll(async () => {
  for (const close of closers) await close();
  await server.stop();
  await noPubSub.stop();
});

/** Holder takes the lock, waiter starts waiting, holder releases after `holdMs`. */
async function releaseAfter(holder: RedisCredentialStore, waiter: RedisCredentialStore, holdMs: number, timeoutMs = 10_000) {
  const key = newKey();
  const lock = await holder.lock(key, { ttlMs: 30_000, waitMs: 0 });
  const waiting = waiter.lockReleased(key, timeoutMs);
  await sleep(holdMs);
  const releasedAt = performance.now();
  await lock.release();
  const result = await waiting;
  return { result, afterReleaseMs: performance.now() - releasedAt };
}

describe('lockReleased (standalone)', () => {
  it('wakes a waiter in another store instance within a few ms of the release', async () => {
    const holder = storeOn(server.url);
    const waiter = storeOn(server.url);
    await releaseAfter(holder, waiter, 50); // first call opens the subscriber
    const { result, afterReleaseMs } = await releaseAfter(holder, waiter, 100);
    expect({ result, fast: afterReleaseMs < WOKEN_WITHIN_MS }).toEqual({ result: true, fast: true });
  });

  it('wakes every waiter of the key, and only those of that key', async () => {
    const holder = storeOn(server.url);
    const waiter = storeOn(server.url);
    const key = newKey();
    const other = newKey();
    const lock = await holder.lock(key, { ttlMs: 30_000, waitMs: 0 });
    const otherLock = await holder.lock(other, { ttlMs: 30_000, waitMs: 0 });
    const waiting = Promise.all([waiter.lockReleased(key, 5000), waiter.lockReleased(key, 5000), waiter.lockReleased(key, 5000)]);
    const otherWaiting = waiter.lockReleased(other, 300);
    await sleep(50);
    const releasedAt = performance.now();
    await lock.release();
    const results = await waiting;
    const afterReleaseMs = performance.now() - releasedAt;
    expect({ results, fast: afterReleaseMs < WOKEN_WITHIN_MS, other: await otherWaiting }).toEqual({ results: [true, true, true], fast: true, other: false });
    await otherLock.release();
  });

  it('returns true at once when the lock is not held', async () => {
    const waiter = storeOn(server.url);
    const started = performance.now();
    const result = await waiter.lockReleased(newKey(), 5000);
    expect({ result, fast: performance.now() - started < 100 }).toEqual({ result: true, fast: true });
  });

  it('returns false after timeoutMs while the lock stays held', async () => {
    const holder = storeOn(server.url);
    const waiter = storeOn(server.url);
    const key = newKey();
    await holder.lock(key, { ttlMs: 30_000, waitMs: 0 });
    const started = performance.now();
    const result = await waiter.lockReleased(key, 150);
    const elapsedMs = performance.now() - started;
    expect({ result, waited: elapsedMs >= 145 && elapsedMs < 400 }).toEqual({ result: false, waited: true });
  });

  it('lets the waiter proceed when a crashed holder\'s lock expires (no release is ever published)', async () => {
    const holder = storeOn(server.url);
    const waiter = storeOn(server.url);
    const key = newKey();
    await holder.lock(key, { ttlMs: 300, waitMs: 0 }); // never released
    const started = performance.now();
    const result = await waiter.lockReleased(key, 5000);
    const elapsedMs = performance.now() - started;
    expect({ result, withinTtl: elapsedMs >= 250 && elapsedMs < 300 + 100 }).toEqual({ result: true, withinTtl: true });
  });

  it('falls back to polling when the server refuses SUBSCRIBE', async () => {
    const holder = storeOn(noPubSub.url);
    const waiter = storeOn(noPubSub.url);
    const { result, afterReleaseMs } = await releaseAfter(holder, waiter, 100);
    expect({ result, polled: afterReleaseMs < 250 }).toEqual({ result: true, polled: true });
  });
});

describe('lockReleased (3-node Redis Cluster)', () => {
  const nodes = (): Array<{ host: string; port: number }> => JSON.parse(process.env.REDIS_CLUSTER_NODES ?? '[]');
  let clusters: Cluster[] = [];
  afterAll(async () => {
    for (const c of clusters) await c.quit();
  });

  it('wakes a waiter on another cluster connection within a few ms, whichever node holds the slot', async () => {
    clusters = [new Cluster(nodes()), new Cluster(nodes())];
    const holder = new RedisCredentialStore({ redis: clusters[0]!, keyPrefix: 'wake-cluster:' });
    const waiter = new RedisCredentialStore({ redis: clusters[1]!, keyPrefix: 'wake-cluster:' });
    closers.push(() => holder.close(), () => waiter.close());
    await releaseAfter(holder, waiter, 50); // opens the subscriber
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await releaseAfter(holder, waiter, 30)); // random subjects: several slots
    expect(runs.map((r) => ({ result: r.result, fast: r.afterReleaseMs < WOKEN_WITHIN_MS })))
      .toEqual(Array.from({ length: 5 }, () => ({ result: true, fast: true })));
  });
});
