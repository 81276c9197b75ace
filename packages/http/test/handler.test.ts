import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AuthManagerError, defineProvider, oauthClientFields, type ProviderDefinition } from '@authmanager/core';
import { followAuthorization } from '@authmanager/testing';
import { createConnectHandler, CsrfTokens, ReturnToPolicy, type ConnectHandler } from '../src/index.js';
import { Client, SECRET, startWorld, subjectFromCookie, type Answer, type World } from './support.js';

const ORIGIN = 'http://app.test';

/** A provider that needs app credentials that are not set (`ACME_CLIENT_ID`, `ACME_CLIENT_SECRET`). */
const acme = defineProvider({
  id: 'acme',
  displayName: 'Acme',
  appCredentials: { ...oauthClientFields('ACME') },
  oauth2: {
    server: () => ({ authorizationEndpoint: 'https://acme.invalid/authorize', tokenEndpoint: 'https://acme.invalid/token' }),
    clientAuthentication: 'client_secret_basic',
  },
} satisfies ProviderDefinition<'acme'>);

function errorOf(answer: Answer): { code: string; message: string; retryable: boolean; provider?: string; oauthError?: string } {
  return (JSON.parse(answer.text) as { error: { code: string; message: string; retryable: boolean } }).error;
}

describe('connect routes: the authorization round trip', () => {
  let world: World;
  let handler: ConnectHandler;
  let connected: { provider: string; subject: string; account?: { id: string } }[];

  beforeAll(async () => {
    world = await startWorld({ extra: [acme()] });
    world.allow(ORIGIN);
    connected = [];
    handler = world.handler({
      returnTo: { allowed: ['/settings'], default: '/settings' },
      onConnected: ({ provider, subject, account }) => { connected.push({ provider, subject, ...(account ? { account } : {}) }); },
    });
  });
  afterAll(() => world.close());
  beforeEach(async () => {
    await world.auth.deleteCredentials('sandbox', 'alice');
    connected.length = 0;
  });

  it('GET /:provider/connect redirects (303) to the provider with state and PKCE S256, no store write visible to the client', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const answer = await client.get('/connect/sandbox/connect');
    const location = new URL(answer.location!);

    expect(answer.status).toBe(303);
    expect(location.origin).toBe(world.sandbox.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('redirect_uri')).toBe(`${ORIGIN}/connect/sandbox/callback`);
    expect(location.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('the callback stores the credential under the subject that started the flow, calls onConnected and redirects to returnTo with ?connected=', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const answer = await client.connect('sandbox', `?returnTo=${encodeURIComponent('/settings/integrations?tab=2')}`);

    expect(answer).toMatchObject({ status: 303, location: '/settings/integrations?tab=2&connected=sandbox' });
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
    expect(connected).toEqual([{ provider: 'sandbox', subject: 'alice', account: expect.objectContaining({ id: 'sandbox-user' }) }]);
    expect([...client.cookies.keys()].filter((k) => k.startsWith('authmanager_return_'))).toEqual([]); // the returnTo cookie is cleared
  });

  it('the callback does not need the app session: the subject comes from the pending state', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const started = await client.get('/connect/sandbox/connect');
    const callback = await followAuthorization(started.location!, `${ORIGIN}/connect/sandbox/callback`);
    client.cookies.delete('user'); // a SameSite=Strict session cookie is not sent on the way back

    const answer = await client.get(callback.href);

    expect(answer).toMatchObject({ status: 303, location: '/settings?connected=sandbox' });
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
  });

  it('a replayed callback redirects with error=INVALID_STATE and stores nothing', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const started = await client.get('/connect/sandbox/connect');
    const callback = await followAuthorization(started.location!, `${ORIGIN}/connect/sandbox/callback`);
    await client.get(callback.href);
    await world.auth.deleteCredentials('sandbox', 'alice');

    const replay = await client.get(callback.href);

    expect(replay).toMatchObject({ status: 303, location: '/settings?error=INVALID_STATE&provider=sandbox' });
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeUndefined();
  });

  it('a state issued for one provider is refused at another provider\'s callback before anything is exchanged (mix-up)', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const started = await client.get('/connect/sandbox/connect');
    const callback = await followAuthorization(started.location!, `${ORIGIN}/connect/sandbox/callback`);
    const tokenRequestsBefore = world.sandbox.requestCount('token');

    const answer = await client.get(`/connect/other/callback${callback.search}`);

    expect(answer).toMatchObject({ status: 303, location: '/settings?error=INVALID_STATE&provider=other' });
    expect(world.sandbox.requestCount('token')).toBe(tokenRequestsBefore);
    expect(await world.auth.loadCredentials('other', 'alice')).toBeUndefined();
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeUndefined();
  });

  it('a denied consent redirects with error=AUTHORIZATION_DENIED&oauth_error=access_denied, never the error_description', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const started = await client.get('/connect/sandbox/connect');
    const state = new URL(started.location!).searchParams.get('state')!;
    const query = new URLSearchParams({ error: 'access_denied', error_description: 'free text 7c1e', state, iss: world.sandbox.issuer });

    const answer = await client.get(`/connect/sandbox/callback?${query}`);

    expect(answer).toMatchObject({ status: 303, location: '/settings?error=AUTHORIZATION_DENIED&provider=sandbox&oauth_error=access_denied' });
    expect(world.logs.at(-1)).toEqual({ level: 'info', msg: 'consent denied', action: 'callback', provider: 'sandbox', code: 'AUTHORIZATION_DENIED', oauthError: 'access_denied' });
  });

  it('answers JSON when the client asks for it: the authorization URL, then the connection', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const started = await client.get('/connect/sandbox/connect', { accept: 'application/json' });
    const { authorizationUrl, expiresAt } = JSON.parse(started.text) as { authorizationUrl: string; expiresAt: string };
    const callback = await followAuthorization(authorizationUrl, `${ORIGIN}/connect/sandbox/callback`);
    const done = await client.get(callback.href, { accept: 'application/json' });

    expect(started.status).toBe(200);
    expect(new URL(authorizationUrl).origin).toBe(world.sandbox.issuer);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text)).toEqual({ provider: 'sandbox', subject: 'alice', account: expect.objectContaining({ id: 'sandbox-user' }) });
  });

  it('a provider without app credentials is refused with error=CONFIGURATION (JSON: 500 and the code)', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const browser = await client.get('/connect/acme/connect');
    const api = await client.get('/connect/acme/connect', { accept: 'application/json' });

    expect(browser).toMatchObject({ status: 303, location: '/settings?error=CONFIGURATION&provider=acme' });
    expect(api.status).toBe(500);
    expect(errorOf(api)).toMatchObject({ code: 'CONFIGURATION', retryable: false, provider: 'acme' });
  });

  it('an unknown provider answers 404 PROVIDER_NOT_REGISTERED without echoing the id', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const api = await client.get('/connect/%3Cscript%3E/connect', { accept: 'application/json' });

    expect(api.status).toBe(404);
    expect(errorOf(api)).toEqual({ code: 'PROVIDER_NOT_REGISTERED', message: 'There is no such provider on this server.', retryable: false });
    expect(api.text).not.toContain('script');
  });

  it('without a subject: connect redirects with error=NOT_SIGNED_IN, /connections answers 401', async () => {
    const client = new Client(ORIGIN, handler);
    const start = await client.get('/connect/sandbox/connect');
    const list = await client.get('/connect/connections');

    expect(start).toMatchObject({ status: 303, location: '/settings?error=NOT_SIGNED_IN&provider=sandbox' });
    expect(list.status).toBe(401);
    expect(errorOf(list).code).toBe('NOT_SIGNED_IN');
  });

  it('GET of the disconnect route answers 405 with Allow: POST; an unknown route 404', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const get = await client.get('/connect/sandbox/disconnect', { accept: 'application/json' });
    const missing = await client.get('/connect/sandbox/elsewhere', { accept: 'application/json' });
    const outside = await client.get('/other/path', { accept: 'application/json' });

    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(missing.status).toBe(404);
    expect(outside.status).toBe(404);
    expect(handler.matches('/other/path')).toBe(false);
    expect(handler.matches('/connect/sandbox/connect')).toBe(true);
    expect(handler.matches('/connection')).toBe(false);
  });
});

