import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, Credentials, MemoryCredentialStore, type RecordKey, type Session, type StoredRecord } from '@authmanager/core';
import { hostile, startHostileProvider, type HostileProvider } from './hostileProvider.js';

/** The memory store, counting reads (instrumentation: every call goes to the real store). */
class CountingStore extends MemoryCredentialStore {
  gets = 0;
  override get(key: RecordKey): Promise<StoredRecord | undefined> {
    this.gets++;
    return super.get(key);
  }
}

let server: HostileProvider;
beforeAll(async () => { server = await startHostileProvider(); });
afterAll(async () => { await server.close(); });

describe('in-process refresh storm: callers join an in-flight load or refresh before reading the store', () => {
  const CALLERS = 10_000;
  let store: CountingStore;
  let tokens: string[];
  let refreshes: number;
  beforeAll(async () => {
    store = new CountingStore();
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store });
    await auth.storeCredentials('hostile', 'storm', new Credentials({ accessToken: 'old', refreshToken: 'rt', expiresAt: new Date(Date.now() - 1000) }));
    server.answer({ body: { access_token: 'new-token', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt2' } });
    store.gets = 0;
    const before = server.count('/token');
    tokens = await Promise.all(Array.from({ length: CALLERS }, () => auth.withSession('storm', (s) => s.accessToken('hostile'))));
    refreshes = server.count('/token') - before;
  });

  it(`${CALLERS} concurrent sessions make one token request and all get its token`, () => {
    expect(refreshes).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['new-token']));
  });
  it('and read the store a handful of times, not once per caller', () => {
    // One shared load, the refresher's read, and its compare-and-set check.
    expect(store.gets).toBeLessThanOrEqual(4);
  });
});

describe('one session, concurrent callers: one shared load, and a failed load is not shared afterwards', () => {
  it('100 concurrent accessToken() in one session read the store once and get one token', async () => {
    const store = new CountingStore();
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store });
    await auth.storeCredentials('hostile', 'one', new Credentials({ accessToken: 'valid-token', expiresAt: new Date(Date.now() + 3_600_000) }));
    store.gets = 0;
    const session = auth.session('one');
    const tokens = await Promise.all(Array.from({ length: 100 }, () => session.accessToken('hostile')));
    expect(new Set(tokens)).toEqual(new Set(['valid-token']));
    expect(store.gets).toBe(1);
    // Held now: no further read.
    await session.accessToken('hostile');
    expect(store.gets).toBe(1);
  });

  it('a session whose load failed (nothing stored) reads again on its next call and finds what was stored since', async () => {
    const store = new CountingStore();
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store });
    const session = auth.session('later');
    const first = await Promise.allSettled([session.accessToken('hostile'), session.accessToken('hostile')]);
    expect(first.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(['CREDENTIALS_NOT_FOUND', 'CREDENTIALS_NOT_FOUND']);
    await auth.storeCredentials('hostile', 'later', new Credentials({ accessToken: 'stored-later', expiresAt: new Date(Date.now() + 3_600_000) }));
    await expect(session.accessToken('hostile')).resolves.toBe('stored-later');
    await expect(session.credentials('hostile')).resolves.toMatchObject({ accessToken: 'stored-later' });
  });
});

