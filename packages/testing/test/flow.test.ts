import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import {
  AuthManager, AuthManagerError, Credentials, MemoryCredentialStore, defineProvider, jsonCredentialCodec, oauthClientFields,
  type AppCredentialFields, type ProviderDefinition,
} from '@authmanager/core';
import { startSandboxProvider, type SandboxProvider } from '../src/sandbox/sandboxServer.js';
import { sandbox } from '../src/sandbox/provider.js';
import { followAuthorization } from '../src/followAuthorization.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let server: SandboxProvider;

beforeAll(async () => {
  server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT], accessTokenTtlSeconds: 3600 });
});
afterAll(async () => { await server.close(); });

function manager(options: { now?: () => number; store?: MemoryCredentialStore; requestTimeoutMs?: number } = {}) {
  return new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], ...options });
}

/** authorize → follow → exchange → store, for `subject`. */
async function connect(auth: ReturnType<typeof manager>, subject: string): Promise<Credentials<object>> {
  const { url } = await auth.sandbox.oauth2.authorize({ subject, params: { login_hint: subject } });
  const callbackUrl = await followAuthorization(url, REDIRECT);
  const result = await auth.sandbox.oauth2.exchange({ callbackUrl });
  await auth.storeCredentials('sandbox', result.subject, result);
  return result.credentials;
}