describe('connect routes: returnTo is no open redirect', () => {
  let world: World;
  let handler: ConnectHandler;

  beforeAll(async () => {
    world = await startWorld();
    world.allow(ORIGIN);
    handler = world.handler({ returnTo: { allowed: ['/settings', 'https://admin.app.test/console'], default: '/settings' } });
  });
  afterAll(() => world.close());

  const attempts = [
    '//evil.example', '//evil.example/settings', 'https://evil.example/', 'http://evil.example/settings', '/\\evil.example', '\\\\evil.example',
    '/\t/evil.example', '/\n/evil.example', 'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>',
    'https://app.test@evil.example/', 'https://admin.app.test.evil.example/console', 'https://admin.app.test/other', 'http://admin.app.test/console',
    '/settings-old', '/settings/../admin', '%2F%2Fevil.example', 'evil.example', '///evil.example', '/.//evil.example/x'.replace('/./', '//'),
  ];

  it.each(attempts)('refuses returnTo=%j: 303 to the default with error=INVALID_RETURN_TO, no authorization started', async (attempt) => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const answer = await client.get(`/connect/sandbox/connect?returnTo=${encodeURIComponent(attempt)}`);

    expect(answer).toMatchObject({ status: 303, location: '/settings?error=INVALID_RETURN_TO&provider=sandbox' });
  });

  it.each(attempts)('refuses returnTo=%j on disconnect too (JSON: 400)', async (attempt) => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const answer = await client.postJson('/connect/sandbox/disconnect', { csrf: handler.csrfToken('alice'), returnTo: attempt });

    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('INVALID_RETURN_TO');
  });

  it('allows a listed path with its query, and a listed other origin, across the round trip', async () => {
    const local = await new Client(ORIGIN, handler).signIn('alice').connect('sandbox', `?returnTo=${encodeURIComponent('/settings/a?b=1#c')}`);
    const admin = await new Client(ORIGIN, handler).signIn('bob').connect('sandbox', `?returnTo=${encodeURIComponent('https://admin.app.test/console/users')}`);

    expect(local.location).toBe('/settings/a?b=1&connected=sandbox#c');
    expect(admin.location).toBe('https://admin.app.test/console/users?connected=sandbox');
  });

  it('ignores a returnTo cookie that was tampered with (the default is used)', async () => {
    const client = new Client(ORIGIN, handler).signIn('carol');
    const started = await client.get(`/connect/sandbox/connect?returnTo=${encodeURIComponent('/settings/x')}`);
    const [name, value] = [...client.cookies].find(([k]) => k.startsWith('authmanager_return_'))!;
    client.cookies.set(name, encodeURIComponent(decodeURIComponent(value).replace('/settings/x', '//evil.example')));
    const callback = await followAuthorization(started.location!, `${ORIGIN}/connect/sandbox/callback`);

    const answer = await client.get(callback.href);

    expect(answer).toMatchObject({ status: 303, location: '/settings?connected=sandbox' });
  });

  it('refuses an allow-list entry that is not a path or http(s) URL, and a default outside the list', () => {
    expect(() => new ReturnToPolicy({ allowed: ['javascript:x'] })).toThrow(TypeError);
    expect(() => new ReturnToPolicy({ allowed: ['/settings'], default: '/' })).toThrow(TypeError);
  });
});

