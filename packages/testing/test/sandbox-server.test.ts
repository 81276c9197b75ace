import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { startSandboxProvider, type SandboxProvider } from '../src/index.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const ALL_SCOPES = 'openid profile email offline_access api:read';

/** A minimal cookie jar: enough for oidc-provider's session and interaction cookies. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

/** Where a browser ends up: the client's redirect URI, or a page shown by the server. */
type Landing = { kind: 'callback'; url: URL } | { kind: 'page'; url: URL; status: number; html: string; headers: Headers };

/** Follows redirects like a browser (cookies included) until the redirect URI or a page. */
async function browse(jar: CookieJar, start: URL, init: RequestInit = {}): Promise<Landing> {
  let url = start;
  let request: RequestInit = init;
  for (let hops = 0; hops < 20; hops += 1) {
    const res = await fetch(url, {
      ...request,
      redirect: 'manual',
      headers: { ...(request.headers as Record<string, string> | undefined), cookie: jar.header() },
    });
    jar.store(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      url = new URL(location, url);
      if (url.href.startsWith(REDIRECT_URI)) return { kind: 'callback', url };
      request = {};
      continue;
    }
    return { kind: 'page', url, status: res.status, html: await res.text(), headers: res.headers };
  }
  throw new Error('too many redirects');
}

function postForm(jar: CookieJar, url: URL, fields: Record<string, string>): Promise<Landing> {
  return browse(jar, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

interface Authorization {
  readonly authorizationUrl: URL;
  readonly codeVerifier: string;
  readonly state: string;
}

/**
 * An authorization request as a standard client sends it: `prompt=consent` with `offline_access`
 * (OpenID Connect Core §11), unless `extra` overrides it (`prompt: ''` leaves it out).
 */
async function authorizationRequest(
  config: oidc.Configuration,
  extra: Record<string, string> = {},
): Promise<Authorization> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const scope = extra['scope'] ?? ALL_SCOPES;
  const params: Record<string, string> = {
    redirect_uri: REDIRECT_URI,
    scope,
    ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  };
  if (params['prompt'] === '') delete params['prompt'];
  const authorizationUrl = oidc.buildAuthorizationUrl(config, params);
  return { authorizationUrl, codeVerifier, state };
}

function discover(
  sandbox: SandboxProvider,
  auth: oidc.ClientAuth = oidc.ClientSecretBasic(sandbox.clientSecret),
): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(sandbox.issuer), sandbox.clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Headless code + PKCE flow: authorization request, redirects, code exchange. */
async function connect(
  config: oidc.Configuration,
  extra: Record<string, string> = {},
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const { authorizationUrl, codeVerifier, state } = await authorizationRequest(config, extra);
  const landing = await browse(new CookieJar(), authorizationUrl);
  if (landing.kind !== 'callback') throw new Error(`expected a redirect to the client, got ${landing.status} ${landing.html}`);
  return oidc.authorizationCodeGrant(config, landing.url, { pkceCodeVerifier: codeVerifier, expectedState: state });
}

function apiMe(sandbox: SandboxProvider, accessToken?: string): Promise<Response> {
  return fetch(sandbox.endpoints.apiMe, {
    headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('startSandboxProvider, headless code + PKCE flow', () => {
  let sandbox: SandboxProvider;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  let me: Response;
  let meBody: unknown;
  let introspection: oidc.IntrospectionResponse;

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI], interactive: false });
    const config = await discover(sandbox);
    tokens = await connect(config, { login_hint: 'alice' });
    me = await apiMe(sandbox, tokens.access_token);
    meBody = await me.json();
    introspection = await oidc.tokenIntrospection(config, tokens.access_token);
  });
  afterAll(() => sandbox.close());

  it('issues an opaque access token, a refresh token and an ID token for the login_hint subject', () => {
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.claims()?.sub).toBe('alice');
    expect(tokens.expires_in).toBe(3600);
  });

  it('grants every requested scope', () => {
    expect(tokens.scope?.split(' ').sort()).toEqual(ALL_SCOPES.split(' ').sort());
  });

  it('serves /api/me for the access token', () => {
    expect(me.status).toBe(200);
    expect(meBody).toEqual({ sub: 'alice', scope: expect.stringContaining('api:read'), client_id: 'sandbox-client' });
  });

  it('introspects the access token as active (RFC 7662)', () => {
    expect(introspection).toMatchObject({ active: true, sub: 'alice', client_id: 'sandbox-client', token_type: 'Bearer' });
  });

  it('counts each endpoint and the token request by grant_type', () => {
    expect(sandbox.counts()).toMatchObject({
      discovery: 1,
      authorization: 1,
      token: 1,
      'token:authorization_code': 1,
      api_me: 1,
      introspection: 1,
    });
    expect(sandbox.requestCount('token:refresh_token')).toBe(0);
  });
});

