// Connection lifecycle against the sandbox authorization server (oidc-provider on loopback): the
// verbs, the persisted status with its cooldown, and the events.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AuthManager, AuthManagerError, Credentials, MemoryCredentialStore, Session, defineProvider, type AuthEventMap, type AuthEventName,
} from '@authmanager/core';
import { startSandboxProvider, type SandboxProvider } from '../src/sandbox/sandboxServer.js';
import { sandbox } from '../src/sandbox/provider.js';
import { followAuthorization } from '../src/followAuthorization.js';
import { hostile, startHostileProvider, type HostileProvider } from './hostileProvider.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let server: SandboxProvider;
beforeAll(async () => { server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT] }); });
afterAll(async () => { await server.close(); });

function manager(options: { now?: () => number; store?: MemoryCredentialStore } = {}) {
  return new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], ...options });
}

/** Records every event, and checks that no payload holds a secret. */
function recorder(auth: ReturnType<typeof manager>) {
  const seen: Array<{ name: AuthEventName; payload: AuthEventMap[AuthEventName] }> = [];
  for (const name of ['connected', 'refreshed', 'refreshFailed', 'reauthorizationRequired', 'recovered', 'disconnected', 'refreshTokenExpiring'] as const) {
    auth.on(name, (payload) => { seen.push({ name, payload }); });
  }
  return seen;
}

async function authorizeAndCallback(auth: ReturnType<typeof manager>, subject: string): Promise<URL> {
  const { url } = await auth.sandbox.oauth2.authorize({ subject, params: { login_hint: subject } });
  return followAuthorization(url, REDIRECT);
}

