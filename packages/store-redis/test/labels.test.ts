// Connection labels on Redis: two accounts of one provider for one subject, listed through the
// optional per-subject index (O(result)) or a SCAN without it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, Credentials } from '@authmanager/core';
import { sandbox, startRedisServer, type RedisServerHandle } from '@authmanager/testing';
import { RedisCredentialStore } from '../src/index.js';

let redis: RedisServerHandle;
beforeAll(async () => { redis = await startRedisServer(); });
afterAll(async () => { await redis.stop(); });

describe.each([[true], [false]])('labelled connections on Redis (index: %s)', (index) => {
  it('are stored apart and listed by connections()', async () => {
    const store = new RedisCredentialStore({ redis: redis.url, keyPrefix: `labels-${index}:`, index });
    const auth = new AuthManager({ providers: [sandbox({ issuer: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/cb' })], store, labelledConnections: true });
    await auth.storeCredentials('sandbox', 'u', new Credentials({ accessToken: 'personal' }));
    await auth.storeCredentials('sandbox', 'u', new Credentials({ accessToken: 'work' }), { connection: 'work' });
    await auth.storeCredentials('sandbox', 'other', new Credentials({ accessToken: 'x' }), { connection: 'work' });
    const listed = (await auth.connections('u')).map((c) => c.connection).sort();
    expect(listed).toEqual(['default', 'work']);
    expect(await auth.withSession('u', (s) => s.accessToken('sandbox'), { connections: { sandbox: 'work' } })).toBe('work');
    expect(await auth.withSession('u', (s) => s.accessToken('sandbox'))).toBe('personal');
    await auth.close();
  });
});