describe('startSandboxProvider, offline_access without prompt=consent (regression: the sandbox added prompt=consent silently)', () => {
  let sandbox: SandboxProvider;
  let withoutPrompt: oidc.TokenEndpointResponse;
  let withPrompt: oidc.TokenEndpointResponse;

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI], interactive: false });
    const config = await discover(sandbox);
    withoutPrompt = await connect(config, { prompt: '' });
    withPrompt = await connect(config, { prompt: 'consent' });
  });
  afterAll(() => sandbox.close());

  it('issues no refresh token and does not grant offline_access, as a standard OpenID Connect server', () => {
    expect(withoutPrompt.refresh_token).toBeUndefined();
    expect(withoutPrompt.scope?.split(' ')).not.toContain('offline_access');
    expect(withoutPrompt.access_token).toEqual(expect.any(String));
  });

  it('issues a refresh token when the request carries prompt=consent', () => {
    expect(withPrompt.refresh_token).toEqual(expect.any(String));
    expect(withPrompt.scope?.split(' ')).toContain('offline_access');
  });
});

describe('startSandboxProvider, client authentication', () => {
  let sandbox: SandboxProvider;
  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI], interactive: false });
  });
  afterAll(() => sandbox.close());

  it('accepts client_secret_post', async () => {
    const config = await discover(sandbox, oidc.ClientSecretPost(sandbox.clientSecret));
    const tokens = await connect(config, { scope: 'openid' });
    expect(tokens.claims()?.sub).toBe('sandbox-user');
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const config = await discover(sandbox, oidc.ClientSecretBasic('wrong'));
    const err = await rejection(connect(config));
    expect(err).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    expect(err).toMatchObject({
      status: 401,
      cause: [{ scheme: 'basic', parameters: { error: 'invalid_client' } }],
    });
  });

  it('requires PKCE', async () => {
    const url = new URL(sandbox.endpoints.authorization);
    url.search = new URLSearchParams({
      client_id: sandbox.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid',
    }).toString();
    const landing = await browse(new CookieJar(), url);
    expect(landing.kind === 'callback' && Object.fromEntries(landing.url.searchParams)).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('PKCE'),
    });
  });

  it('accepts redirect URIs added at runtime', async () => {
    const other = 'http://127.0.0.1:9/other-callback';
    sandbox.addRedirectUri(other);
    const config = await discover(sandbox);
    const { authorizationUrl } = await authorizationRequest(config, { redirect_uri: other });
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    await res.body?.cancel();
    expect(res.headers.get('location')).toMatch(/^\/interaction\//);
  });
});

