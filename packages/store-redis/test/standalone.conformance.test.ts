import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { describeCredentialStore } from '@authmanager/testing/conformance';
import { Redis } from 'ioredis';
import { RedisCredentialStore } from '../src/index.js';

// The server has KEYS renamed away: any use of KEYS by the store fails the suite.
let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer({ args: ['--rename-command', 'KEYS', ''] });
});
afterAll(async () => {
  await server.stop();
});

describe('the conformance server', () => {
  it('rejects KEYS, so a store that used it would fail the suites below', async () => {
    const raw = new Redis(server.url);
    const outcome = await raw.keys('*').then(() => 'accepted', (err: Error) => err.message);
    await raw.quit();
    expect(outcome).toMatch(/unknown command/i);
  });
});

describeCredentialStore('RedisCredentialStore (standalone, from a URL)', async () => {
  const store = new RedisCredentialStore({ redis: server.url });
  return { store, cleanup: () => store.close() };
}, { requireLock: true });

// A caller-owned ioredis instance and a prefix full of glob characters (SCAN patterns must escape it).
// One store for all tests: the suite runs each distinct cleanup once.
let shared: { store: RedisCredentialStore; cleanup: () => Promise<void> } | undefined;
describeCredentialStore('RedisCredentialStore (standalone, given an ioredis instance, prefix "t[1]*?\\:")', async () => {
  if (shared === undefined) {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
    const store = new RedisCredentialStore({ redis, keyPrefix: 't[1]*?\\:' });
    shared = { store, cleanup: async () => { await store.close(); await redis.quit(); } };
  }
  return shared;
}, { requireLock: true });