describe('connect routes: disconnect needs the CSRF token of the subject', () => {
  let world: World;
  let handler: ConnectHandler;
  let clockMs = Date.now();

  beforeAll(async () => {
    world = await startWorld({ now: () => clockMs });
    world.allow(ORIGIN);
    handler = world.handler({ csrfTokenTtlMs: 3_600_000 });
  });
  afterAll(() => world.close());
  beforeEach(async () => {
    await new Client(ORIGIN, handler).signIn('alice').connect();
  });

  const disconnectWith = (fields: Record<string, string> | string, headers: Record<string, string> = {}, subject = 'alice') =>
    new Client(ORIGIN, handler).signIn(subject).postForm('/connect/sandbox/disconnect', fields, headers);

  it('refuses a POST without a token with 403 CSRF_REJECTED and keeps the credential', async () => {
    const answer = await disconnectWith({});

    expect(answer.status).toBe(403);
    expect(answer.text).toContain('This form is out of date or did not come from this site.');
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
  });

  it('refuses a planted token made under another secret (same format, same subject)', async () => {
    const issued = Math.floor(clockMs / 1000).toString(36);
    const forged = `v1.${issued}.${createHmac('sha256', 'another-secret-of-32-characters-or-more').update(`authmanager-http csrf v1\0alice\0${issued}`).digest('base64url')}`;

    const answer = await disconnectWith({ csrf: forged });

    expect(answer.status).toBe(403);
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
  });

  it('refuses another subject\'s token', async () => {
    const answer = await disconnectWith({ csrf: handler.csrfToken('mallory') });

    expect(answer.status).toBe(403);
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
  });

  it('refuses a token older than csrfTokenTtlMs', async () => {
    const token = handler.csrfToken('alice');
    clockMs += 3_600_001;
    const answer = await disconnectWith({ csrf: token });
    clockMs = Date.now();

    expect(answer.status).toBe(403);
  });

  it('refuses a valid token sent from another origin (Sec-Fetch-Site: cross-site, or a foreign Origin)', async () => {
    const crossSite = await disconnectWith({ csrf: handler.csrfToken('alice') }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    const sameSite = await disconnectWith({ csrf: handler.csrfToken('alice') }, { 'sec-fetch-site': 'same-site', origin: 'http://other.app.test' });
    const originOnly = await disconnectWith({ csrf: handler.csrfToken('alice') }, { origin: 'https://evil.example' });

    expect([crossSite.status, sameSite.status, originOnly.status]).toEqual([403, 403, 403]);
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
  });

  it('refuses malformed forms with 400 BAD_REQUEST: a repeated field, an unknown field, a non-string JSON field, another media type, an oversized body', async () => {
    const token = handler.csrfToken('alice');
    const client = new Client(ORIGIN, handler).signIn('alice');
    const answers = [
      await client.postForm('/connect/sandbox/disconnect', `csrf=${token}&csrf=${token}`, { accept: 'application/json' }),
      await client.postForm('/connect/sandbox/disconnect', { csrf: token, admin: '1' }, { accept: 'application/json' }),
      await client.postJson('/connect/sandbox/disconnect', { csrf: 5 }),
      await client.request('/connect/sandbox/disconnect', { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'application/json' }, body: `csrf=${token}` }),
      await client.postForm('/connect/sandbox/disconnect', { csrf: token, returnTo: `/${'x'.repeat(20_000)}` }, { accept: 'application/json' }),
    ];

    expect(answers.map((a) => [a.status, errorOf(a).code])).toEqual(Array(5).fill([400, 'BAD_REQUEST']));
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
  });

  it('refuses a streamed body without content-length once it passes maxBodyBytes, reading no further', async () => {
    const token = handler.csrfToken('alice');
    const client = new Client(ORIGIN, handler).signIn('alice');
    let pulled = 0;
    let cancelled = false;
    const chunk = new TextEncoder().encode(`csrf=${token}&returnTo=/${'x'.repeat(4_000)}`);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) { pulled += 1; controller.enqueue(pulled === 1 ? chunk : new Uint8Array(4_096).fill(0x78)); },
      cancel() { cancelled = true; },
    });
    const answer = await client.request('/connect/sandbox/disconnect', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, duplex: 'half',
    } as RequestInit);

    expect([answer.status, errorOf(answer).code]).toEqual([400, 'BAD_REQUEST']);
    // 16,384 bytes by default: five chunks of ~4 KB pass it; an endless body was not read on.
    expect({ cancelled, pulledFew: pulled <= 8 }).toEqual({ cancelled: true, pulledFew: true });
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeDefined();
  });

  it('with the token: revokes at the sandbox (the old access token gets 401), deletes the credential, 303 to ?disconnected=', async () => {
    const credentials = await world.auth.loadCredentials('sandbox', 'alice');
    const answer = await disconnectWith({ csrf: handler.csrfToken('alice') }, { 'sec-fetch-site': 'same-origin', origin: ORIGIN });
    const apiMe = await fetch(world.sandbox.endpoints.apiMe, { headers: { authorization: `Bearer ${credentials!.accessToken}` } });
    await apiMe.body?.cancel();

    expect(answer).toMatchObject({ status: 303, location: '/?disconnected=sandbox' });
    expect(apiMe.status).toBe(401);
    expect(await world.auth.loadCredentials('sandbox', 'alice')).toBeUndefined();
  });

  it('with the token in x-csrf-token and JSON: { existed, revoked }, then { existed: false }', async () => {
    const client = new Client(ORIGIN, handler).signIn('alice');
    const headers = { 'x-csrf-token': handler.csrfToken('alice'), accept: 'application/json' };
    const first = await client.request('/connect/sandbox/disconnect', { method: 'POST', headers });
    const second = await client.request('/connect/sandbox/disconnect', { method: 'POST', headers });

    expect([first.status, JSON.parse(first.text)]).toEqual([200, { existed: true, revoked: true }]);
    expect([second.status, JSON.parse(second.text)]).toEqual([200, { existed: false, revoked: false }]);
  });
});