describe('startSandboxProvider, refresh token rotation on', () => {
  let sandbox: SandboxProvider;
  let first: oidc.TokenEndpointResponse;
  let rotated: oidc.TokenEndpointResponse;
  let reuse: unknown;

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI], interactive: false, accessTokenTtlSeconds: 60 });
    const config = await discover(sandbox);
    first = await connect(config);
    sandbox.resetCounts();
    rotated = await oidc.refreshTokenGrant(config, first.refresh_token!);
    reuse = await rejection(oidc.refreshTokenGrant(config, first.refresh_token!));
  });
  afterAll(() => sandbox.close());

  it('returns a new refresh token', () => {
    expect(rotated.refresh_token).toEqual(expect.any(String));
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
  });

  it('uses the configured access token lifetime', () => {
    expect(rotated.expires_in).toBe(60);
  });

  it('rejects the used refresh token with invalid_grant', () => {
    expect(reuse).toBeInstanceOf(oidc.ResponseBodyError);
    expect(reuse).toMatchObject({ error: 'invalid_grant', status: 400 });
  });

  it('counts both refresh requests', () => {
    expect(sandbox.requestCount('token')).toBe(2);
    expect(sandbox.requestCount('token:refresh_token')).toBe(2);
  });
});

describe('startSandboxProvider, refresh token rotation off (switched at runtime)', () => {
  let sandbox: SandboxProvider;
  let first: oidc.TokenEndpointResponse;
  let refreshes: oidc.TokenEndpointResponse[];

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI], interactive: false });
    const config = await discover(sandbox);
    first = await connect(config);
    sandbox.setRefreshTokenRotation(false);
    sandbox.setAccessTokenTtlSeconds(120);
    refreshes = [
      await oidc.refreshTokenGrant(config, first.refresh_token!),
      await oidc.refreshTokenGrant(config, first.refresh_token!),
    ];
  });
  afterAll(() => sandbox.close());

  it('accepts the same refresh token twice and returns it unchanged', () => {
    expect(refreshes.map((r) => r.refresh_token)).toEqual([first.refresh_token, first.refresh_token]);
  });

  it('issues distinct access tokens with the lifetime set at runtime', () => {
    expect(new Set(refreshes.map((r) => r.access_token)).size).toBe(2);
    expect(refreshes.map((r) => r.expires_in)).toEqual([120, 120]);
  });
});

describe('startSandboxProvider, revocation (RFC 7009)', () => {
  let sandbox: SandboxProvider;
  let meAfterRevocation: Response;
  let introspectionAfterRevocation: oidc.IntrospectionResponse;
  let refreshAfterRevocation: unknown;

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI], interactive: false });
    const config = await discover(sandbox);
    const tokens = await connect(config);
    await oidc.tokenRevocation(config, tokens.access_token);
    meAfterRevocation = await apiMe(sandbox, tokens.access_token);
    introspectionAfterRevocation = await oidc.tokenIntrospection(config, tokens.access_token);
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    refreshAfterRevocation = await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!));
  });
  afterAll(() => sandbox.close());

  it('makes /api/me answer 401 invalid_token for a revoked access token', () => {
    expect(meAfterRevocation.status).toBe(401);
    expect(meAfterRevocation.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it('introspects a revoked access token as inactive', () => {
    expect(introspectionAfterRevocation).toEqual({ active: false });
  });

  it('rejects a revoked refresh token with invalid_grant', () => {
    expect(refreshAfterRevocation).toMatchObject({ error: 'invalid_grant' });
  });

  it('counts revocation and introspection requests', () => {
    expect(sandbox.requestCount('revocation')).toBe(2);
    expect(sandbox.requestCount('introspection')).toBe(1);
  });
});

describe('startSandboxProvider, /api/me without a valid token', () => {
  let sandbox: SandboxProvider;
  let missing: Response;
  let unknown: Response;

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI] });
    missing = await apiMe(sandbox);
    unknown = await apiMe(sandbox, 'not-a-token');
  });
  afterAll(() => sandbox.close());

  it('answers 401 with a bare Bearer challenge when no token is sent (RFC 6750 §3.1)', () => {
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="sandbox"');
  });

  it('answers 401 invalid_token for an unknown token', async () => {
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer realm="sandbox", error="invalid_token"/);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('counts both requests', () => {
    expect(sandbox.requestCount('api_me')).toBe(2);
  });
});