describe('the whole flow against the sandbox', () => {
  it('authorize → exchange → store → session → fetch → refresh → revoke', async () => {
    const auth = manager();
    const { url, state } = await auth.sandbox.oauth2.authorize({ subject: 'user-123', scopes: ['openid', 'offline_access', 'api:read'], params: { login_hint: 'user-123' } });
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(Buffer.from(state, 'base64url').length).toBeGreaterThanOrEqual(16);

    const callbackUrl = await followAuthorization(url, REDIRECT);
    const result = await auth.sandbox.oauth2.exchange({ callbackUrl });
    expect(result.subject).toBe('user-123');
    expect(result.credentials.refreshToken).toBeTruthy();
    expect(result.credentials.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    await auth.storeCredentials('sandbox', 'user-123', result.credentials);
    expect(await auth.account('sandbox', 'user-123')).toEqual({ id: 'user-123', label: 'user-123' });

    await using session = await auth.session('user-123');
    const token = await session.accessToken('sandbox');
    expect(token).toBe(result.credentials.accessToken);
    const me = await (await session.fetch('sandbox', '/api/me')).json() as { sub: string };
    expect(me.sub).toBe('user-123');

    server.resetCounts();
    const refreshed = await session.refresh('sandbox');
    expect(server.requestCount('token:refresh_token')).toBe(1);
    expect(refreshed.accessToken).not.toBe(token);
    expect((await auth.loadCredentials('sandbox', 'user-123'))!.accessToken).toBe(refreshed.accessToken);
    expect(refreshed.scopes).toEqual(result.credentials.scopes);

    expect(await auth.sandbox.oauth2.revoke({ subject: 'user-123' })).toBe(true);
    expect(await auth.loadCredentials('sandbox', 'user-123')).toBeUndefined();
    expect((await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${refreshed.accessToken}` } })).status).toBe(401);
    expect((await auth.sandbox.oauth2.introspect(refreshed.refreshToken!)).active).toBe(false);
  });

  it('exchange with { code, state } and complete() store under the subject', async () => {
    const auth = manager();
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'user-cs', params: { login_hint: 'user-cs' } });
    const cb = await followAuthorization(url, REDIRECT);
    await auth.sandbox.oauth2.complete({ code: cb.searchParams.get('code')!, state: cb.searchParams.get('state')!, iss: cb.searchParams.get('iss')! });
    expect(await auth.loadCredentials('sandbox', 'user-cs')).toBeInstanceOf(Credentials);
  });

  it('regression: RFC 9207 was off for exchange({ code, state }): a missing iss is refused when the server announces it', async () => {
    const auth = manager();
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'user-iss', params: { login_hint: 'user-iss' } });
    const cb = await followAuthorization(url, REDIRECT);
    await expect(auth.sandbox.oauth2.exchange({ code: cb.searchParams.get('code')!, state: cb.searchParams.get('state')! }))
      .rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('iss') });
  });

  it('regression: RFC 9207 was off for exchange({ code, state }): an iss naming another server is refused before the code is sent', async () => {
    const auth = manager();
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'user-iss2', params: { login_hint: 'user-iss2' } });
    const cb = await followAuthorization(url, REDIRECT);
    const before = server.requestCount('token:authorization_code');
    await expect(auth.sandbox.oauth2.exchange({ code: cb.searchParams.get('code')!, state: cb.searchParams.get('state')!, iss: 'https://attacker.example' }))
      .rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(server.requestCount('token:authorization_code')).toBe(before);
  });
});

describe('the sandbox provider asks for what a standard server needs (regression: the sandbox server added prompt=consent silently)', () => {
  let withOffline: URL;
  let withoutOffline: URL;
  beforeAll(async () => {
    const auth = manager();
    withOffline = (await auth.sandbox.oauth2.authorize({ subject: 'p' })).url;
    withoutOffline = (await auth.sandbox.oauth2.authorize({ subject: 'p', scopes: ['openid', 'api:read'] })).url;
  });
  it('sends prompt=consent when offline_access is requested (OpenID Connect Core §11)', () => {
    expect(withOffline.searchParams.get('scope')?.split(' ')).toContain('offline_access');
    expect(withOffline.searchParams.get('prompt')).toBe('consent');
  });
  it('sends no prompt without offline_access', () => {
    expect(withoutOffline.searchParams.has('prompt')).toBe(false);
  });
});

describe('state checks', () => {
  let auth: ReturnType<typeof manager>;
  beforeAll(() => { auth = manager(); });
  async function callback(): Promise<URL> {
    const { url } = await auth.sandbox.oauth2.authorize({ subject: 'victim' });
    return followAuthorization(url, REDIRECT);
  }
  async function expectRejected(run: () => Promise<unknown>) {
    await expect(run()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await auth.loadCredentials('sandbox', 'victim')).toBeUndefined();
  }
  it('rejects a tampered state', async () => {
    const cb = await callback();
    cb.searchParams.set('state', `${cb.searchParams.get('state')}x`);
    await expectRejected(() => auth.sandbox.oauth2.complete({ callbackUrl: cb }));
  });
  it('rejects a replayed state', async () => {
    const cb = await callback();
    await auth.sandbox.oauth2.exchange({ callbackUrl: cb });
    await expectRejected(() => auth.sandbox.oauth2.complete({ callbackUrl: cb }));
  });
  it('rejects an expired state', async () => {
    let now = Date.now();
    const timed = manager({ now: () => now });
    const { url } = await timed.sandbox.oauth2.authorize({ subject: 'victim' });
    const cb = await followAuthorization(url, REDIRECT);
    now += 11 * 60_000;
    await expect(timed.sandbox.oauth2.complete({ callbackUrl: cb })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await timed.loadCredentials('sandbox', 'victim')).toBeUndefined();
  });
  it('rejects a state issued for another provider', async () => {
    const fields = { ...oauthClientFields('OTHER') } satisfies AppCredentialFields;
    const other = defineProvider({
      id: 'other', displayName: 'Other', appCredentials: fields,
      oauth2: { server: () => ({ issuer: server.issuer, discovery: true }), clientAuthentication: 'client_secret_basic' },
    } satisfies ProviderDefinition<'other', typeof fields>);
    const store = new MemoryCredentialStore();
    const both = new AuthManager({
      store,
      providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT }), other({ clientId: server.clientId, clientSecret: server.clientSecret, redirectUri: REDIRECT })],
    });
    const { url } = await both.sandbox.oauth2.authorize({ subject: 'victim' });
    const cb = await followAuthorization(url, REDIRECT);
    await expect(both.other.oauth2.complete({ callbackUrl: cb })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await both.loadCredentials('other', 'victim')).toBeUndefined();
    // and the state is burnt for its own provider too
    await expect(both.sandbox.oauth2.complete({ callbackUrl: cb })).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
  it('reports a denied authorization as AUTHORIZATION_DENIED', async () => {
    const { state } = await auth.sandbox.oauth2.authorize({ subject: 'victim' });
    const cb = new URL(`${REDIRECT}?error=access_denied&error_description=nope&state=${state}&iss=${encodeURIComponent(server.issuer)}`);
    await expect(auth.sandbox.oauth2.complete({ callbackUrl: cb })).rejects.toMatchObject({ code: 'AUTHORIZATION_DENIED', error: 'access_denied' });
  });
});

describe('single-flight refresh', () => {
  it('200 concurrent accessToken() calls on an expired credential make exactly 1 token request', async () => {
    let now = Date.now();
    const auth = manager({ now: () => now });
    const original = await connect(auth, 'sf-user');
    now = original.expiresAt!.getTime() + 1_000; // expired
    server.resetCounts();
    const tokens = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      await using session = await auth.session('sf-user');
      void i;
      return session.accessToken('sandbox');
    }));
    expect(server.requestCount('token')).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(original.accessToken);
    expect((await auth.loadCredentials('sandbox', 'sf-user'))!.accessToken).toBe(tokens[0]);
  });
});

describe('failed refresh leaves the stored credential as it was', () => {
  let now = Date.now();
  const store = new MemoryCredentialStore();
  let auth: ReturnType<typeof manager>;
  let before: string;
  beforeAll(() => { auth = manager({ now: () => now, store, requestTimeoutMs: 500 }); });
  beforeEach(async () => {
    now = Date.now();
    await connect(auth, 'fail-user');
    before = (await store.get({ kind: 'credentials', provider: 'sandbox', subject: 'fail-user' }))!.value;
    now += 2 * 3600_000;
  });
  // The tokens, scopes and expiry stay exactly as they were; only the connection state records the failure.
  async function expectUnchanged() {
    const { connection: _after, ...after } = jsonCredentialCodec.decode((await store.get({ kind: 'credentials', provider: 'sandbox', subject: 'fail-user' }))!.value).toInit();
    const { connection: _before, ...was } = jsonCredentialCodec.decode(before).toInit();
    expect(after).toEqual(was);
    expect(_after?.status).not.toBe('active');
  }
  it('invalid_grant → REAUTHORIZATION_REQUIRED', async () => {
    await server.revokeGrantsFor('fail-user');
    await using session = await auth.session('fail-user');
    const err = await session.accessToken('sandbox').catch((e: unknown) => e);
    expect(AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')).toBe(true);
    expect((err as AuthManagerError).error).toBe('invalid_grant');
    await expectUnchanged();
  });
  it('HTTP 503 → PROVIDER_UNAVAILABLE', async () => {
    server.failNext('token', { status: 503 });
    await using session = await auth.session('fail-user');
    await expect(session.accessToken('sandbox')).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', status: 503 });
    await expectUnchanged();
  });
  it('timeout → PROVIDER_UNAVAILABLE', async () => {
    server.failNext('token', { delayMs: 2_000 });
    await using session = await auth.session('fail-user');
    await expect(session.accessToken('sandbox')).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await expectUnchanged();
  });
});

describe('secrets stay out of output', () => {
  it('errors and credentials print no token or client secret', async () => {
    const auth = manager();
    const creds = await connect(auth, 'leak-user');
    server.failNext('token', { status: 400, body: { error: 'invalid_grant', error_description: 'grant expired' } });
    let now = Date.now() + 2 * 3600_000;
    const timed = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: REDIRECT })], store: auth.store, now: () => now });
    const err = await timed.withSession('leak-user', (s) => s.accessToken('sandbox')).catch((e: unknown) => e);
    expect(AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')).toBe(true);
    const texts = [inspect(err, { depth: 8 }), JSON.stringify(err), String(err), inspect(creds, { depth: 8 }), JSON.stringify(creds)];
    for (const text of texts) {
      expect(text).not.toContain(creds.accessToken);
      expect(text).not.toContain(creds.refreshToken!);
      expect(text).not.toContain(server.clientSecret);
    }
    void now;
  });
});

describe('afterExchange hook', () => {
  it('merges the extras it returns into the exchanged credentials, and a failure fails the exchange typed', async () => {
    const fields = { ...oauthClientFields('HOOKED') } satisfies AppCredentialFields;
    let fail = false;
    const hooked = defineProvider({
      id: 'hooked', displayName: 'Hooked', appCredentials: fields,
      oauth2: {
        server: () => ({ issuer: server.issuer, discovery: true }),
        clientAuthentication: 'client_secret_basic',
        defaultScopes: ['api:read'],
        hooks: {
          afterExchange: async (credentials, ctx) => {
            if (fail) throw new Error('lookup failed');
            const me = await ctx.fetch(`${server.issuer}/api/me`, { headers: { authorization: `Bearer ${credentials.accessToken}` } });
            return { upstream_sub: ((await me.json()) as { sub: string }).sub };
          },
        },
      },
    } satisfies ProviderDefinition<'hooked', typeof fields>);
    const auth = new AuthManager({ providers: [hooked({ clientId: server.clientId, clientSecret: server.clientSecret, redirectUri: REDIRECT })] });
    const first = await auth.hooked.oauth2.authorize({ subject: 'h', params: { login_hint: 'hook-user' } });
    const { credentials } = await auth.hooked.oauth2.exchange({ callbackUrl: await followAuthorization(first.url, REDIRECT) });
    expect(credentials.extras).toMatchObject({ upstream_sub: 'hook-user' });
    fail = true;
    const second = await auth.hooked.oauth2.authorize({ subject: 'h', params: { login_hint: 'hook-user' } });
    await expect(auth.hooked.oauth2.complete({ callbackUrl: await followAuthorization(second.url, REDIRECT) })).rejects.toMatchObject({ code: 'TOKEN_EXCHANGE_FAILED' });
    expect(await auth.loadCredentials('hooked', 'h')).toBeUndefined();
  });
});
