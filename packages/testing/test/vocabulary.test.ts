// Core's quirk vocabulary on the wire, against a small recording authorization server on loopback
// (each case states the request or answer it checks). The emulator kit and the catalogue test cover
// the rest; these are the entries no catalogue provider exercises both ways.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, apiKey, basicAuth, basicCredentials, envFrom, oauth2, readRateLimit } from '@authmanager/core';
import { fillHeaderValues } from '@authmanager/core/provider';

interface Seen { readonly path: string; readonly body: URLSearchParams; readonly authorization?: string; readonly query: URLSearchParams }
const REDIRECT = 'http://127.0.0.1:9/cb';
let server: Server;
let origin: string;
const seen: Seen[] = [];
/** What the token endpoint answers next (a function of the grant). */
let answer: (grant: string) => Record<string, unknown> = () => ({ access_token: 'at', token_type: 'Bearer' });

const read = (req: IncomingMessage) => new Promise<string>((resolve) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => resolve(b)); });
beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/authorize') {
      const to = new URL(url.searchParams.get('redirect_uri')!);
      to.searchParams.set('code', 'code-1');
      to.searchParams.set('state', url.searchParams.get('state')!);
      res.writeHead(302, { location: to.href }).end();
      return;
    }
    const body = new URLSearchParams(await read(req));
    seen.push({ path: url.pathname, body, query: url.searchParams, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(url.pathname === '/token' ? answer(body.get('grant_type')!) : { ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function provider(extra: Partial<Parameters<typeof oauth2>[0]> = {}) {
  return oauth2({
    id: 'acme', displayName: 'Acme', authorizationEndpoint: 'https://acme.invalid/authorize', tokenEndpoint: 'https://acme.invalid/token',
    clientAuthentication: 'client_secret_post', ...extra,
  });
}
async function connect(factory: ReturnType<typeof provider>, now: () => number = Date.now) {
  const auth = new AuthManager({
    providers: [factory({ authorizationUrl: `${origin}/authorize`, tokenUrl: `${origin}/token`, apiBaseUrl: `${origin}/api`, clientId: 'c', clientSecret: 's', redirectUri: REDIRECT })],
    env: envFrom({}), now,
  });
  const { url } = await (auth.provider('acme') as unknown as { oauth2: { authorize(o: object): Promise<{ url: URL }> } }).oauth2.authorize({ subject: 'u' });
  const callback = (await fetch(url, { redirect: 'manual' })).headers.get('location')!;
  await auth.completeAuthorization({ callbackUrl: callback });
  return auth;
}

describe('tokenRequest.params', () => {
  it('are sent with the code exchange and the refresh, and cannot override RFC 6749 parameters', async () => {
    answer = () => ({ access_token: 'at', token_type: 'Bearer', refresh_token: 'rt', expires_in: 3600 });
    seen.length = 0;
    const auth = await connect(provider({ tokenRequest: { params: { expiring: '1', grant_type: 'password' } } } as never));
    await auth.withSession('u', (s) => s.refresh('acme'));
    expect(seen.map((r) => [r.body.get('grant_type'), r.body.get('expiring')])).toEqual([['authorization_code', '1'], ['refresh_token', '1']]);
  });
});

describe('tokenResponse.zeroExpiresInMeansNever', () => {
  it('reads expires_in: 0 as "does not expire" only when declared', async () => {
    answer = () => ({ access_token: 'at', token_type: 'Bearer', expires_in: 0 });
    const declared = await connect(provider({ tokenResponse: { zeroExpiresInMeansNever: true } } as never));
    const plain = await connect(provider());
    expect((await declared.loadCredentials('acme', 'u'))!.expiresAt).toBeUndefined();
    expect((await plain.loadCredentials('acme', 'u'))!.expiresAt).toBeDefined();
  });
});

describe('refreshTokenMaxLifetimeSeconds', () => {
  it('caps the chain from the authorization, and a rotating refresh does not extend it', async () => {
    let now = Date.UTC(2026, 0, 1);
    let n = 0;
    answer = () => ({ access_token: `at-${++n}`, token_type: 'Bearer', refresh_token: `rt-${n}`, expires_in: 3600 });
    const auth = await connect(provider({ refreshTokenMaxLifetimeSeconds: 90 * 86400 } as never), () => now);
    const first = (await auth.loadCredentials('acme', 'u'))!;
    now += 30 * 86400_000;
    const refreshed = await auth.withSession('u', (s) => s.refresh('acme'));
    expect(first.refreshTokenExpiresAt?.getTime()).toBe(Date.UTC(2026, 0, 1) + 90 * 86400_000);
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    expect(refreshed.refreshTokenExpiresAt?.getTime()).toBe(first.refreshTokenExpiresAt?.getTime());
  });
});

describe('api.baseUrlFromTokenResponse', () => {
  it('refuses a token response naming an undeclared API host on arrival, storing nothing', async () => {
    answer = () => ({ access_token: 'at', token_type: 'Bearer', api_domain: 'http://127.0.0.1:1' }); // another origin
    const factory = provider({ api: { baseUrl: 'https://api.acme.invalid', baseUrlFromTokenResponse: 'api_domain', baseUrlOrigins: ['https://*.acme.invalid'] } } as never);
    const err = await connect(factory).catch((e: unknown) => e);
    expect(AuthManagerError.is(err) && err.code).toBe('INVALID_TOKEN_RESPONSE');
    expect((err as Error).message).toContain('api_domain is not among the provider\'s declared API hosts');
  });

  it('uses a declared (here: the configured) API host from the token response for session.fetch', async () => {
    answer = () => ({ access_token: 'at', token_type: 'Bearer', api_domain: `${origin}/tenant-7` });
    const factory = provider({ api: { baseUrl: 'https://api.acme.invalid', baseUrlFromTokenResponse: 'api_domain', baseUrlOrigins: ['https://*.acme.invalid'] } } as never);
    const auth = await connect(factory);
    seen.length = 0;
    const res = await auth.withSession('u', (s) => s.fetch('acme', '/v1/deals'));
    expect(res.status).toBe(200);
    expect(seen.map((r) => r.path)).toEqual(['/tenant-7/v1/deals']);
  });

  it('refuses a stored API host outside the declared ones at use with INVALID_STORED_CREDENTIALS, sending nothing', async () => {
    answer = () => ({ access_token: 'at', token_type: 'Bearer', api_domain: `${origin}/tenant-7` });
    const factory = provider({ api: { baseUrl: 'https://api.acme.invalid', baseUrlFromTokenResponse: 'api_domain', baseUrlOrigins: ['https://*.acme.invalid'] } } as never);
    const auth = await connect(factory);
    const stored = (await auth.loadCredentials('acme', 'u'))!;
    await auth.storeCredentials('acme', 'u', stored.with({ extras: { api_domain: 'https://attacker.example' } }));
    seen.length = 0;
    const err = await auth.withSession('u', (s) => s.fetch('acme', '/v1/deals')).catch((e: unknown) => e);
    expect([AuthManagerError.is(err) && err.code, seen.length]).toEqual(['INVALID_STORED_CREDENTIALS', 0]);
  });
});

describe('api.baseUrlPath', () => {
  it('is appended to the token-response base URL (trailing slash dropped), with {field} filled from app credentials', async () => {
    answer = () => ({ access_token: 'at', token_type: 'Bearer', instance_url: `${origin}/` });
    const factory = provider({ api: { baseUrl: 'https://api.acme.invalid', baseUrlFromTokenResponse: 'instance_url', baseUrlPath: '/services/data/v{clientId}', baseUrlOrigins: ['https://*.acme.invalid'] } } as never);
    const auth = await connect(factory);
    seen.length = 0;
    await auth.withSession('u', (s) => s.fetch('acme', 'limits'));
    expect(seen.map((r) => r.path)).toEqual(['/services/data/vc/limits']);
  });
});

describe('readRateLimit and header placeholders', () => {
  it('reads the declared rate-limit headers and Retry-After', () => {
    const d = provider({ api: { baseUrl: 'https://x.invalid', rateLimitHeaders: { limit: 'x-ratelimit-limit', remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset', resetUnit: 'seconds' } } } as never).definition;
    const res = new Response(null, { status: 429, headers: { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '30', 'retry-after': '12' } });
    expect(readRateLimit(d, res, 1_000_000)).toEqual({ limit: 100, remaining: 0, resetAt: new Date(1_030_000), retryAfterSeconds: 12 });
    expect(readRateLimit(d, new Response(null))).toBeUndefined();
  });

  it('fills {field} from app credentials, leaves out a header whose {field?} is unset, and refuses a missing {field}', () => {
    expect(fillHeaderValues('p', { 'Client-Id': '{clientId}', 'x-goog-user-project': '{quota?}', Accept: 'application/json' }, { clientId: 'abc' }))
      .toEqual({ 'Client-Id': 'abc', Accept: 'application/json' });
    expect(() => fillHeaderValues('p', { 'Client-Id': '{clientId}' }, {})).toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
  });
});

describe('static credentials', () => {
  it('basicAuth(): a subject\'s username:password goes as RFC 7617 Basic, the app-wide pair serves the rest', async () => {
    const acme = basicAuth({ id: 'acmebasic', displayName: 'Acme Basic', baseUrl: 'https://acme.invalid' });
    const auth = new AuthManager({ providers: [acme({ apiBaseUrl: origin, username: 'app', password: 'app-pw' })], env: envFrom({}) });
    await auth.storeCredentials('acmebasic', 'u1', basicCredentials('ada', 'pa:ss wörd'.normalize()));
    seen.length = 0;
    await auth.withSession('u1', (s) => s.fetch('acmebasic', '/things'));
    await auth.withSession('someone-else', (s) => s.fetch('acmebasic', '/things'));
    const token = await auth.withSession('u1', (s) => s.accessToken('acmebasic'));
    expect(seen.map((r) => r.authorization)).toEqual([
      `Basic ${Buffer.from('ada:pa:ss wörd'.normalize()).toString('base64')}`,
      `Basic ${Buffer.from('app:app-pw').toString('base64')}`,
    ]);
    expect(Buffer.from(token, 'base64').toString('utf8')).toBe('ada:pa:ss wörd'.normalize());
    expect(() => basicCredentials('a:b', 'x')).toThrow(/RFC 7617/);
  });

  it('apiKey() with placement query: the key goes in the named parameter, not in a header', async () => {
    const maps = apiKey({ id: 'maps', displayName: 'Maps', baseUrl: 'https://maps.invalid', placement: 'query', name: 'key' });
    const auth = new AuthManager({ providers: [maps({ apiBaseUrl: origin, apiKey: 'k-123' })], env: envFrom({}) });
    seen.length = 0;
    const res = await auth.withSession('u', (s) => s.fetch('maps', '/geocode?address=x'));
    expect(res.status).toBe(200);
    expect(seen[0]!.query.get('key')).toBe('k-123');
    expect(seen[0]!.query.get('address')).toBe('x');
    expect(seen[0]!.authorization).toBeUndefined();
  });
});
