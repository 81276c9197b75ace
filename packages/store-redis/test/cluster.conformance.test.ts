import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeCredentialStore } from '@authmanager/testing/conformance';
import { AuthManagerError } from '@authmanager/core';
import { Cluster, type Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisCredentialStore } from '../src/index.js';

// Master nodes of the cluster started once per jest run by cluster.globalSetup.mjs.
function clusterNodes(): Array<{ host: string; port: number }> {
  const json = process.env.REDIS_CLUSTER_NODES;
  if (!json) throw new Error('REDIS_CLUSTER_NODES is not set: run through jest.config.cjs (globalSetup)');
  return JSON.parse(json) as Array<{ host: string; port: number }>;
}

function newCluster(): Cluster {
  return new Cluster(clusterNodes(), { redisOptions: { maxRetriesPerRequest: 2, connectTimeout: 2000 } });
}

let cluster: Cluster;
let store: RedisCredentialStore;
beforeAll(() => {
  cluster = newCluster();
  store = new RedisCredentialStore({ redis: cluster, keyPrefix: `cluster-test:` });
});
afterAll(async () => {
  await cluster.quit();
});

const cleanup = async (): Promise<void> => { await store.close(); };
describeCredentialStore('RedisCredentialStore (3-node Redis Cluster)', async () => ({ store, cleanup }), { requireLock: true });

// The index sets live in other slots than the records: written after the record, on other nodes.
let indexed: RedisCredentialStore | undefined;
describeCredentialStore('RedisCredentialStore (3-node Redis Cluster, index: true)', async () => {
  indexed ??= new RedisCredentialStore({ redis: cluster, keyPrefix: 'cluster-index-test:', index: true });
  const own = indexed;
  return { store: own, cleanup: () => own.close() };
}, { requireLock: true });

/** Every key on every master that starts with `prefix`, with the master's port. */
async function keysByMaster(prefix: string): Promise<Array<{ port: number; key: string }>> {
  const found: Array<{ port: number; key: string }> = [];
  for (const node of cluster.nodes('master') as Redis[]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found.push({ port: node.options.port ?? 0, key });
    } while (cursor !== '0');
  }
  return found;
}

describe('RedisCredentialStore on a Redis Cluster', () => {
  it('puts the record and lock keys of one (kind, provider, subject) in one slot, even with braces in the subject', async () => {
    const prefix = `slots-${Date.now()}:`;
    const tagged = new RedisCredentialStore({ redis: cluster, keyPrefix: prefix });
    const subjects = ['plain', '{a}', 'a}b{c', 'x:{y}:z', '}{', 'ünï{c}ødé'];
    for (const subject of subjects) {
      const key = { kind: 'credentials', provider: 'notion', subject } as const;
      await tagged.set(key, 'value');
      await tagged.lock(key, { ttlMs: 30_000, waitMs: 0 });
    }
    const found = await keysByMaster(prefix);
    const slots = await Promise.all(found.map(async ({ key }) => Number(await cluster.call('CLUSTER', 'KEYSLOT', key))));
    // Group by the key without its leading "lock:" segment: each group is one record's keys.
    const groups = new Map<string, Set<string>>();
    found.forEach(({ key, port }, i) => {
      const record = key.slice(prefix.length).replace(/^lock:/, '');
      const group = groups.get(record) ?? new Set<string>();
      group.add(`${port}/${slots[i]}`);
      groups.set(record, group);
    });
    expect({
      keys: found.length,
      records: groups.size,
      oneSlotEach: [...groups.values()].every((g) => g.size === 1),
    }).toEqual({ keys: subjects.length * 2, records: subjects.length, oneSlotEach: true });
  });

  it('lists records spread over every master', async () => {
    const provider = `spread-${Date.now()}`;
    const subjects = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    await Promise.all(subjects.map((subject) => store.set({ kind: 'credentials', provider, subject }, 'v')));
    const found = await keysByMaster('cluster-test:credentials:');
    const ports = new Set(found.filter(({ key }) => key.includes(`{${provider}:`)).map(({ port }) => port));
    const listed: string[] = [];
    for await (const key of store.list({ kind: 'credentials', provider })) listed.push(key.subject);
    expect({ masters: ports.size, listed: listed.sort() }).toEqual({ masters: 3, listed: [...subjects].sort() });
  });

  it('renews a held lock past its original ttlMs, and renew returns false once another owner took it over', async () => {
    const key = { kind: 'credentials', provider: 'renew', subject: `s-${Date.now()}` } as const;
    const other = new RedisCredentialStore({ redis: cluster, keyPrefix: 'cluster-test:' });
    const lock = await store.lock(key, { ttlMs: 400, waitMs: 0 });
    await sleep(250);
    const renewed = await lock.renew();
    await sleep(250); // 500 ms after the lock was taken: past its original 400 ms
    const keptOut = await other.lock(key, { ttlMs: 400, waitMs: 0 }).then(() => 'taken', (err: unknown) =>
      (AuthManagerError.is(err) ? err.code : String(err)));
    await sleep(500); // the renewed lock has expired now
    const takeover = await other.lock(key, { ttlMs: 5000, waitMs: 0 });
    const renewedAfterTakeover = await lock.renew();
    await takeover.release();
    expect({ renewed, keptOut, renewedAfterTakeover }).toEqual({ renewed: true, keptOut: 'LOCK_TIMEOUT', renewedAfterTakeover: false });
  });

  it('lists from a Cluster instance that has not connected yet', async () => {
    const provider = `fresh-${Date.now()}`;
    await store.set({ kind: 'credentials', provider, subject: 's' }, 'v');
    const fresh = newCluster();
    const freshStore = new RedisCredentialStore({ redis: fresh, keyPrefix: 'cluster-test:' });
    const listed: string[] = [];
    for await (const key of freshStore.list({ kind: 'credentials', provider })) listed.push(key.subject);
    await fresh.quit();
    expect(listed).toEqual(['s']);
  });
});
