// The generic oidc() provider (plain config, no code) against a real OpenID Connect server on
// loopback (oidc-provider in the sandbox): discovery, ID-token checks, UserInfo as the account, the
// offline_access + prompt=consent rule for refresh tokens, RFC 7009 revocation, the client
// credentials grant (RFC 6749 §4.4), and per-tenant issuers from authorize({ connectionConfig }).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, envFrom, oauth2, oidc } from '@authmanager/core';
import { startSandboxProvider, type SandboxProvider } from '../src/sandbox/sandboxServer.js';
import { followAuthorization } from '../src/followAuthorization.js';
import { approveDeviceCode } from '../src/approveDeviceCode.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let server: SandboxProvider;
beforeAll(async () => { server = await startSandboxProvider({ interactive: false, redirectUris: [REDIRECT] }); });
afterAll(async () => { await server.close(); });

const corp = oidc({
  id: 'corp', displayName: 'Corp SSO', issuer: 'http://127.0.0.1:1/unused',
  scopes: ['openid', 'email', 'offline_access', 'api:read'], revocation: true,
  clientCredentials: { defaultScopes: ['api:read'] },
  api: { baseUrl: 'http://127.0.0.1:1/unused' },
});

function manager(clock?: () => number) {
  return new AuthManager({
    providers: [corp({ issuer: server.issuer, apiBaseUrl: server.issuer, clientId: 'sandbox-client', clientSecret: 'sandbox-secret', redirectUri: REDIRECT })],
    env: envFrom({}), ...(clock ? { now: clock } : {}),
  });
}

async function connect(auth: ReturnType<typeof manager>, subject: string) {
  const { url } = await auth.corp.oauth2.authorize({ subject, params: { login_hint: `${subject}@corp.test` } });
  const callback = await followAuthorization(url, REDIRECT);
  return auth.completeAuthorization({ callbackUrl: callback });
}