describe('startSandboxProvider, fault injection and grant revocation', () => {
  let sandbox: SandboxProvider;
  let unavailable: unknown;
  let afterFault: oidc.TokenEndpointResponse;
  let timedOut: unknown;
  let afterTimeout: oidc.TokenEndpointResponse;
  let countsAfterFaults: Readonly<Record<string, number>>;
  let countsAfterReset: Readonly<Record<string, number>>;
  let revokedGrants: number;
  let refreshAfterGrantRevocation: unknown;

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI], interactive: false });
    const config = await discover(sandbox);
    const tokens = await connect(config, { login_hint: 'carol' });
    sandbox.resetCounts();

    sandbox.failNext('token', { status: 503 });
    unavailable = await rejection(oidc.refreshTokenGrant(config, tokens.refresh_token!));
    afterFault = await oidc.refreshTokenGrant(config, tokens.refresh_token!);

    // A client-side timeout: the delayed request is dropped, so the rotated token stays valid.
    sandbox.failNext('token', { delayMs: 300 });
    timedOut = await rejection(fetch(sandbox.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${sandbox.clientId}:${sandbox.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: afterFault.refresh_token! }).toString(),
      signal: AbortSignal.timeout(50),
    }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    afterTimeout = await oidc.refreshTokenGrant(config, afterFault.refresh_token!);
    countsAfterFaults = sandbox.counts();

    sandbox.resetCounts();
    countsAfterReset = sandbox.counts();
    revokedGrants = await sandbox.revokeGrantsFor('carol');
    refreshAfterGrantRevocation = await rejection(oidc.refreshTokenGrant(config, afterTimeout.refresh_token!));
  });
  afterAll(() => sandbox.close());

  it('answers the faulted token request with 503 and a server_error body', async () => {
    expect(unavailable).toMatchObject({ code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' });
    const response = (unavailable as { cause: Response }).cause;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'server_error' });
  });

  it('answers the next token request normally', () => {
    expect(afterFault.access_token).toEqual(expect.any(String));
  });

  it('drops a delayed request whose client gave up, without side effects', () => {
    expect(timedOut).toMatchObject({ name: 'TimeoutError' });
    expect(afterTimeout.access_token).toEqual(expect.any(String));
  });

  it('counts every token request, faulted ones included', () => {
    expect(countsAfterFaults).toMatchObject({ token: 4, 'token:refresh_token': 3 });
  });

  it('resets the counters', () => {
    expect(countsAfterReset).toEqual({});
  });

  it('revokes the subject\'s grant so the next refresh gets invalid_grant', () => {
    expect(revokedGrants).toBe(1);
    expect(refreshAfterGrantRevocation).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('startSandboxProvider, interactive sign-in and consent pages', () => {
  let sandbox: SandboxProvider;
  let config: oidc.Configuration;
  let loginPage: Landing;
  let consentPage: Landing;
  let approved: Landing;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  let denied: Landing;

  function formAction(landing: Landing, button: string): URL {
    if (landing.kind !== 'page') throw new Error('expected a page');
    const form = new RegExp(`action="([^"]+)"[\\s\\S]*id="${button}"`).exec(landing.html);
    const override = new RegExp(`id="${button}"[^>]*formaction="([^"]+)"`).exec(landing.html);
    return new URL((override ?? form)![1]!, landing.url);
  }

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI] });
    config = await discover(sandbox);

    const jar = new CookieJar();
    const { authorizationUrl, codeVerifier, state } = await authorizationRequest(config);
    loginPage = await browse(jar, authorizationUrl);
    consentPage = await postForm(jar, formAction(loginPage, 'sign-in'), { login: 'bob' });
    approved = await postForm(jar, formAction(consentPage, 'approve'), {});
    if (approved.kind !== 'callback') throw new Error('expected a redirect to the client');
    tokens = await oidc.authorizationCodeGrant(config, approved.url, { pkceCodeVerifier: codeVerifier, expectedState: state });

    const denyJar = new CookieJar();
    const second = await authorizationRequest(config);
    const denyLogin = await browse(denyJar, second.authorizationUrl);
    const denyConsent = await postForm(denyJar, formAction(denyLogin, 'sign-in'), { login: 'dave' });
    denied = await postForm(denyJar, formAction(denyConsent, 'deny'), {});
  });
  afterAll(() => sandbox.close());

  it('shows a sign-in page with a username field and a Sign in button', () => {
    expect(loginPage).toMatchObject({ kind: 'page', status: 200 });
    const html = loginPage.kind === 'page' ? loginPage.html : '';
    expect(html).toContain('name="login"');
    expect(html).toMatch(/<button[^>]*id="sign-in"[^>]*>Sign in<\/button>/);
  });

  it('shows a consent page naming the user, the client and each scope, with Approve and Deny', () => {
    expect(consentPage).toMatchObject({ kind: 'page', status: 200 });
    const html = consentPage.kind === 'page' ? consentPage.html : '';
    for (const text of ['bob', 'sandbox-client', ...ALL_SCOPES.split(' ')]) expect(html).toContain(text);
    expect(html).toMatch(/<button[^>]*id="approve"[^>]*>Approve<\/button>/);
    expect(html).toMatch(/<button[^>]*id="deny"[^>]*>Deny<\/button>/);
  });

  it('redirects back with a code after Approve, for the signed-in user', () => {
    expect(tokens.claims()?.sub).toBe('bob');
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('redirects back with error=access_denied after Deny', () => {
    expect(denied.kind === 'callback' && denied.url.searchParams.get('error')).toBe('access_denied');
  });

  it('makes Sign in the default button of the sign-in form, so Enter signs in (regression: Cancel was its first submit button)', () => {
    const html = loginPage.kind === 'page' ? loginPage.html : '';
    const loginForm = /<form[^>]*action="[^"]*\/login"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1] ?? '';
    // HTML implicit submission: the first submit button whose form owner is the sign-in form.
    const owned = [...loginForm.matchAll(/<button([^>]*)>/g)].map((m) => m[1] ?? '').filter((attrs) => !/\sform="/.test(attrs));
    expect(owned[0]).toContain('id="sign-in"');
    expect(html).toMatch(/<button[^>]*id="cancel"[^>]*form="abort-form"/);
  });
});