describe('auth.completeAuthorization: the pending record knows the provider', () => {
  let auth: ReturnType<typeof manager>;
  let events: ReturnType<typeof recorder>;
  let result: Awaited<ReturnType<ReturnType<typeof manager>['completeAuthorization']>>;
  beforeAll(async () => {
    auth = manager();
    events = recorder(auth);
    result = await auth.completeAuthorization({ callbackUrl: await authorizeAndCallback(auth, 'user-c') });
  });
  it('returns provider, subject and account, and stores the credential', async () => {
    expect(result).toMatchObject({ provider: 'sandbox', subject: 'user-c', account: { id: 'user-c' } });
    expect((await auth.loadCredentials('sandbox', 'user-c'))?.accessToken).toBe(result.credentials.accessToken);
  });
  it('emits connected with the account and no secret', () => {
    const connected = events.filter((e) => e.name === 'connected');
    expect(connected).toHaveLength(1);
    expect(connected[0]!.payload).toMatchObject({ provider: 'sandbox', subject: 'user-c', connection: 'default', account: { id: 'user-c' } });
    const text = JSON.stringify(events);
    expect(text).not.toContain(result.credentials.accessToken);
    expect(text).not.toContain(result.credentials.refreshToken!);
  });
  it('an unknown state is INVALID_STATE, a malformed URL too', async () => {
    await expect(auth.completeAuthorization({ callbackUrl: `${REDIRECT}?code=x&state=nope` })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(auth.completeAuthorization({ callbackUrl: 'nope' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
  it('sessions open synchronously', () => {
    const session = auth.session('user-c');
    expect(session).toBeInstanceOf(Session);
    session.dispose();
  });
});

describe('auth.disconnect revokes where it can and deletes', () => {
  it('revokes at the provider, deletes, emits disconnected; a second call finds nothing', async () => {
    const auth = manager();
    const events = recorder(auth);
    const { credentials } = await auth.completeAuthorization({ callbackUrl: await authorizeAndCallback(auth, 'user-d') });
    expect(await auth.disconnect('sandbox', 'user-d')).toEqual({ existed: true, revoked: true });
    expect(await auth.loadCredentials('sandbox', 'user-d')).toBeUndefined();
    expect((await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${credentials.accessToken}` } })).status).toBe(401);
    expect(events.filter((e) => e.name === 'disconnected').map((e) => e.payload)).toEqual([expect.objectContaining({ provider: 'sandbox', subject: 'user-d', revoked: true })]);
    expect(await auth.disconnect('sandbox', 'user-d')).toEqual({ existed: false, revoked: false });
  });
  it('deletes even when revocation fails, and says why', async () => {
    const auth = manager();
    await auth.completeAuthorization({ callbackUrl: await authorizeAndCallback(auth, 'user-d2') });
    server.failNext('revocation', { status: 503 });
    expect(await auth.disconnect('sandbox', 'user-d2')).toEqual({ existed: true, revoked: false, revocationErrorCode: 'PROVIDER_UNAVAILABLE' });
    expect(await auth.loadCredentials('sandbox', 'user-d2')).toBeUndefined();
  });
});

describe('status every process sees, with a failure cooldown', () => {
  let now = Date.now();
  const store = new MemoryCredentialStore();
  let auth: ReturnType<typeof manager>;
  let events: ReturnType<typeof recorder>;
  beforeAll(async () => {
    auth = manager({ now: () => now, store });
    events = recorder(auth);
    await auth.completeAuthorization({ callbackUrl: await authorizeAndCallback(auth, 'user-s') });
  });

  it('connections() lists an active connection with its scopes, expiry and when it was connected', async () => {
    const [c, ...rest] = await auth.connections('user-s');
    expect(rest).toHaveLength(0);
    expect(c).toMatchObject({ provider: 'sandbox', connection: 'default', status: 'active', account: { id: 'user-s' } });
    expect(c!.scopes).toContain('offline_access');
    expect(c!.expiresAt!.getTime()).toBeGreaterThan(now);
    expect(c!.connectedAt!.getTime()).toBe(now);
    expect(await auth.connections('nobody')).toEqual([]);
  });

  it('an HTTP 503 on refresh is refresh_failed with a backoff: callers fail fast, no token request, then it recovers', async () => {
    now += 2 * 3600_000; // the access token is expired
    server.failNext('token', { status: 503 });
    const before = server.requestCount('token:refresh_token');
    await expect(auth.withSession('user-s', (s) => s.accessToken('sandbox'))).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    const err = await auth.withSession('user-s', (s) => s.accessToken('sandbox')).catch((e: unknown) => e as AuthManagerError);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 });
    expect(server.requestCount('token:refresh_token') - before).toBe(1);
    const [c] = await auth.connections('user-s');
    expect(c).toMatchObject({ status: 'refresh_failed', lastErrorCode: 'PROVIDER_UNAVAILABLE' });
    now += 1500; // past the first backoff
    const token = await auth.withSession('user-s', (s) => s.accessToken('sandbox'));
    expect(typeof token).toBe('string');
    expect(server.requestCount('token:refresh_token') - before).toBe(2);
    expect((await auth.connections('user-s'))[0]).toMatchObject({ status: 'active', lastRefreshedAt: new Date(now) });
    expect(events.map((e) => e.name)).toEqual(expect.arrayContaining(['refreshFailed', 'refreshed', 'recovered']));
  });

  it('invalid_grant is reauthorization_required: no provider call until the cooldown passes, then one try', async () => {
    await server.revokeGrantsFor('user-s');
    now += 2 * 3600_000;
    const before = server.requestCount('token:refresh_token');
    for (let i = 0; i < 5; i++) {
      await expect(auth.withSession('user-s', (s) => s.accessToken('sandbox'))).rejects.toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    }
    expect(server.requestCount('token:refresh_token') - before).toBe(1);
    expect((await auth.connections('user-s'))[0]).toMatchObject({ status: 'reauthorization_required', lastErrorCode: 'REAUTHORIZATION_REQUIRED' });
    expect(events.filter((e) => e.name === 'reauthorizationRequired')).toHaveLength(1);
    now += 31_000; // the default cooldown is 30 s
    await expect(auth.withSession('user-s', (s) => s.accessToken('sandbox'))).rejects.toMatchObject({ code: 'REAUTHORIZATION_REQUIRED' });
    expect(server.requestCount('token:refresh_token') - before).toBe(2);
  });

  it('connecting again makes it active', async () => {
    await auth.completeAuthorization({ callbackUrl: await authorizeAndCallback(auth, 'user-s') });
    expect((await auth.connections('user-s'))[0]!.status).toBe('active');
  });
});

describe('events never break a flow', () => {
  it('a throwing and a rejecting listener are reported to onListenerError, and the refresh still works', async () => {
    const reported: string[] = [];
    const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], onListenerError: (_e, name) => { reported.push(name); } });
    auth.on('connected', () => { throw new Error('listener bug'); });
    auth.on('refreshed', async () => { throw new Error('async listener bug'); });
    await auth.completeAuthorization({ callbackUrl: await authorizeAndCallback(auth, 'user-e') });
    const refreshed = await auth.withSession('user-e', (s) => s.refresh('sandbox'));
    expect(refreshed.accessToken).toBeDefined();
    await new Promise((r) => setImmediate(r));
    expect(reported).toEqual(['connected', 'refreshed']);
  });
  it('a removed listener is not called', async () => {
    const auth = manager();
    let calls = 0;
    const off = auth.on('connected', () => { calls++; });
    off();
    await auth.storeCredentials('sandbox', 'x', new Credentials({ accessToken: 'a' }));
    expect(calls).toBe(0);
  });
});

describe('refresh-token expiry is tracked from the response and signalled ahead of time', () => {
  let hostileServer: HostileProvider;
  beforeAll(async () => { hostileServer = await startHostileProvider(); });
  afterAll(async () => { await hostileServer.close(); });
  it('refresh_token_expires_in sets refreshTokenExpiresAt, shown by connections(); refreshTokenExpiring fires within the window', async () => {
    const auth = new AuthManager({ providers: [hostile({ origin: hostileServer.origin })] });
    const expiring: Array<AuthEventMap['refreshTokenExpiring']> = [];
    auth.on('refreshTokenExpiring', (e) => { expiring.push(e); });
    await auth.storeCredentials('hostile', 'u', new Credentials({ accessToken: 'old', refreshToken: 'rt', expiresAt: new Date(Date.now() - 1000) }));
    hostileServer.answer({ body: { access_token: 'new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt2', refresh_token_expires_in: 86_400 } });
    const started = Date.now();
    await auth.withSession('u', (s) => s.accessToken('hostile'));
    const [c] = await auth.connections('u');
    expect(c!.refreshTokenExpiresAt!.getTime() - started).toBeGreaterThanOrEqual(86_399_000);
    expect(c!.refreshTokenExpiresAt!.getTime() - started).toBeLessThan(86_500_000);
    expect(expiring).toHaveLength(1);
    expect(expiring[0]!.refreshTokenExpiresAt).toEqual(c!.refreshTokenExpiresAt);
  });
});

describe('the record format is versioned: records written before connection state still read', () => {
  it('a version-1 record reads as an active connection', async () => {
    const auth = manager();
    await auth.store.set({ kind: 'credentials', provider: 'sandbox', subject: 'old' }, JSON.stringify({ v: 1, at: 'at-v1', tt: 'Bearer', rt: 'rt-v1', exp: Date.now() + 3600_000, iat: Date.now(), x: {}, raw: {} }));
    expect(await auth.withSession('old', (s) => s.accessToken('sandbox'))).toBe('at-v1');
    expect((await auth.connections('old'))[0]).toMatchObject({ provider: 'sandbox', status: 'active' });
  });
});

describe('several accounts of one provider per subject: connection labels', () => {
  let auth: ReturnType<typeof manager>;
  let events: ReturnType<typeof recorder>;
  let work: Awaited<ReturnType<ReturnType<typeof manager>['completeAuthorization']>>;
  let personal: Awaited<ReturnType<ReturnType<typeof manager>['completeAuthorization']>>;
  beforeAll(async () => {
    auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], labelledConnections: true });
    events = recorder(auth);
    const connect = async (login: string, connection?: string) => {
      const { url } = await auth.sandbox.oauth2.authorize({ subject: 'multi', params: { login_hint: login }, ...(connection ? { connection } : {}) });
      return auth.completeAuthorization({ callbackUrl: await followAuthorization(url, REDIRECT) });
    };
    personal = await connect('alice');
    work = await connect('alice-at-work', 'work');
  });

  it('each is stored under its own label, with its own account (no ACCOUNT_MISMATCH between them)', async () => {
    expect(personal).toMatchObject({ connection: 'default', account: { id: 'alice' } });
    expect(work).toMatchObject({ connection: 'work', account: { id: 'alice-at-work' } });
    expect((await auth.loadCredentials('sandbox', 'multi'))?.accessToken).toBe(personal.credentials.accessToken);
    expect((await auth.loadCredentials('sandbox', 'multi', { connection: 'work' }))?.accessToken).toBe(work.credentials.accessToken);
  });
  it('connections() lists both, each with its label and account', async () => {
    const listed = (await auth.connections('multi')).map((c) => ({ connection: c.connection, account: c.account?.id, status: c.status }));
    expect(listed).toEqual(expect.arrayContaining([
      { connection: 'default', account: 'alice', status: 'active' },
      { connection: 'work', account: 'alice-at-work', status: 'active' },
    ]));
    expect(listed).toHaveLength(2);
  });
  it('a session uses the connection it is given, and refreshes it under its own label', async () => {
    const token = await auth.withSession('multi', (s) => s.accessToken('sandbox'), { connections: { sandbox: 'work' } });
    expect(token).toBe(work.credentials.accessToken);
    const refreshed = await auth.withSession('multi', (s) => s.refresh('sandbox'), { connections: { sandbox: 'work' } });
    expect((await auth.loadCredentials('sandbox', 'multi', { connection: 'work' }))?.accessToken).toBe(refreshed.accessToken);
    expect((await auth.loadCredentials('sandbox', 'multi'))?.accessToken).toBe(personal.credentials.accessToken);
    expect(events.filter((e) => e.name === 'refreshed').map((e) => e.payload.connection)).toEqual(['work']);
  });
  it('events carry the label', () => {
    expect(events.filter((e) => e.name === 'connected').map((e) => e.payload.connection)).toEqual(['default', 'work']);
  });
  it('disconnecting one leaves the other', async () => {
    expect(await auth.disconnect('sandbox', 'multi', { connection: 'work' })).toMatchObject({ existed: true, revoked: true });
    expect((await auth.connections('multi')).map((c) => c.connection)).toEqual(['default']);
  });
  it('a label outside 1–64 of letters, digits, ".", "_", "-" is CONFIGURATION, and so is a provider id with "#"', async () => {
    await expect(auth.sandbox.oauth2.authorize({ subject: 'multi', connection: 'no spaces' })).rejects.toMatchObject({ code: 'CONFIGURATION' });
    const definition = sandbox({ issuer: server.issuer }).definition;
    expect(() => new AuthManager({ providers: [defineProvider({ ...definition, id: 'a#b' })()] })).toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
  });
});

describe('typing a manager', () => {
  it('type Auth = typeof auth is enough to pass a typed manager around', async () => {
    const auth = manager();
    type Auth = typeof auth;
    // `auth.sandbox`, its flow and `session.sandbox` stay typed through the alias (tsc checks this file).
    const start = (a: Auth, subject: string) => a.sandbox.oauth2.authorize({ subject, params: { login_hint: subject } });
    const token = (a: Auth, subject: string) => a.withSession(subject, (s) => s.sandbox.accessToken());
    const { url } = await start(auth, 'typed');
    await auth.completeAuthorization({ callbackUrl: await followAuthorization(url, REDIRECT) });
    expect(typeof await token(auth, 'typed')).toBe('string');
  });
});
