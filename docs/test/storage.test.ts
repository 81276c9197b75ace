import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Credentials, MemoryCredentialStore } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { sandbox, startKmsServer, startRedisServer, type KmsServer, type RedisServerHandle } from '@authmanager/testing';
import { kms, local, memory, redis, rotate } from '../snippets/storage.js';

const providers = [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })];
const creds = () => new Credentials({ accessToken: `at-${randomBytes(8).toString('hex')}`, refreshToken: 'rt-1', expiresAt: new Date(Date.now() + 3_600_000) });

let redisServer: RedisServerHandle;
let kmsServer: KmsServer;
beforeAll(async () => {
  redisServer = await startRedisServer();
  kmsServer = await startKmsServer();
});
afterAll(async () => {
  await kmsServer.stop();
  await redisServer.stop();
});

describe('docs/storage.md snippets', () => {
  it('memory: the default store round-trips', async () => {
    const auth = memory(providers);
    expect(auth.store).toBeInstanceOf(MemoryCredentialStore);
    const c = creds();
    await auth.storeCredentials('sandbox', 'u', c);
    expect((await auth.loadCredentials('sandbox', 'u'))!.accessToken).toBe(c.accessToken);
  });

  it('redis: records land under the configured prefix with a hash tag', async () => {
    const auth = redis(providers, redisServer.url);
    await auth.storeCredentials('sandbox', 'u', creds());
    const keys: string[] = [];
    for await (const key of auth.store.list({ kind: 'credentials' })) keys.push(`${key.provider}/${key.subject}`);
    expect(keys).toEqual(['sandbox/u']);
    const probe = new RedisCredentialStore({ redis: redisServer.url, keyPrefix: 'myapp:auth:' });
    expect((await probe.get({ kind: 'credentials', provider: 'sandbox', subject: 'u' }))?.version).toBe(1);
    await probe.close();
    await auth.close();
  });

  it('kms: Redis holds ciphertext only; rotation moves records to the new key', async () => {
    const alias = 'alias/docs';
    const firstKey = kmsServer.createKey();
    kmsServer.setAlias(alias, firstKey);
    const config = { endpoint: kmsServer.endpoint, region: kmsServer.region, credentials: kmsServer.credentials };
    const { auth, store } = kms(providers, redisServer.url, alias, config, [firstKey]);
    const c = creds();
    await auth.storeCredentials('sandbox', 'kms-user', c);
    const inner = new RedisCredentialStore({ redis: redisServer.url });
    const stored = await inner.get({ kind: 'credentials', provider: 'sandbox', subject: 'kms-user' });
    expect(stored!.value.startsWith('amk2.')).toBe(true);
    expect(stored!.value).not.toContain(c.accessToken);

    kmsServer.setAlias(alias, kmsServer.createKey());
    const { result, lines } = await rotate(store);
    expect(result.reencrypted).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect((await auth.loadCredentials('sandbox', 'kms-user'))!.accessToken).toBe(c.accessToken);
    expect((await inner.get({ kind: 'credentials', provider: 'sandbox', subject: 'kms-user' }))!.value).not.toBe(stored!.value);
    await inner.close();
    await auth.close();
  });

  it('local: encrypts with a key from the environment', async () => {
    const auth = local(providers, { AUTHMANAGER_LOCAL_KEY: randomBytes(32).toString('base64') });
    const c = creds();
    await auth.storeCredentials('sandbox', 'u', c);
    expect((await auth.loadCredentials('sandbox', 'u'))!.accessToken).toBe(c.accessToken);
  });
});