describe('startSandboxProvider, security headers of its pages', () => {
  let sandbox: SandboxProvider;
  let pages: Record<string, Landing & { kind: 'page' }>;

  beforeAll(async () => {
    sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI] });
    const config = await discover(sandbox);
    const jar = new CookieJar();
    const { authorizationUrl } = await authorizationRequest(config);
    const login = await browse(jar, authorizationUrl);
    const consent = await postForm(jar, new URL(/action="([^"]+\/login)"/.exec(login.kind === 'page' ? login.html : '')![1]!, authorizationUrl), { login: 'erin' });
    const expired = await browse(new CookieJar(), new URL(`${sandbox.issuer}/interaction/unknown-uid`));
    const oidcError = await browse(new CookieJar(), new URL(`${sandbox.endpoints.authorization}?client_id=nobody&response_type=code`));
    pages = {};
    for (const [name, landing] of Object.entries({ login, consent, expired, oidcError })) {
      if (landing.kind !== 'page') throw new Error(`${name}: expected a page`);
      pages[name] = landing;
    }
  });
  afterAll(() => sandbox.close());

  it.each(['login', 'consent', 'expired', 'oidcError'])('sends a strict CSP with frame-ancestors \'none\' and X-Frame-Options DENY on the %s page', (name) => {
    const page = pages[name]!;
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(csp.split(/;\s*/)).toEqual(expect.arrayContaining([
      "default-src 'none'", "script-src 'none'", "frame-ancestors 'none'", "base-uri 'none'",
      "form-action 'self' http://127.0.0.1:9",
    ]));
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('startSandboxProvider, close', () => {
  it('stops accepting connections', async () => {
    const sandbox = await startSandboxProvider({ redirectUris: [REDIRECT_URI] });
    await fetch(sandbox.endpoints.discovery).then((r) => r.body?.cancel());
    await sandbox.close();
    await expect(fetch(sandbox.endpoints.discovery)).rejects.toThrow();
  });
});