describe('connect routes: GET /connections', () => {
  let world: World;
  let handler: ConnectHandler;
  let body: { subject: string; csrfToken: string; providers: { id: string }[]; connections: Record<string, unknown>[] };
  let raw: string;
  let tokens: string[];

  beforeAll(async () => {
    world = await startWorld();
    world.allow(ORIGIN);
    handler = world.handler();
    const client = new Client(ORIGIN, handler).signIn('alice');
    await client.connect();
    const answer = await client.get('/connect/connections');
    raw = answer.text;
    body = JSON.parse(raw) as typeof body;
    const c = await world.auth.loadCredentials('sandbox', 'alice');
    tokens = [c!.accessToken, c!.refreshToken!];
  });
  afterAll(() => world.close());

  it('lists the subject\'s connections with account, status, scopes and expiry', () => {
    expect(body.subject).toBe('alice');
    expect(body.connections).toEqual([{
      provider: 'sandbox', displayName: 'Sandbox', status: 'active', account: expect.objectContaining({ id: 'sandbox-user' }),
      scopes: expect.arrayContaining(['api:read']), expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), connectedAt: expect.any(String),
    }]);
    expect(body.providers.map((p) => p.id)).toEqual(['sandbox', 'other']);
  });

  it('carries a CSRF token of the subject that disconnect accepts', () => {
    expect(handler.verifyCsrfToken(body.csrfToken, 'alice')).toBe(true);
    expect(handler.verifyCsrfToken(body.csrfToken, 'bob')).toBe(false);
  });

  it('holds no token', () => {
    for (const token of tokens) expect(raw).not.toContain(token);
  });
});

