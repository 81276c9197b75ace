import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { AuthManagerError, envFrom, MemoryCredentialStore } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { createCredentialStore, describeRedisUrl } from '../src/store.js';
import { authorizeAtSandbox, DemoClient, startDemo, type DemoHarness } from './harness.js';

describe('createCredentialStore', () => {
  it('uses the memory store when nothing is configured', async () => {
    const { store, label } = await createCredentialStore(envFrom({}));

    expect(store).toBeInstanceOf(MemoryCredentialStore);
    expect(label).toBe('Memory (this process only)');
  });

  it('names a Redis URL by host, port and database, never by user or password', () => {
    expect(describeRedisUrl('redis://demo:hunter2@cache.internal:6380/2')).toBe('cache.internal:6380/2');
    expect(describeRedisUrl('rediss://:hunter2@cache.internal')).toBe('cache.internal:6379 (TLS)');
  });

  it('refuses a malformed AUTHMANAGER_LOCAL_KEY without printing it', async () => {
    const bad = 'not-a-32-byte-key-but-a-secret';
    const err = await createCredentialStore(envFrom({ AUTHMANAGER_LOCAL_KEY: bad })).catch((e: unknown) => e);

    expect(AuthManagerError.is(err, 'CONFIGURATION')).toBe(true);
    expect((err as Error).message).toContain('AUTHMANAGER_LOCAL_KEY');
    expect((err as Error).message).not.toContain(bad);
  });
});

describe('connect demo on Redis, encrypted with AUTHMANAGER_LOCAL_KEY', () => {
  let redis: RedisServerHandle;
  let demo: DemoHarness;
  let label: string;
  let raw: RedisCredentialStore;

  beforeAll(async () => {
    redis = await startRedisServer();
    const selected = await createCredentialStore(envFrom({ REDIS_URL: redis.url, AUTHMANAGER_LOCAL_KEY: randomBytes(32).toString('base64') }));
    label = selected.label;
    demo = await startDemo({ interactive: false, store: selected });
    raw = new RedisCredentialStore({ redis: redis.url });
  }, 30_000);
  afterAll(async () => {
    await raw?.close();
    await demo?.close();
    await redis?.stop();
  });

  it('shows the store on the page and keeps only ciphertext in Redis', async () => {
    const client = new DemoClient(demo.origin);
    await client.home();
    await client.get((await authorizeAtSandbox(client, demo)).href);
    const page = await client.home();
    const credentials = await demo.auth.loadCredentials('sandbox', 'demo-user');
    const stored = await raw.get({ kind: 'credentials', provider: 'sandbox', subject: 'demo-user' });

    expect(label).toMatch(/^Locally encrypted Redis \(127\.0\.0\.1:\d+\) · AUTHMANAGER_LOCAL_KEY \(local:[0-9a-f]{16}\)$/);
    expect(page).toContain(`Store: ${label}`);
    expect(credentials?.accessToken).toEqual(expect.any(String));
    expect(stored?.value).toEqual(expect.any(String));
    expect(stored?.value).not.toContain(credentials?.accessToken);
  });
});
