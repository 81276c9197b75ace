// Regression tests for the outside review's findings in core, each against real HTTP on loopback:
// a hostile token endpoint (./hostileProvider.ts), a recording API server, and a would-be thief.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { AuthManager, AuthManagerError, Credentials, pendingKey, type AuthManagerOptions, type ExchangeResult, type OAuth2Flow, type ProviderRegistration } from '@authmanager/core/store';
import { hostile, hostileOidc, startHostileProvider, type HostileAnswer, type HostileProvider } from './hostileProvider.js';

const AT = 'AT-secret-3f9a1c2b7d4e5f60718293a4b5c6d7e8';
const RT = 'RT-secret-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SECRETS = [AT, RT, 'hostile-secret'];

/** Every string a developer or a log could see of an error: inspect at any depth, JSON, message, stack, each cause. */
function visibleText(err: unknown): string {
  const parts = [inspect(err, { depth: Infinity, showHidden: true }), String(err)];
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 20; e = (e as { cause?: unknown }).cause, depth++) {
    const o = e as { message?: unknown; stack?: unknown; toJSON?: () => unknown };
    parts.push(String(o.message), String(o.stack), JSON.stringify(o.toJSON ? o.toJSON() : e));
    parts.push(inspect(e, { depth: Infinity, showHidden: true }));
  }
  return parts.join('\n');
}

function expectNoSecret(err: unknown, secrets: readonly string[] = SECRETS): void {
  const text = visibleText(err);
  for (const s of secrets) expect(text).not.toContain(s);
}

async function rejection(p: Promise<unknown>): Promise<AuthManagerError> {
  try { await p; } catch (err) {
    expect(AuthManagerError.is(err)).toBe(true);
    return err as AuthManagerError;
  }
  throw new Error('expected a rejection');
}

let server: HostileProvider;
beforeAll(async () => { server = await startHostileProvider(); });
afterAll(async () => { await server.close(); });

function manager(options: Partial<AuthManagerOptions<readonly ProviderRegistration[]>> = {}, registration?: ProviderRegistration) {
  return new AuthManager({ providers: [registration ?? hostile({ origin: server.origin })], ...options });
}

function flowOf(auth: ReturnType<typeof manager>): OAuth2Flow<object> {
  return (auth.provider('hostile') as unknown as { oauth2: OAuth2Flow<object> }).oauth2;
}

/** authorize, then a callback with a made-up code: the token endpoint answers what was queued. */
async function exchangeWith(auth: ReturnType<typeof manager>, answer: HostileAnswer, subject = 'user-1'): Promise<{ url: URL; result: Promise<ExchangeResult<object>> }> {
  const flow = flowOf(auth);
  const { url, state } = await flow.authorize({ subject });
  server.answer(answer);
  return { url, result: flow.exchange({ callbackUrl: `http://127.0.0.1:1/callback?code=c&state=${state}` }) };
}

const deep = (n: number): unknown => { let v: unknown = 1; for (let i = 0; i < n; i++) v = { a: v }; return v; };

