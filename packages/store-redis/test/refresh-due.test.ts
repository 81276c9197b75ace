// The due index behind auth.refreshDue(): a sorted set written with the record, against real redis.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, type Credentials } from '@authmanager/core';
import { followAuthorization, sandbox, startRedisServer, startSandboxProvider, type RedisServerHandle, type SandboxProvider } from '@authmanager/testing';
import { Cluster, Redis } from 'ioredis';
import { RedisCredentialStore } from '../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let redis: RedisServerHandle;
let server: SandboxProvider;
beforeAll(async () => {
  redis = await startRedisServer();
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], refreshTokenRotation: true });
});
afterAll(async () => { await server.close(); await redis.stop(); });

async function connect(auth: AuthManager, subject: string): Promise<Credentials<object>> {
  const flow = (auth.provider('sandbox') as unknown as { oauth2: { authorize: (o: object) => Promise<{ url: URL }>; exchange: (i: object) => Promise<{ credentials: Credentials<object> }> } }).oauth2;
  const { url } = await flow.authorize({ subject, params: { login_hint: subject } });
  return (await flow.exchange({ callbackUrl: await followAuthorization(url, REDIRECT) })).credentials;
}

describe('RedisCredentialStore due index (standalone: written in the record\'s own script)', () => {
  it('listDue returns what is due, earliest first; a delete removes the entry; null removes it too', async () => {
    const store = new RedisCredentialStore({ redis: redis.url, keyPrefix: 'due1:' });
    const k = (subject: string) => ({ kind: 'credentials', provider: 'p:x', subject } as const);
    await store.set(k('late'), 'v', { dueAtMs: 3000 });
    await store.set(k('early'), 'v', { dueAtMs: 1000 });
    await store.set(k('never'), 'v', { dueAtMs: 9000 });
    await store.set(k('unindexed'), 'v');
    expect(await store.listDue(5000, 10)).toEqual([k('early'), k('late')]);
    expect(await store.listDue(5000, 1)).toEqual([k('early')]);
    await store.delete(k('early'));
    await store.set(k('late'), 'v2', { dueAtMs: null });
    expect(await store.listDue(5000, 10)).toEqual([]);
    await store.set(k('never'), 'v2'); // absent: the entry stays as it was
    expect(await store.listDue(10_000, 10)).toEqual([k('never')]);
    await store.close();
  });
  it('a failed compare-and-set leaves the index untouched', async () => {
    const store = new RedisCredentialStore({ redis: redis.url, keyPrefix: 'due2:' });
    const key = { kind: 'credentials', provider: 'p', subject: 's' } as const;
    await store.set(key, 'v', { dueAtMs: 5000 });
    await expect(store.set(key, 'v', { ifVersion: 7, dueAtMs: 1 })).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    const raw = new Redis(redis.url);
    expect(await raw.zscore('due2:due:credentials', 'p:s')).toBe('5000');
    await raw.quit();
    await store.close();
  });
  it('dueIndex: false leaves it out, and listDue says so', async () => {
    const store = new RedisCredentialStore({ redis: redis.url, keyPrefix: 'due3:', dueIndex: false });
    await store.set({ kind: 'credentials', provider: 'p', subject: 's' }, 'v', { dueAtMs: 1 });
    await expect(store.listDue(10, 10)).rejects.toMatchObject({ code: 'UNSUPPORTED_FLOW' });
    const raw = new Redis(redis.url);
    expect(await raw.exists('due3:due:credentials')).toBe(0);
    await raw.quit();
    await store.close();
  });
});

describe('auth.refreshDue in two processes at once (two managers, two connections, one Redis)', () => {
  let results: Array<Awaited<ReturnType<AuthManager['refreshDue']>>>;
  let requests: number;
  let auth: AuthManager;
  beforeAll(async () => {
    const make = () => new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store: new RedisCredentialStore({ redis: redis.url, keyPrefix: 'due4:' }) });
    auth = make();
    const other = make();
    for (const subject of ['a', 'b', 'c']) {
      const credentials = await connect(auth, subject);
      // a and b expire within the window; c in ten hours
      await auth.storeCredentials('sandbox', subject, credentials.with({ expiresAt: new Date(Date.now() + (subject === 'c' ? 36_000_000 : 60_000)) }));
    }
    server.resetCounts();
    results = await Promise.all([auth.refreshDue({ withinSeconds: 300 }), other.refreshDue({ withinSeconds: 300 })]);
    requests = server.requestCount('token:refresh_token');
    await other.close();
  });
  afterAll(async () => { await auth.close(); });

  it('each due credential is refreshed once in total (rotation on: a second refresh would fail)', () => {
    expect(requests).toBe(2);
    expect(results.reduce((n, r) => n + r.refreshed, 0)).toBe(2);
    expect(results.flatMap((r) => r.failed)).toEqual([]);
  });
  it('afterwards nothing is due, and the refreshed tokens work', async () => {
    expect(await auth.refreshDue({ withinSeconds: 300 })).toMatchObject({ due: 0, refreshed: 0 });
    const token = await auth.withSession('a', (s) => s.accessToken('sandbox'));
    expect((await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});

describe('RedisCredentialStore due index on a 3-node Cluster (written right after the record)', () => {
  it('listDue finds what is due', async () => {
    const nodes = JSON.parse(process.env.REDIS_CLUSTER_NODES!) as Array<{ host: string; port: number }>;
    const cluster = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 2 } });
    const store = new RedisCredentialStore({ redis: cluster, keyPrefix: 'due5:' });
    const k = (subject: string) => ({ kind: 'credentials', provider: 'p', subject } as const);
    await store.set(k('x'), 'v', { dueAtMs: 2000 });
    await store.set(k('y'), 'v', { dueAtMs: 1000 });
    await store.set(k('z'), 'v', { dueAtMs: 99_000 });
    expect(await store.listDue(5000, 10)).toEqual([k('y'), k('x')]);
    await store.take(k('y'));
    expect(await store.listDue(5000, 10)).toEqual([k('x')]);
    await store.close();
    await cluster.quit();
  });
});
