import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type RecordKey } from '@authmanager/core';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { describeCredentialStore } from '@authmanager/testing/conformance';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisCredentialStore } from '../src/index.js';

let server: RedisServerHandle;
let raw: Redis;
const stores: RedisCredentialStore[] = [];

function newStore(options: { index?: boolean; keyPrefix?: string } = {}): RedisCredentialStore {
  const store = new RedisCredentialStore({ redis: server.url, keyPrefix: options.keyPrefix ?? `i${randomBytes(4).toString('hex')}:`, index: options.index ?? true });
  stores.push(store);
  return store;
}

async function listed(store: RedisCredentialStore, filter: { provider?: string; subject?: string }): Promise<string[]> {
  const out: string[] = [];
  for await (const key of store.list({ kind: 'credentials', ...filter })) out.push(`${key.provider}/${key.subject}`);
  return out.sort();
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

describeCredentialStore('RedisCredentialStore (standalone, index: true)', async () => {
  const store = new RedisCredentialStore({ redis: server.url, keyPrefix: 'conf-index:', index: true });
  return { store, cleanup: () => store.close() };
}, { requireLock: true });

describe('the per-provider and per-subject index', () => {
  it('lists one provider\'s and one subject\'s credentials without SCAN (seen with MONITOR)', async () => {
    const store = newStore();
    await store.set({ kind: 'credentials', provider: 'notion', subject: 'a' }, 'x');
    await store.set({ kind: 'credentials', provider: 'notion', subject: 'b:{c}' }, 'x');
    await store.set({ kind: 'credentials', provider: 'github', subject: 'a' }, 'x');
    const monitor = await raw.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => { commands.push(String(args[0]).toLowerCase()); });
    const byProvider = await listed(store, { provider: 'notion' });
    const bySubject = await listed(store, { subject: 'a' });
    await new Promise((r) => setTimeout(r, 50));
    monitor.disconnect();
    expect({ byProvider, bySubject, scan: commands.includes('scan'), sscan: commands.includes('sscan') })
      .toEqual({ byProvider: ['notion/a', 'notion/b:{c}'], bySubject: ['github/a', 'notion/a'], scan: false, sscan: true });
  });

  it('drops a deleted record from the index', async () => {
    const prefix = `del${randomBytes(4).toString('hex')}:`;
    const store = newStore({ keyPrefix: prefix });
    const key: RecordKey = { kind: 'credentials', provider: 'notion', subject: 'gone' };
    await store.set(key, 'x');
    await store.delete(key);
    expect({
      providerIndex: await raw.smembers(`${prefix}index:credentials:provider:{notion}`),
      subjectIndex: await raw.smembers(`${prefix}index:credentials:subject:{gone}`),
      listed: await listed(store, { provider: 'notion' }),
    }).toEqual({ providerIndex: [], subjectIndex: [], listed: [] });
  });

  it('skips and removes the entry of a record that expired', async () => {
    const prefix = `exp${randomBytes(4).toString('hex')}:`;
    const store = newStore({ keyPrefix: prefix });
    await store.set({ kind: 'credentials', provider: 'notion', subject: 'short' }, 'x', { ttlMs: 50 });
    await store.set({ kind: 'credentials', provider: 'notion', subject: 'long' }, 'x');
    await new Promise((r) => setTimeout(r, 120));
    const first = await listed(store, { provider: 'notion' });
    expect({ first, members: (await raw.smembers(`${prefix}index:credentials:provider:{notion}`)).sort() })
      .toEqual({ first: ['notion/long'], members: ['long'] });
  });

  it('keeps a record written while it is deleted concurrently in the index when it survives', async () => {
    const store = newStore();
    const results: Array<{ exists: boolean; listed: boolean }> = [];
    for (let i = 0; i < 50; i++) {
      const key: RecordKey = { kind: 'credentials', provider: 'race', subject: `s${i}` };
      await store.set(key, 'v0');
      await Promise.all([store.delete(key), store.set(key, 'v1')]);
      const exists = (await store.get(key)) !== undefined;
      const names = await listed(store, { subject: key.subject });
      results.push({ exists, listed: names.includes(`race/${key.subject}`) });
    }
    expect(results.filter((r) => r.exists !== r.listed)).toEqual([]);
  });

  it('buildIndex indexes records written without the index', async () => {
    const prefix = `b${randomBytes(4).toString('hex')}:`;
    const before = newStore({ keyPrefix: prefix, index: false });
    for (let i = 0; i < 1200; i++) await before.set({ kind: 'credentials', provider: i % 2 ? 'notion' : 'github', subject: `u${i}` }, 'x');
    const store = newStore({ keyPrefix: prefix });
    const unindexed = (await listed(store, { provider: 'notion' })).length;
    const count = await store.buildIndex();
    const indexed = (await listed(store, { provider: 'notion' })).length;
    expect({ unindexed, count, indexed }).toEqual({ unindexed: 0, count: 1200, indexed: 600 });
  });

  it('buildIndex refuses a store without the index with CONFIGURATION', async () => {
    const err = await newStore({ index: false }).buildIndex().then(() => undefined, (e: unknown) => e);
    expect(AuthManagerError.is(err, 'CONFIGURATION')).toBe(true);
  });
});