describe('connect routes: nothing secret in a URL, a log line or a response', () => {
  let world: World;
  let client: Client;
  let secrets: string[];

  beforeAll(async () => {
    world = await startWorld();
    world.allow(ORIGIN);
    const handler = world.handler({ page: true });
    client = new Client(ORIGIN, handler).signIn('alice');
    const started = await client.get('/connect/sandbox/connect');
    const callback = await followAuthorization(started.location!, `${ORIGIN}/connect/sandbox/callback`);
    await client.get(callback.href);
    await client.get(callback.href); // replayed: an error answer
    const state = new URL(started.location!).searchParams.get('state')!;
    await client.get(`/connect/sandbox/callback?error=access_denied&error_description=${encodeURIComponent('secret-ish text 9d2a')}&state=${state}`);
    await client.get('/connect/');
    await client.get('/connect/connections');
    const c = await world.auth.loadCredentials('sandbox', 'alice');
    await client.postForm('/connect/sandbox/disconnect', { csrf: handler.csrfToken('alice') });
    secrets = [c!.accessToken, c!.refreshToken!, callback.searchParams.get('code')!, world.sandbox.clientSecret, SECRET, '9d2a'];
  });
  afterAll(() => world.close());

  it('puts no token, code, client secret, handler secret or error_description in an answer (headers or body) after the authorization URL', () => {
    const answers = client.answers.slice(1).map((a) => `${a.location ?? ''}\n${[...a.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${a.text}`);
    expect(answers.length).toBeGreaterThan(5);
    for (const text of answers) for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('logs no secret and no query string', () => {
    const text = JSON.stringify(world.logs);
    expect(world.logs.length).toBeGreaterThan(3);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/[?&](code|state)=/);
  });
});

describe('createConnectHandler options', () => {
  it('refuses a secret shorter than 32 characters with CONFIGURATION, without printing it', async () => {
    const world = await startWorld();
    const err = (() => { try { createConnectHandler({ auth: world.auth, secret: 'short-secret-7f3b', getSubject: subjectFromCookie }); } catch (e) { return e; } return undefined; })();
    await world.close();

    expect(AuthManagerError.is(err, 'CONFIGURATION')).toBe(true);
    expect((err as Error).message).not.toContain('7f3b');
  });

  it('verifies tokens of a rotated-out secret while it is still listed, not after', () => {
    const old = new CsrfTokens({ secret: 'old-secret-old-secret-old-secret-01' });
    const token = old.issue('alice');

    expect(new CsrfTokens({ secret: ['new-secret-new-secret-new-secret-01', 'old-secret-old-secret-old-secret-01'] }).verify(token, 'alice')).toBe(true);
    expect(new CsrfTokens({ secret: 'new-secret-new-secret-new-secret-01' }).verify(token, 'alice')).toBe(false);
  });

  it('tells the redirect URI to register: <publicUrl><basePath>/<provider>/callback', async () => {
    const world = await startWorld();
    const handler = world.handler({ basePath: '/integrations', publicUrl: 'https://app.example.com/ignored/path' });
    const uri = handler.redirectUri('sandbox');
    await world.close();

    expect(uri).toBe('https://app.example.com/integrations/sandbox/callback');
  });

  it('refuses a basePath with a trailing slash', async () => {
    const world = await startWorld();
    expect(() => world.handler({ basePath: '/connect/' })).toThrow(TypeError);
    await world.close();
  });
});
