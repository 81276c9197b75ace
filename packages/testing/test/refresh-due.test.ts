// Proactive refresh over the memory store's expiry index, against a real token endpoint on loopback.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, Credentials, MemoryCredentialStore, defineProvider, type CredentialStore, type RecordKey } from '@authmanager/core';
import { hostile, startHostileProvider, type HostileProvider } from './hostileProvider.js';

let server: HostileProvider;
beforeAll(async () => { server = await startHostileProvider(); });
afterAll(async () => { await server.close(); });

/** The memory store, counting what listDue visits (instrumentation over the real store). */
class CountingStore extends MemoryCredentialStore {
  listed = 0;
  override async listDue(beforeMs: number, limit: number): Promise<RecordKey[]> {
    const keys = await super.listDue(beforeMs, limit);
    this.listed += keys.length;
    return keys;
  }
}

const HOUR = 3_600_000;

describe('auth.refreshDue', () => {
  const store = new CountingStore();
  let auth: AuthManager;
  let first: Awaited<ReturnType<AuthManager['refreshDue']>>;
  let second: Awaited<ReturnType<AuthManager['refreshDue']>>;
  let requests: number;
  beforeAll(async () => {
    auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store });
    const now = Date.now();
    for (let i = 0; i < 2000; i++) {
      const soon = i % 200 === 0; // 10 of 2,000 expire within 5 minutes
      await auth.storeCredentials('hostile', `user-${i}`, new Credentials({
        accessToken: `at-${i}`, refreshToken: `rt-${i}`, obtainedAt: new Date(now),
        expiresAt: new Date(now + (soon ? 120_000 : 10 * HOUR)),
      }));
    }
    await auth.storeCredentials('hostile', 'no-refresh-token', new Credentials({ accessToken: 'static', expiresAt: new Date(now + 60_000) }));
    const before = server.count('/token');
    first = await auth.refreshDue({ withinSeconds: 300 });
    requests = server.count('/token') - before;
    second = await auth.refreshDue({ withinSeconds: 300 });
  });

  it('refreshes exactly the credentials due within the window, one token request each', () => {
    expect(first).toEqual({ due: 10, refreshed: 10, skipped: 0, failed: [] });
    expect(requests).toBe(10);
  });
  it('finds them through the index: it lists only due records, never the other 1,990', () => {
    expect(store.listed).toBe(10);
  });
  it('once refreshed they are not due again', () => {
    expect(second).toEqual({ due: 0, refreshed: 0, skipped: 0, failed: [] });
  });
  it('the refreshed credentials are stored', async () => {
    expect((await auth.loadCredentials('hostile', 'user-0'))?.accessToken).toBe('default-at');
    expect((await auth.loadCredentials('hostile', 'user-1'))?.accessToken).toBe('at-1');
  });
});

describe('refresh tokens that lapse when idle are refreshed before they do', () => {
  it('a provider-declared refreshTokenIdleLifetimeSeconds makes an old credential due though its access token is valid', async () => {
    const definition = hostile({ origin: server.origin }).definition;
    const idle = defineProvider({ ...definition, oauth2: { ...definition.oauth2, refreshTokenIdleLifetimeSeconds: 86_400 } });
    const auth = new AuthManager({ providers: [idle({ origin: server.origin })] });
    const now = Date.now();
    await auth.storeCredentials('hostile', 'idle', new Credentials({ accessToken: 'a', refreshToken: 'r', obtainedAt: new Date(now - 86_300_000), expiresAt: new Date(now + 10 * HOUR) }));
    await auth.storeCredentials('hostile', 'fresh', new Credentials({ accessToken: 'b', refreshToken: 'r2', obtainedAt: new Date(now), expiresAt: new Date(now + 10 * HOUR) }));
    expect(await auth.refreshDue({ withinSeconds: 300 })).toMatchObject({ due: 1, refreshed: 1 });
    expect((await auth.loadCredentials('hostile', 'idle'))?.accessToken).toBe('default-at');
    expect((await auth.loadCredentials('hostile', 'fresh'))?.accessToken).toBe('b');
  });
});

describe('failures and limits', () => {
  it('a failed refresh is reported with its code and no secret; in its cooldown it is not retried', async () => {
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })] });
    await auth.storeCredentials('hostile', 'dead', new Credentials({ accessToken: 'a', refreshToken: 'dead-rt-secret', expiresAt: new Date(Date.now() + 60_000) }));
    server.answer({ status: 400, body: { error: 'invalid_grant' } });
    const result = await auth.refreshDue();
    expect(result).toEqual({ due: 1, refreshed: 0, skipped: 0, failed: [{ provider: 'hostile', subject: 'dead', code: 'REAUTHORIZATION_REQUIRED' }] });
    expect(JSON.stringify(result)).not.toContain('dead-rt-secret');
    const before = server.count('/token');
    expect((await auth.refreshDue()).failed).toHaveLength(1);
    expect(server.count('/token')).toBe(before);
  });
  it('a store without an expiry index is UNSUPPORTED_FLOW', async () => {
    const inner = new MemoryCredentialStore();
    const plain: CredentialStore = {
      get: (k) => inner.get(k), set: (k, v, o) => inner.set(k, v, o), delete: (k, o) => inner.delete(k, o),
      take: (k) => inner.take(k), list: (f) => inner.list(f),
    };
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store: plain });
    await expect(auth.refreshDue()).rejects.toMatchObject({ code: 'UNSUPPORTED_FLOW' });
  });
});

describe('auth.startRefresher', () => {
  it('refreshes due credentials on its first tick, and stop() waits for the run in progress', async () => {
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })] });
    await auth.storeCredentials('hostile', 'worker', new Credentials({ accessToken: 'old', refreshToken: 'r', expiresAt: new Date(Date.now() + 60_000) }));
    const refresher = auth.startRefresher({ intervalSeconds: 3600, withinSeconds: 300 });
    await refresher.stop();
    expect((await auth.loadCredentials('hostile', 'worker'))?.accessToken).toBe('default-at');
  });
});