describe('concurrent sessions share one store read for accessToken(), and each holds what it read', () => {
  it('each open session answers its next call without a read; a session disposed while waiting throws SESSION_CLOSED', async () => {
    const store = new CountingStore();
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store });
    await auth.storeCredentials('hostile', 'shared', new Credentials({ accessToken: 'held-token', expiresAt: new Date(Date.now() + 3_600_000) }));
    store.gets = 0;
    const sessions = Array.from({ length: 50 }, () => auth.session('shared'));
    const pending = sessions.map((s) => s.accessToken('hostile'));
    sessions[7]!.dispose();
    expect(await Promise.all(pending)).toEqual(sessions.map(() => 'held-token'));
    expect(store.gets).toBe(1);
    const again = await Promise.all(sessions.filter((_, i) => i !== 7).map((s) => s.accessToken('hostile')));
    expect(new Set(again)).toEqual(new Set(['held-token']));
    expect(store.gets).toBe(1);
    await expect(sessions[7]!.accessToken('hostile')).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    await expect(sessions[7]!.credentials('hostile')).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('a refresh forced in one of them is what the others hand out next (the one record they read)', async () => {
    const store = new CountingStore();
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store });
    await auth.storeCredentials('hostile', 'forced', new Credentials({ accessToken: 'before', refreshToken: 'rt', expiresAt: new Date(Date.now() + 3_600_000) }));
    const [a, b] = [auth.session('forced'), auth.session('forced')];
    expect(await Promise.all([a.accessToken('hostile'), b.accessToken('hostile')])).toEqual(['before', 'before']);
    server.answer({ body: { access_token: 'after', token_type: 'Bearer', expires_in: 3600 } });
    await a.refresh('hostile');
    expect(await Promise.all([a.accessToken('hostile'), b.accessToken('hostile')])).toEqual(['after', 'after']);
    // A session that read on its own keeps its own entry.
    const c = auth.session('forced');
    await expect(c.accessToken('hostile')).resolves.toBe('after');
  });

  it('withSession disposes every session once its function settles, however the function is written', async () => {
    const store = new CountingStore();
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store });
    await auth.storeCredentials('hostile', 'scoped', new Credentials({ accessToken: 'scoped-token', expiresAt: new Date(Date.now() + 3_600_000) }));
    const shapes: Array<(s: Session) => Promise<string>> = [
      (s) => s.accessToken('hostile'),
      async (s) => s.accessToken('hostile'),
      (s) => s.accessToken('hostile').then((t) => t),
    ];
    const seen: Session[] = [];
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => auth.withSession('scoped', (s) => { seen.push(s); return shapes[i % 3]!(s); })));
    expect(new Set(tokens)).toEqual(new Set(['scoped-token']));
    const after = await Promise.allSettled(seen.map((s) => s.accessToken('hostile')));
    expect(after.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(seen.map(() => 'SESSION_CLOSED'));
    // A failed load disposes them too.
    const failed: Session[] = [];
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => auth.withSession('nobody', (s) => { failed.push(s); return s.accessToken('hostile'); })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await expect(failed[0]!.accessToken('hostile')).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('nothing stored: every waiting session gets CREDENTIALS_NOT_FOUND naming the provider', async () => {
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })], store: new CountingStore() });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => auth.withSession('nobody', (s) => s.accessToken('hostile'))));
    expect(results.map((r) => r.status === 'rejected' && (r.reason as { code?: string; provider?: string }).code)).toEqual(results.map(() => 'CREDENTIALS_NOT_FOUND'));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { provider?: string }).provider === 'hostile')).toBe(true);
  });
});

describe('session.refresh() of expired withCredentials credentials', () => {
  it('makes one token request, not a refresh on load and another for the refresh', async () => {
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })] });
    server.answer({ body: { access_token: 'refreshed-once', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-next' } });
    const session = auth.session('given', { withCredentials: { hostile: { accessToken: 'expired', refreshToken: 'rt', expiresAt: new Date(Date.now() - 1000) } } });
    const before = server.count('/token');
    await expect(session.refresh('hostile')).resolves.toMatchObject({ accessToken: 'refreshed-once' });
    expect(server.count('/token') - before).toBe(1);
    await expect(session.accessToken('hostile')).resolves.toBe('refreshed-once');
    expect(server.count('/token') - before).toBe(1);
  });
});

describe('regression: storeCredentials(exchangeResult) could store a result under another provider', () => {
  it('is CONFIGURATION when the result is of another provider', async () => {
    const auth = new AuthManager({ providers: [hostile({ origin: server.origin })] });
    const result = { provider: 'github', subject: 's', credentials: new Credentials({ accessToken: 'a' }) };
    await expect(auth.storeCredentials('hostile', 's', result)).rejects.toMatchObject({ code: 'CONFIGURATION' });
    expect(await auth.loadCredentials('hostile', 's')).toBeUndefined();
  });
});