describe('regression: tokens in error cause chains; bad token responses get one typed error and nothing is stored', () => {
  const cases: Array<[string, HostileAnswer, string]> = [
    ['token_type "bot"', { body: { access_token: AT, refresh_token: RT, token_type: 'bot' } }, 'INVALID_TOKEN_RESPONSE'],
    ['refresh_token null', { body: { access_token: AT, refresh_token: null, token_type: 'Bearer' } }, 'INVALID_TOKEN_RESPONSE'],
    ['scope as an array', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', scope: ['a'] } }, 'INVALID_TOKEN_RESPONSE'],
    ['an empty refresh token', { body: { access_token: AT, refresh_token: '', token_type: 'Bearer', id_token: 5 } }, 'INVALID_TOKEN_RESPONSE'],
    ['non-string token_type', { body: { access_token: AT, refresh_token: RT, token_type: 7 } }, 'INVALID_TOKEN_RESPONSE'],
    ['expires_in negative', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', expires_in: -1 } }, 'INVALID_TOKEN_RESPONSE'],
    ['expires_in huge (Invalid Date before)', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', expires_in: 8.64e12 } }, 'INVALID_TOKEN_RESPONSE'],
    ['expires_in 1e308', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', expires_in: 1e308 } }, 'INVALID_TOKEN_RESPONSE'],
    ['expires_in non-numeric', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', expires_in: 'soon' } }, 'INVALID_TOKEN_RESPONSE'],
    ['expires_in an object', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', expires_in: { s: 1 } } }, 'INVALID_TOKEN_RESPONSE'],
    ['__proto__ key (replaced raw\'s prototype before)', { body: `{"access_token":"${AT}","refresh_token":"${RT}","token_type":"Bearer","__proto__":{"polluted":true}}`, headers: { 'content-type': 'application/json' } }, 'INVALID_TOKEN_RESPONSE'],
    ['constructor key', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', constructor: { prototype: { x: 1 } } } }, 'INVALID_TOKEN_RESPONSE'],
    ['nesting 100 deep', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', x: deep(100) } }, 'INVALID_TOKEN_RESPONSE'],
    ['a body over 1 MiB', { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', pad: 'x'.repeat(1_100_000) } }, 'INVALID_TOKEN_RESPONSE'],
    ['CR/LF in the access token', { body: { access_token: `${AT}\r\nX-Injected: 1`, refresh_token: RT, token_type: 'Bearer' } }, 'INVALID_TOKEN_RESPONSE'],
    ['non-Latin-1 in the access token', { body: { access_token: `${AT}☃`, refresh_token: RT, token_type: 'Bearer' } }, 'INVALID_TOKEN_RESPONSE'],
    ['HTTP 200 with a non-JSON body holding the token', { body: `access_token=${AT}&refresh_token=${RT}` }, 'INVALID_TOKEN_RESPONSE'],
    ['HTTP 200 with garbage JSON', { body: `{"access_token":"${AT}",`, headers: { 'content-type': 'application/json' } }, 'INVALID_TOKEN_RESPONSE'],
    ['HTTP 200 with a JSON array', { body: [AT, RT] }, 'INVALID_TOKEN_RESPONSE'],
    ['HTTP 500 echoing the tokens', { status: 500, body: `upstream said ${AT} ${RT}` }, 'PROVIDER_UNAVAILABLE'],
    ['HTTP 400 with the token in error_description', { status: 400, body: { error: 'invalid_request', error_description: `bad ${AT}` } }, 'TOKEN_EXCHANGE_FAILED'],
  ];

  for (const [name, answer, code] of cases) {
    it(`exchange: ${name} → ${code}, no token anywhere in the error chain`, async () => {
      const auth = manager();
      const { result } = await exchangeWith(auth, answer);
      const err = await rejection(result);
      expect(err.code).toBe(code);
      expectNoSecret(err);
      expect(await auth.loadCredentials('hostile', 'user-1')).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it(`refresh: ${name} → ${code === 'TOKEN_EXCHANGE_FAILED' ? 'TOKEN_REFRESH_FAILED' : code}, the stored credential stays as it was`, async () => {
      const auth = manager();
      const stored = new Credentials({ accessToken: 'old-at', refreshToken: 'old-rt', expiresAt: new Date(Date.now() - 1000) });
      await auth.storeCredentials('hostile', 'user-r', stored);
      server.answer(answer);
      const err = await rejection(auth.withSession('user-r', (s) => s.accessToken('hostile')));
      expect(err.code).toBe(code === 'TOKEN_EXCHANGE_FAILED' ? 'TOKEN_REFRESH_FAILED' : code);
      expectNoSecret(err, [...SECRETS, 'old-rt']);
      const after = await auth.loadCredentials('hostile', 'user-r');
      expect(after?.accessToken).toBe('old-at');
      expect(after?.refreshToken).toBe('old-rt');
    });
  }

  it('HTTP 429 is RATE_LIMITED, retryable, with retryAfterSeconds from Retry-After', async () => {
    const auth = manager();
    await auth.storeCredentials('hostile', 'user-429', new Credentials({ accessToken: 'old-at', refreshToken: 'old-rt', expiresAt: new Date(Date.now() - 1000) }));
    server.answer({ status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': '17' } });
    const err = await rejection(auth.withSession('user-429', (s) => s.accessToken('hostile')));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterSeconds: 17, status: 429 });
    // Within the Retry-After the connection is in its cooldown: the same code, no provider call.
    const requests = server.count('/token');
    const fast = await rejection(auth.withSession('user-429', (s) => s.accessToken('hostile')));
    expect(fast).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(fast.retryAfterSeconds).toBeGreaterThan(15);
    expect(server.count('/token')).toBe(requests);
    await auth.storeCredentials('hostile', 'user-429b', new Credentials({ accessToken: 'old-at', refreshToken: 'old-rt', expiresAt: new Date(Date.now() - 1000) }));
    server.answer({ status: 429, body: 'busy', headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } });
    const err2 = await rejection(auth.withSession('user-429b', (s) => s.accessToken('hostile')));
    expect(err2.code).toBe('RATE_LIMITED');
    expect(err2.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(err2.retryAfterSeconds).toBeLessThanOrEqual(31);
  });

  it('the size cap is an option (maxResponseBytes)', async () => {
    const auth = manager({ maxResponseBytes: 200 });
    const { result } = await exchangeWith(auth, { body: { access_token: AT, token_type: 'Bearer', pad: 'x'.repeat(300) } });
    expect((await rejection(result)).message).toContain('maxResponseBytes');
  });

  it('a valid answer still works (the checks refuse only what they should)', async () => {
    const auth = manager();
    const { result } = await exchangeWith(auth, { body: { access_token: AT, refresh_token: RT, token_type: 'bearer', expires_in: '3600', scope: 'read' } });
    const { credentials } = await result;
    expect(credentials.accessToken).toBe(AT);
    expect(credentials.expiresAtMs! - Date.now()).toBeGreaterThan(3_500_000);
    expect(credentials.scopes).toEqual(['read']);
  });
});

describe('regression: scopes on exchange — a token response without scope means the requested scopes were granted (RFC 6749 §5.1)', () => {
  it('keeps the requested scopes', async () => {
    const auth = manager();
    const { result } = await exchangeWith(auth, { body: { access_token: AT, token_type: 'Bearer' } });
    expect((await result).credentials.scopes).toEqual(['read', 'write']);
  });
});

describe('regression: malformed callbackUrl and pending records gave TypeError: Invalid URL', () => {
  it('a callbackUrl that is not a URL is INVALID_STATE', async () => {
    const auth = manager();
    const err = await rejection(flowOf(auth).exchange({ callbackUrl: 'not a url' }));
    expect(err.code).toBe('INVALID_STATE');
  });
  it('a pending record whose redirect URI is not a URL is INVALID_STATE', async () => {
    const auth = manager();
    const state = 'forged-state-0123456789';
    await auth.store.set(pendingKey(state), JSON.stringify({ v: 1, provider: 'hostile', subject: 's', redirectUri: '::nope', scopes: [], expiresAtMs: Date.now() + 60_000 }));
    const err = await rejection(flowOf(auth).exchange({ callbackUrl: `http://127.0.0.1:1/callback?code=c&state=${state}` }));
    expect(err.code).toBe('INVALID_STATE');
  });
});

describe('regression: ID token azp was not checked (OpenID Connect Core §3.1.3.7)', () => {
  async function exchangeIdToken(azp: string | undefined) {
    const auth = manager({}, hostileOidc({ origin: server.origin }));
    const flow = flowOf(auth);
    const { url, state } = await flow.authorize({ subject: 'u' });
    const idToken = await server.idToken({ nonce: url.searchParams.get('nonce'), ...(azp !== undefined ? { azp } : {}) });
    server.answer({ body: { access_token: AT, token_type: 'Bearer', id_token: idToken } });
    return flow.exchange({ callbackUrl: `http://127.0.0.1:1/callback?code=c&state=${state}` });
  }
  it('an azp naming another client is INVALID_TOKEN_RESPONSE', async () => {
    const err = await rejection(exchangeIdToken('someone-else'));
    expect(err.code).toBe('INVALID_TOKEN_RESPONSE');
    expect(err.message).toContain('azp');
    expectNoSecret(err);
  });
  it('azp equal to the client id, or absent, is accepted', async () => {
    expect((await exchangeIdToken('hostile-client')).credentials.idToken).toBeDefined();
    expect((await exchangeIdToken(undefined)).credentials.idToken).toBeDefined();
  });
});

describe('regression: skew against short-lived tokens refreshed a 5 s token on every call', () => {
  it('a 5 s token is used, not refreshed, for its first half with the default 60 s skew', async () => {
    const auth = manager();
    const { result } = await exchangeWith(auth, { body: { access_token: AT, refresh_token: RT, token_type: 'Bearer', expires_in: 5 } }, 'short');
    await auth.storeCredentials('hostile', 'short', await result);
    const before = server.count('/token');
    await auth.withSession('short', async (s) => { for (let i = 0; i < 5; i++) expect(await s.accessToken('hostile')).toBe(AT); });
    await auth.withSession('short', async (s) => { expect(await s.accessToken('hostile')).toBe(AT); });
    expect(server.count('/token')).toBe(before);
  });
});

// --- session.fetch: the token goes only where it should --------------------------------------

interface Recorder { origin: string; host: string; requests: IncomingMessage[]; server: Server }

async function recorder(): Promise<Recorder> {
  const requests: IncomingMessage[] = [];
  const s = createServer((req, res) => { requests.push(req); req.resume(); res.end('{}'); });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  return { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, requests, server: s };
}

describe('regression: session.fetch sent the bearer token to another host', () => {
  let thief: Recorder;
  let auth: ReturnType<typeof manager>;
  beforeAll(async () => {
    thief = await recorder();
    auth = manager();
    await auth.storeCredentials('hostile', 'victim', new Credentials({ accessToken: AT }));
  });
  afterAll(async () => { thief.server.closeAllConnections(); await new Promise((r) => thief.server.close(r)); });

  // The WHATWG URL parser's family of ways to name another host in what looks like a path.
  const attempts = (h: string): string[] => [
    `\\\\${h}/x`, `\\/${h}`, `/\\${h}/x`, `//${h}/x`, ` //${h}/x`, `\t//${h}`, `\n//${h}`, `/\t/${h}/x`, `/\n/${h}`,
    ` http://${h}/x`, `\thttp://${h}/x`, `\x00http://${h}/x`, `\x1fhttp://${h}/x`, `\r\nhttp://${h}/`, `\u0020\u0009http://${h}`,
    `http://${h}/x`, `HTTP://${h}/x`, `http:\\\\${h}\\x`, `http:/${h}/x`, `http:${h}/x`.replace('http:', 'http:\\\\'),
    `http://api@${h}/x`, `http://${server.origin.slice(7)}@${h}/x`, `http://${server.origin.slice(7)}%40@${h}`,
    `h\ttp://${h}/x`, `ht\ntp://${h}/x`, `\\\\\\${h}`, `/\\/${h}`,
  ];

  it('no attempt reaches the other host: each is refused with CONFIGURATION before any request, or stays on the API origin', async () => {
    let refused = 0;
    for (const path of attempts(thief.host)) {
      try {
        const res = await auth.withSession('victim', (s) => s.fetch('hostile', path));
        expect({ path, origin: new URL(res.url).origin }).toEqual({ path, origin: server.origin });
      } catch (err) {
        expect({ path, code: (err as AuthManagerError).code }).toEqual({ path, code: 'CONFIGURATION' });
        expectNoSecret(err);
        refused++;
      }
    }
    expect(thief.requests).toHaveLength(0);
    expect(refused).toBeGreaterThanOrEqual(15);
  });

  it('userinfo pointing at the API host itself is refused too', async () => {
    const err = await rejection(auth.withSession('victim', (s) => s.fetch('hostile', `http://evil@${server.origin.slice(7)}/api/me`)));
    expect(err.code).toBe('CONFIGURATION');
  });

  it('same-origin paths, absolute URLs, upper-case hosts, default ports and percent-encoding still go to the API with the token', async () => {
    const host = server.origin.slice(7);
    const ok = ['/me', 'me', `${server.origin}/api/me`, `HTTP://${host.toUpperCase()}/api/me`, '%2F%2Fevil.test', '/%5C%5Cevil.test'];
    for (const path of ok) {
      const res = await auth.withSession('victim', (s) => s.fetch('hostile', path));
      expect(res.status).toBeLessThan(500);
      expect(server.lastHeaders(new URL(res.url).pathname)?.authorization).toBe(`Bearer ${AT}`);
    }
    expect(thief.requests).toHaveLength(0);
  });

  it('an allowed origin is matched after parsing (IDN, case, default port)', async () => {
    const creds = new Credentials({ accessToken: AT });
    const { ProviderRuntime } = await import('@authmanager/core/provider');
    const runtime = new ProviderRuntime(hostile({ origin: server.origin, allowedOrigins: ['https://BÜCHER.example:443'] }).definition, { origin: server.origin, allowedOrigins: ['https://BÜCHER.example:443'] }, () => undefined, fetch);
    expect(runtime.apiUrl('https://xn--bcher-kva.example/v1', creds).origin).toBe('https://xn--bcher-kva.example');
    expect(runtime.apiUrl('https://bücher.EXAMPLE:443/v1', creds).origin).toBe('https://xn--bcher-kva.example');
    expect(() => runtime.apiUrl('https://bucher.example/v1', creds)).toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
    expect(() => runtime.apiUrl('https://xn--bcher-kva.example:8443/v1', creds)).toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
    expect(() => runtime.apiUrl('javascript:alert(1)', creds)).toThrow(expect.objectContaining({ code: 'CONFIGURATION' }));
  });
});

describe('regression: a token with CR/LF or non-Latin-1 characters reached undici, whose TypeError quoted Bearer <token>', () => {
  it('withCredentials with CR/LF is CONFIGURATION before any request', async () => {
    const auth = manager();
    const before = server.count('/api/me');
    const err = await rejection(auth.withSession('u', (s) => s.fetch('hostile', '/me'), { withCredentials: { hostile: { accessToken: `${AT}\r\nX: y` } } }));
    expect(err.code).toBe('CONFIGURATION');
    expectNoSecret(err);
    expect(server.count('/api/me')).toBe(before);
  });
  it('a stored record with a non-Latin-1 token is INVALID_STORED_CREDENTIALS', async () => {
    const auth = manager();
    await auth.store.set({ kind: 'credentials', provider: 'hostile', subject: 'bad' }, JSON.stringify({ v: 1, at: `${AT}☃`, tt: 'Bearer', iat: 0, x: {}, raw: {} }));
    const err = await rejection(auth.withSession('bad', (s) => s.fetch('hostile', '/me')));
    expect(err.code).toBe('INVALID_STORED_CREDENTIALS');
    expectNoSecret(err);
  });
});

describe('regression: session.fetch had no timeout', () => {
  it('a hung API fails with PROVIDER_UNAVAILABLE after apiTimeoutMs', async () => {
    server.hang('/api/hang');
    const auth = manager({ apiTimeoutMs: 300 });
    await auth.storeCredentials('hostile', 'u', new Credentials({ accessToken: AT }));
    const started = performance.now();
    const err = await rejection(auth.withSession('u', (s) => s.fetch('hostile', '/hang')));
    const elapsed = performance.now() - started;
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.message).toContain('timed out after 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3000);
  });
  it("the caller's own abort is the caller's reason, not a provider error", async () => {
    const auth = manager();
    await auth.storeCredentials('hostile', 'u', new Credentials({ accessToken: AT }));
    const controller = new AbortController();
    const p = auth.withSession('u', (s) => s.fetch('hostile', '/hang', { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(p).rejects.toThrow('caller gave up');
  });
});