describe('oidc() from plain config', () => {
  it('connects with PKCE and a nonce, asks for consent with offline_access, and gets a refresh token', async () => {
    const auth = manager();
    const { url } = await auth.corp.oauth2.authorize({ subject: 'u1' });
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('nonce')).toMatch(/.{20,}/);
    const result = await auth.completeAuthorization({ callbackUrl: await followAuthorization(url, REDIRECT) });
    const creds = await auth.loadCredentials('corp', 'u1');
    expect(creds?.refreshToken).toBeDefined();
    expect(creds?.idTokenClaims()?.sub).toBe('sandbox-user');
    expect(result.account).toEqual({ id: 'sandbox-user', label: 'sandbox-user@sandbox.test' });
  });

  it('takes the account from UserInfo (sub, email) and calls the API with the token', async () => {
    const auth = manager();
    const { account } = await connect(auth, 'alice');
    expect(account).toEqual({ id: 'alice@corp.test', label: 'alice@corp.test' });
    const me = await auth.withSession('alice', async (s) => (await s.fetch('corp', '/api/me')).json()) as { sub: string };
    expect(me.sub).toBe('alice@corp.test');
    expect(server.requestCount('userinfo')).toBeGreaterThan(0);
  });

  it('refreshes with the refresh token and revokes the grant (RFC 7009): the API then refuses the token', async () => {
    const auth = manager();
    await connect(auth, 'bob');
    const before = await auth.loadCredentials('corp', 'bob');
    const fresh = await auth.withSession('bob', (s) => s.refresh('corp'));
    expect(fresh.accessToken).not.toBe(before!.accessToken);
    expect(await auth.corp.oauth2.revoke({ subject: 'bob' })).toBe(true);
    const me = await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${fresh.accessToken}` } });
    expect(me.status).toBe(401);
    expect(await auth.loadCredentials('corp', 'bob')).toBeUndefined();
  });
});

describe('client credentials grant (RFC 6749 §4.4)', () => {
  it('requests one app token for concurrent callers, caches it, and the API accepts it', async () => {
    const auth = manager();
    server.resetCounts();
    const tokens = await Promise.all(Array.from({ length: 5 }, () => auth.corp.clientCredentials.accessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(await auth.corp.clientCredentials.accessToken()).toBe(tokens[0]);
    expect(server.requestCount('token:client_credentials')).toBe(1);
    const res = await auth.corp.clientCredentials.fetch('/api/me');
    expect(await res.json()).toEqual({ scope: 'api:read', client_id: 'sandbox-client' });
  });

  it('requests a new token once the cached one is within the skew of expiry', async () => {
    let now = Date.now();
    const auth = manager(() => now);
    server.resetCounts();
    const first = await auth.corp.clientCredentials.token();
    expect(first.expiresAt).toBeDefined();
    now = first.expiresAt!.getTime() - 1_000;
    const second = await auth.corp.clientCredentials.token();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(server.requestCount('token:client_credentials')).toBe(2);
  });

  it('fails with TOKEN_EXCHANGE_FAILED for a wrong client secret, naming no secret', async () => {
    const auth = new AuthManager({ providers: [corp({ issuer: server.issuer, clientId: 'sandbox-client', clientSecret: 'wrong-secret-value' })], env: envFrom({}) });
    const err = await auth.corp.clientCredentials.token().catch((e: unknown) => e);
    expect(AuthManagerError.is(err)).toBe(true);
    expect((err as AuthManagerError).code).toBe('TOKEN_EXCHANGE_FAILED');
    expect(JSON.stringify(err) + String((err as Error).message)).not.toContain('wrong-secret-value');
  });

  it('is absent from providers that do not declare it', () => {
    const plain = oidc({ id: 'plain', displayName: 'Plain', issuer: 'https://sso.example' });
    const auth = new AuthManager({ providers: [plain()], env: envFrom({}) });
    expect(() => (auth.provider('plain') as unknown as { clientCredentials: unknown }).clientCredentials).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FLOW' }));
  });
});

describe('per-tenant issuer from authorize({ connectionConfig })', () => {
  const tenant = () => oidc({
    id: 'tenant', displayName: 'Tenant SSO', issuer: 'http://127.0.0.1:{port}',
    variables: { port: { from: 'connection', description: 'the tenant server port', pattern: '[0-9]{1,5}' } },
    hosts: [server.issuer],
  });
  const tenantManager = () => new AuthManager({ providers: [tenant()({ clientId: 'sandbox-client', clientSecret: 'sandbox-secret', redirectUri: REDIRECT })], env: envFrom({}) });
  const port = () => new URL(server.issuer).port;

  it('connects to the tenant, keeps its config with the credential, and refreshes against the same tenant', async () => {
    const auth = tenantManager();
    const { url } = await auth.tenant.oauth2.authorize({ subject: 't1', connectionConfig: { port: port() } });
    expect(url.origin).toBe(server.issuer);
    await auth.completeAuthorization({ callbackUrl: await followAuthorization(url, REDIRECT) });
    const creds = await auth.loadCredentials('tenant', 't1');
    expect(creds?.extras).toMatchObject({ connection_config: { port: port() } });
    server.resetCounts();
    await auth.withSession('t1', (s) => s.refresh('tenant'));
    expect(server.requestCount('token:refresh_token')).toBe(1);
  });

  it('gets app-level tokens per tenant (client credentials with connectionConfig), and calls that tenant\'s API', async () => {
    const perTenant = oidc({
      id: 'tenantcc', displayName: 'Tenant CC', issuer: 'http://127.0.0.1:{port}', clientCredentials: { defaultScopes: ['api:read'] },
      variables: { port: { from: 'connection', description: 'the tenant server port', pattern: '[0-9]{1,5}' } },
      hosts: [server.issuer], api: { baseUrl: 'http://127.0.0.1:{port}' },
    });
    const auth = new AuthManager({ providers: [perTenant({ clientId: 'sandbox-client', clientSecret: 'sandbox-secret' })], env: envFrom({}) });
    server.resetCounts();
    const res = await auth.tenantcc.clientCredentials.fetch('/api/me', {}, { connectionConfig: { port: port() } });
    await auth.tenantcc.clientCredentials.token({ connectionConfig: { port: port() } });
    const missing = await auth.tenantcc.clientCredentials.token().catch((e: unknown) => e);

    expect(await res.json()).toEqual({ scope: 'api:read', client_id: 'sandbox-client' });
    expect(server.requestCount('token:client_credentials')).toBe(1);
    expect((missing as AuthManagerError).code).toBe('CONFIGURATION');
  });

  it.each([
    ['a value outside the pattern', { port: '1@evil.example' }],
    ['a value that passes the pattern but names another host', { port: '9' }],
    ['an undeclared key', { port: '1', host: 'evil.example' }],
    ['a missing value', {}],
  ])('refuses %s with CONFIGURATION before any request', async (_what, connectionConfig) => {
    const auth = tenantManager();
    server.resetCounts();
    const err = await auth.tenant.oauth2.authorize({ subject: 't2', connectionConfig }).catch((e: unknown) => e);
    expect((err as AuthManagerError).code).toBe('CONFIGURATION');
    expect(server.counts()).toEqual({});
  });
});

describe('device authorization grant (RFC 8628) on explicit endpoints', () => {
  it('oauth2({ deviceAuthorizationEndpoint }) prompts, polls until approved and returns working credentials', async () => {
    const tv = oauth2({
      id: 'tv', displayName: 'TV', authorizationEndpoint: 'https://tv.invalid/auth', tokenEndpoint: 'https://tv.invalid/token',
      deviceAuthorizationEndpoint: 'https://tv.invalid/device/auth', scopes: ['openid', 'api:read'],
    });
    const auth = new AuthManager({
      providers: [tv({
        authorizationUrl: `${server.issuer}/auth`, tokenUrl: `${server.issuer}/token`, deviceAuthorizationUrl: `${server.issuer}/device/auth`,
        clientId: 'sandbox-client', clientSecret: 'sandbox-secret',
      })],
      env: envFrom({}),
    });
    server.resetCounts();
    const result = await auth.tv.oauth2.deviceAuthorization({ subject: 'tv-1', onPrompt: (p) => { void approveDeviceCode(p.verificationUriComplete!); } });
    const me = await fetch(server.endpoints.apiMe, { headers: { authorization: `Bearer ${result.credentials.accessToken}` } });
    expect(me.status).toBe(200);
    expect(server.requestCount('token:urn:ietf:params:oauth:grant-type:device_code')).toBeGreaterThan(0);
  });
});
