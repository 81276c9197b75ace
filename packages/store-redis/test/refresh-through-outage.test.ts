import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthManager, AuthManagerError, Credentials, type UnpersistedCredential } from '@authmanager/core';
import { followAuthorization, sandbox, startRedisServer, startSandboxProvider, type RedisServerHandle, type SandboxProvider } from '@authmanager/testing';
import { RedisCredentialStore } from '../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

let server: SandboxProvider;
beforeAll(async () => {
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], refreshTokenRotation: true });
});
afterAll(async () => { await server.close(); });

/** Connects `subject` and stores its credential as already expired (the tokens stay good at the server). */
async function connectExpired(auth: AuthManager, subject: string): Promise<Credentials<object>> {
  const flow = (auth.provider('sandbox') as unknown as { oauth2: { authorize: (o: object) => Promise<{ url: URL }>; exchange: (i: object) => Promise<{ credentials: Credentials<object> }> } }).oauth2;
  const { url } = await flow.authorize({ subject, params: { login_hint: subject } });
  const { credentials } = await flow.exchange({ callbackUrl: await followAuthorization(url, REDIRECT) });
  const expired = credentials.with({ expiresAt: new Date(Date.now() - 1000) });
  await auth.storeCredentials('sandbox', subject, expired);
  return expired;
}

async function apiMe(token: string): Promise<number> {
  return (await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${token}` } })).status;
}

// The review's trial: rotation on, redis-server killed right after the token request and back 3 s
// later. Before the fix the new tokens were discarded after the failed write, the provider had already
// invalidated the old refresh token, and the next call was REAUTHORIZATION_REQUIRED (3 of 3 trials).
describe('regression: a refreshed credential was dropped when the store write failed', () => {
  let redis: RedisServerHandle;
  let auth: AuthManager;
  let old: Credentials<object>;
  let token: string;
  let refreshesDuring: number;
  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: true });
    const store = new RedisCredentialStore({ redis: redis.url, commandTimeoutMs: 500 });
    auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store });
    old = await connectExpired(auth, 'outage');
    const before = server.requestCount('token:refresh_token');
    // The token request is held 400 ms at the server; redis dies while it is in flight, so the
    // server rotates the refresh token and our write then fails.
    server.failNext('token', { delayMs: 400 });
    const refreshing = auth.withSession('outage', (s) => s.accessToken('sandbox'));
    await sleep(150);
    await redis.kill();
    await sleep(3000);
    await redis.restart();
    token = await refreshing;
    refreshesDuring = server.requestCount('token:refresh_token') - before;
  }, 60_000);
  afterAll(async () => { await auth.close(); await redis.stop(); });

  it('the caller gets the new token once the store is back, after exactly one refresh', () => {
    expect(token).not.toBe(old.accessToken);
    expect(refreshesDuring).toBe(1);
  });
  it('the new credential is stored, so the user stays connected', async () => {
    const stored = await auth.loadCredentials('sandbox', 'outage');
    expect(stored?.accessToken).toBe(token);
    expect(stored?.refreshToken).not.toBe(old.refreshToken);
    expect(await apiMe(token)).toBe(200);
  });
  it('the stored refresh token works (the old one was rotated away)', async () => {
    const refreshed = await auth.withSession('outage', (s) => s.refresh('sandbox'));
    expect(await apiMe(refreshed.accessToken)).toBe(200);
  });
});

describe('past refreshWriteRetryMs the refreshed credential goes to onUnpersistedCredential', () => {
  let redis: RedisServerHandle;
  const handed: UnpersistedCredential[] = [];
  let error: unknown;
  let elapsedMs: number;
  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: true });
    const store = new RedisCredentialStore({ redis: redis.url, commandTimeoutMs: 300 });
    const auth = new AuthManager({
      providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store,
      refreshWriteRetryMs: 1500, onUnpersistedCredential: (event) => { handed.push(event); },
    });
    await connectExpired(auth, 'lost');
    server.failNext('token', { delayMs: 400 });
    const started = performance.now();
    const refreshing = auth.withSession('lost', (s) => s.accessToken('sandbox')).catch((err: unknown) => err);
    await sleep(150);
    await redis.kill();
    error = await refreshing;
    elapsedMs = performance.now() - started;
    await redis.restart();
    await auth.close();
  }, 60_000);
  afterAll(async () => { await redis.stop(); });

  it('fails with STORE_UNAVAILABLE saying where the credential went, after the bound', () => {
    expect(AuthManagerError.is(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('onUnpersistedCredential');
    expect(elapsedMs).toBeGreaterThanOrEqual(1500);
    expect(elapsedMs).toBeLessThan(6000);
  });
  it('the hook received the working credential, and the error does not hold it', async () => {
    expect(handed).toHaveLength(1);
    expect(handed[0]).toMatchObject({ provider: 'sandbox', subject: 'lost' });
    expect(await apiMe(handed[0]!.credentials.accessToken)).toBe(200);
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(handed[0]!.credentials.accessToken);
  });
});

describe('regression: LOCK_TIMEOUT failed without reading the record again', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => { redis = await startRedisServer(); });
  afterAll(async () => { await redis.stop(); });

  it('a refresh that times out on the lock returns what the lock holder stored meanwhile', async () => {
    const store = new RedisCredentialStore({ redis: redis.url });
    const auth = new AuthManager({
      providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store, refreshLock: { ttlMs: 5000, waitMs: 400 },
    });
    await connectExpired(auth, 'locked');
    // Another process holds the lock, refreshes, and stores a fresh credential while we wait.
    const holder = await store.lock({ kind: 'credentials', provider: 'sandbox', subject: 'locked' }, { ttlMs: 5000, waitMs: 100 });
    const before = server.requestCount('token:refresh_token');
    const waiting = auth.withSession('locked', (s) => s.accessToken('sandbox'));
    await sleep(100);
    await auth.storeCredentials('sandbox', 'locked', new Credentials({ accessToken: 'fresh-from-holder', expiresAt: new Date(Date.now() + 3_600_000) }));
    expect(await waiting).toBe('fresh-from-holder');
    expect(server.requestCount('token:refresh_token')).toBe(before);
    await holder.release();
    await auth.close();
  });

  it('still LOCK_TIMEOUT when the record is stale after the wait', async () => {
    const store = new RedisCredentialStore({ redis: redis.url });
    const auth = new AuthManager({
      providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store, refreshLock: { ttlMs: 5000, waitMs: 300 },
    });
    await connectExpired(auth, 'locked-stale');
    const holder = await store.lock({ kind: 'credentials', provider: 'sandbox', subject: 'locked-stale' }, { ttlMs: 5000, waitMs: 100 });
    await expect(auth.withSession('locked-stale', (s) => s.accessToken('sandbox'))).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
    await holder.release();
    await auth.close();
  });
});
