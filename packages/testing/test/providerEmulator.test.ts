import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { apiKey, oauth2, oidc } from '@authmanager/core';
import { startProviderEmulator, type ProviderEmulator } from '../src/index.js';
import { basicCredentials, connect, expectRejection, lastRequest, managerFor } from '../src/providers.js';

// Small definitions, one quirk set each, all on made-up hosts the emulator moves onto loopback.
const acme = oauth2({
  id: 'acme', displayName: 'Acme', scopes: ['read'],
  authorizationEndpoint: 'https://auth.acme.test/authorize', tokenEndpoint: 'https://auth.acme.test/token',
  revocation: { rfc7009: 'https://auth.acme.test/revoke' }, introspectionEndpoint: 'https://auth.acme.test/introspect',
  refreshTokenRotation: 'rotates', identity: { endpoint: '/me', id: 'data.id', label: 'data.email' },
  api: { baseUrl: 'https://api.acme.test/v1', headers: { 'Acme-Version': '2024-01-01' } },
});
const jsonco = oauth2({
  id: 'jsonco', displayName: 'JSON Co', clientAuthentication: 'client_secret_post', pkce: 'none',
  authorizationEndpoint: 'https://jsonco.test/oauth/authorize', tokenEndpoint: 'https://jsonco.test/oauth/token',
  tokenRequest: { bodyFormat: 'json', headers: { 'Json-Version': '1' } }, refreshTokenRotation: 'reuses',
  api: { baseUrl: 'https://jsonco.test/api' },
});
const slacky = oauth2({
  id: 'slacky', displayName: 'Slacky', clientAuthentication: 'client_secret_post', scopeSeparator: ',', scopes: ['chat:write', 'users:read'],
  authorizationEndpoint: 'https://slacky.test/oauth/v2/authorize', tokenEndpoint: 'https://slacky.test/api/oauth.v2.access',
  tokenResponse: { paths: { access_token: 'authed_user.access_token', scope: 'authed_user.scope' } },
  identity: { fromTokenResponse: { id: 'team.id', label: 'team.name' } }, accessTokenLifetimeSeconds: 7200,
  api: { baseUrl: 'https://slacky.test/api' },
});
const githubby = oauth2({
  id: 'githubby', displayName: 'GitHubby', clientAuthentication: 'client_secret_post', refreshTokenRotation: 'rotates',
  authorizationEndpoint: 'https://githubby.test/login/oauth/authorize', tokenEndpoint: 'https://githubby.test/login/oauth/access_token',
  tokenErrors: { sentWithHttp200: true, aliases: { bad_verification_code: 'invalid_grant', bad_refresh_token: 'invalid_grant' } },
  tokenResponse: { refreshTokenExpiresInField: 'refresh_token_lifetime' },
  revocation: {
    endpoint: 'https://api.githubby.test/applications/{client_id}/grant', method: 'DELETE', bodyFormat: 'json',
    tokenParameter: 'access_token', token: 'access_token', clientAuthentication: 'client_secret_basic', alreadyRevokedStatuses: [404],
  },
  api: {
    baseUrl: 'https://api.githubby.test', credentialPlacement: { in: 'header', name: 'Authorization', format: 'token {token}' },
    tokenRejected: { statuses: [403], bodyIncludes: 'Bad credentials' },
  },
});
const desk = oauth2({
  id: 'desk', displayName: 'Desk',
  authorizationEndpoint: 'https://{subdomain}.desk.test/oauth/authorizations/new', tokenEndpoint: 'https://{subdomain}.desk.test/oauth/tokens',
  variables: { subdomain: { from: 'connection', description: 'Your Desk subdomain', example: 'acme' } },
  api: { baseUrl: 'https://{subdomain}.desk.test/api/v2' },
});
const pub = oauth2({
  id: 'pub', displayName: 'Public', clientAuthentication: 'none',
  authorizationEndpoint: 'https://pub.test/authorize', tokenEndpoint: 'https://pub.test/token', api: { baseUrl: 'https://pub.test/api' },
});
const corp = oidc({ id: 'corp', displayName: 'Corp', issuer: 'https://login.corp.test', revocation: true, api: { baseUrl: 'https://api.corp.test' } });
const keyed = apiKey({ id: 'keyed', displayName: 'Keyed', baseUrl: 'https://api.keyed.test', placement: 'header', name: 'x-api-key' });

const emus: ProviderEmulator[] = [];
async function start<D extends Parameters<typeof startProviderEmulator>[0]>(d: D, o?: Parameters<typeof startProviderEmulator>[1]) {
  const emu = await startProviderEmulator(d, o);
  emus.push(emu);
  return emu;
}
afterAll(async () => { await Promise.all(emus.map((e) => e.close())); });

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An authorization request as a client would build it, with PKCE S256 unless told otherwise. */
function authorizeUrl(emu: ProviderEmulator, params: Record<string, string | undefined> = {}) {
  const url = new URL(emu.endpoints.authorize!);
  const all = { client_id: emu.clientId, redirect_uri: emu.redirectUri, response_type: 'code', state: 'st-1', ...params };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** authorize → approve → the code; with the PKCE verifier used. */
async function code(emu: ProviderEmulator, params: Record<string, string | undefined> = {}, pkce = true) {
  const { verifier, challenge } = pkcePair();
  const callback = new URL(await emu.approve(authorizeUrl(emu, pkce ? { code_challenge: challenge, code_challenge_method: 'S256', ...params } : params)));
  return { code: callback.searchParams.get('code')!, verifier, callback };
}

type Auth = 'basic' | 'post' | 'none' | 'both';
/** A token-endpoint (or other) POST as the wire carries it. */
function post(emu: ProviderEmulator, url: string, params: Record<string, string>, { format = 'form', auth = 'basic', headers = {}, method = 'POST' }: { format?: 'form' | 'json'; auth?: Auth; headers?: Record<string, string>; method?: string } = {}) {
  const body: Record<string, string> = { ...params };
  const h: Record<string, string> = { ...headers };
  if (auth === 'basic' || auth === 'both') h.authorization = `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`;
  if (auth === 'post' || auth === 'both') Object.assign(body, { client_id: emu.clientId, client_secret: emu.clientSecret });
  if (auth === 'none') body.client_id = emu.clientId;
  h['content-type'] = format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  return fetch(url, { method, headers: h, body: format === 'json' ? JSON.stringify(body) : new URLSearchParams(body).toString() });
}

async function exchange(emu: ProviderEmulator, options: { format?: 'form' | 'json'; auth?: Auth; headers?: Record<string, string> } = {}, pkce = true) {
  const c = await code(emu, {}, pkce);
  const res = await post(emu, emu.endpoints.token!, { grant_type: 'authorization_code', code: c.code, redirect_uri: emu.redirectUri, ...(pkce ? { code_verifier: c.verifier } : {}) }, options);
  return { status: res.status, json: await res.json() as Record<string, any> };
}

describe('token endpoint body format and client authentication (raw wire)', () => {
  let a: ProviderEmulator<typeof acme.definition>;
  let j: ProviderEmulator<typeof jsonco.definition>;
  beforeAll(async () => { a = await start(acme.definition); j = await start(jsonco.definition); });

  it('a JSON-body provider refuses a form body', async () => {
    const r = await exchange(j, { format: 'form', auth: 'post', headers: { 'Json-Version': '1' } }, false);
    expect([r.status, r.json.error]).toEqual([400, 'invalid_request']);
  });
  it('a JSON-body provider takes a JSON body with its declared header', async () => {
    const r = await exchange(j, { format: 'json', auth: 'post', headers: { 'Json-Version': '1' } }, false);
    expect(r.status).toBe(200);
    expect(typeof r.json.access_token).toBe('string');
  });
  it('a JSON-body provider refuses a request without its declared token-request header', async () => {
    const r = await exchange(j, { format: 'json', auth: 'post' }, false);
    expect([r.status, r.json.error]).toEqual([400, 'invalid_request']);
  });
  it('a form provider refuses a JSON body', async () => {
    const r = await exchange(a, { format: 'json' });
    expect([r.status, r.json.error]).toEqual([400, 'invalid_request']);
  });
  it('client_secret_basic refuses a secret in the body, even next to Basic', async () => {
    const r = await exchange(a, { auth: 'both' });
    expect([r.status, r.json.error]).toEqual([400, 'invalid_request']);
  });
  it('client_secret_basic refuses a client authenticating in the body only', async () => {
    const r = await exchange(a, { auth: 'post' });
    expect([r.status, r.json.error]).toEqual([400, 'invalid_request']);
  });
  it('client_secret_basic refuses a wrong secret', async () => {
    const c = await code(a);
    const res = await fetch(a.endpoints.token!, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${a.clientId}:nope`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: c.code, redirect_uri: a.redirectUri, code_verifier: c.verifier }),
    });
    expect(res.status).toBe(401);
  });
  it('client_secret_post refuses Basic', async () => {
    const r = await exchange(j, { format: 'json', auth: 'basic', headers: { 'Json-Version': '1' } }, false);
    expect([r.status, r.json.error]).toEqual([400, 'invalid_request']);
  });
  it('a body over the size cap is answered 413', async () => {
    const res = await post(a, a.endpoints.token!, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
  });
});

describe('PKCE, redirect URI and scopes (raw wire)', () => {
  let a: ProviderEmulator<typeof acme.definition>;
  let j: ProviderEmulator<typeof jsonco.definition>;
  let p: ProviderEmulator<typeof pub.definition>;
  let s: ProviderEmulator<typeof slacky.definition>;
  beforeAll(async () => {
    a = await start(acme.definition, { scopes: ['read', 'write'] }); j = await start(jsonco.definition);
    p = await start(pub.definition); s = await start(slacky.definition);
  });

  it('a PKCE provider refuses an authorization request without code_challenge', async () => {
    const { callback } = await code(a, {}, false);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
  });
  it('a PKCE provider refuses code_challenge_method=plain', async () => {
    const { callback } = await code(a, { code_challenge_method: 'plain' });
    expect(callback.searchParams.get('error')).toBe('invalid_request');
  });
  it('a wrong code_verifier is invalid_grant (RFC 7636 §4.6)', async () => {
    const c = await code(a);
    const res = await post(a, a.endpoints.token!, { grant_type: 'authorization_code', code: c.code, redirect_uri: a.redirectUri, code_verifier: pkcePair().verifier });
    expect([res.status, (await res.json() as { error: string }).error]).toEqual([400, 'invalid_grant']);
  });
  it('an authorization code works once', async () => {
    const c = await code(a);
    const params = { grant_type: 'authorization_code', code: c.code, redirect_uri: a.redirectUri, code_verifier: c.verifier };
    const first = await post(a, a.endpoints.token!, params);
    const second = await post(a, a.endpoints.token!, params);
    expect([first.status, second.status]).toEqual([200, 400]);
  });
  it('a provider declared without PKCE refuses code_challenge', async () => {
    const { callback } = await code(j);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
  });
  it('a public client (none) must use PKCE and send no secret', async () => {
    const noPkce = await code(p, {}, false);
    const withSecret = await exchange(p, { auth: 'post' });
    const ok = await exchange(p, { auth: 'none' });
    expect([noPkce.callback.searchParams.get('error'), withSecret.status, ok.status]).toEqual(['invalid_request', 400, 200]);
  });
  it('an unregistered redirect_uri is not redirected to', async () => {
    await expect(a.approve(authorizeUrl(a, { redirect_uri: 'https://evil.test/cb' }))).rejects.toThrow(/HTTP 400/);
  });
  it('a token request with another redirect_uri than the authorization request is invalid_grant', async () => {
    const c = await code(a);
    const res = await post(a, a.endpoints.token!, { grant_type: 'authorization_code', code: c.code, redirect_uri: 'http://127.0.0.1:9/other', code_verifier: c.verifier });
    expect((await res.json() as { error: string }).error).toBe('invalid_grant');
  });
  it('scopes are parsed with the declared separator: a space-joined list is invalid_scope at a comma provider', async () => {
    const { callback } = await code(s, { scope: 'chat:write users:read' });
    expect(callback.searchParams.get('error')).toBe('invalid_scope');
  });
  it('a scope the provider does not know is invalid_scope (read,write joined with the wrong separator)', async () => {
    const { callback } = await code(a, { scope: 'read,write' });
    expect(callback.searchParams.get('error')).toBe('invalid_scope');
  });
  it('authorize echoes state with the code', async () => {
    const { callback } = await code(a, { scope: 'read write' });
    expect([callback.searchParams.get('state'), callback.searchParams.has('code')]).toEqual(['st-1', true]);
  });
});

describe('token responses and errors as declared (raw wire)', () => {
  let a: ProviderEmulator<typeof acme.definition>;
  let s: ProviderEmulator<typeof slacky.definition>;
  let g: ProviderEmulator<typeof githubby.definition>;
  let j: ProviderEmulator<typeof jsonco.definition>;
  beforeAll(async () => {
    a = await start(acme.definition); s = await start(slacky.definition, { account: { id: 'T123', label: 'Acme Team' } });
    g = await start(githubby.definition); j = await start(jsonco.definition);
  });

  it('puts tokens under the declared dotted paths, the scope joined with the declared separator', async () => {
    const c = await code(s, { scope: 'chat:write,users:read' });
    const res = await post(s, s.endpoints.token!, { grant_type: 'authorization_code', code: c.code, redirect_uri: s.redirectUri, code_verifier: c.verifier }, { auth: 'post' });
    const body = await res.json() as Record<string, any>;
    expect(body.access_token).toBeUndefined();
    expect(body.authed_user).toEqual({ access_token: expect.stringMatching(/^at_/), scope: 'chat:write,users:read' });
  });
  it('sends no expires_in when the definition declares a default lifetime', async () => {
    const { json } = await exchange(s, { auth: 'post' });
    expect('expires_in' in json).toBe(false);
  });
  it('puts fromTokenResponse identity fields into the token response', async () => {
    const { json } = await exchange(s, { auth: 'post' });
    expect(json.team).toEqual({ id: 'T123', name: 'Acme Team' });
  });
  it('sends expires_in otherwise', async () => {
    const { json } = await exchange(a);
    expect(json.expires_in).toBe(3600);
  });
  it('rotates refresh tokens when declared: the old one dies', async () => {
    const { json } = await exchange(a);
    const first = await (await post(a, a.endpoints.token!, { grant_type: 'refresh_token', refresh_token: json.refresh_token })).json() as Record<string, string>;
    const again = await post(a, a.endpoints.token!, { grant_type: 'refresh_token', refresh_token: json.refresh_token });
    expect(first.refresh_token).not.toBe(json.refresh_token);
    expect([again.status, (await again.json() as { error: string }).error]).toEqual([400, 'invalid_grant']);
  });
  it('sends the same refresh token again when declared reuses', async () => {
    const { json } = await exchange(j, { format: 'json', auth: 'post', headers: { 'Json-Version': '1' } }, false);
    const res = await post(j, j.endpoints.token!, { grant_type: 'refresh_token', refresh_token: json.refresh_token }, { format: 'json', auth: 'post', headers: { 'Json-Version': '1' } });
    expect((await res.json() as { refresh_token: string }).refresh_token).toBe(json.refresh_token);
  });
  it('sends token errors with HTTP 200 and the provider alias for a dead refresh token', async () => {
    const res = await post(g, g.endpoints.token!, { grant_type: 'refresh_token', refresh_token: 'rt_dead' }, { auth: 'post' });
    expect([res.status, (await res.json() as { error: string }).error]).toEqual([200, 'bad_refresh_token']);
  });
  it('uses the code alias for a used code', async () => {
    const res = await post(g, g.endpoints.token!, { grant_type: 'authorization_code', code: 'code_unknown', redirect_uri: g.redirectUri }, { auth: 'post' });
    expect((await res.json() as { error: string }).error).toBe('bad_verification_code');
  });
  it('sends the refresh-token lifetime under the declared field', async () => {
    const { json } = await exchange(g, { auth: 'post' });
    expect([json.refresh_token_lifetime, 'refresh_token_expires_in' in json]).toEqual([60 * 86400, false]);
  });
  it('answers a queued failure once, then normally (failNext)', async () => {
    a.failNext('token', { status: 503, body: { error: 'temporarily_unavailable' } });
    const failed = await exchange(a);
    const ok = await exchange(a);
    expect([failed.status, ok.status]).toEqual([503, 200]);
  });
  it('logs each request with endpoint, headers and body (requests/requestCount/clearRequests)', async () => {
    a.clearRequests();
    await exchange(a);
    expect([a.requestCount(), a.requestCount('token'), basicCredentials(lastRequest(a, 'token').headers.authorization)]).toEqual([2, 1, `${a.clientId}:${a.clientSecret}`]);
  });
});

describe('revocation, introspection, API and identity (raw wire)', () => {
  let a: ProviderEmulator<typeof acme.definition>;
  let g: ProviderEmulator<typeof githubby.definition>;
  beforeAll(async () => { a = await start(acme.definition); g = await start(githubby.definition); });

  it('RFC 7009: an unknown token is answered 200 (§2.2)', async () => {
    const res = await post(a, a.endpoints.revocation!, { token: 'at_unknown' });
    expect(res.status).toBe(200);
  });
  it('RFC 7009: revoking the refresh token ends the grant', async () => {
    const { json } = await exchange(a);
    await post(a, a.endpoints.revocation!, { token: json.refresh_token, token_type_hint: 'refresh_token' });
    const res = await post(a, a.endpoints.token!, { grant_type: 'refresh_token', refresh_token: json.refresh_token });
    expect(res.status).toBe(400);
  });
  it('RFC 7662: introspection says active, then inactive after revocation', async () => {
    const { json } = await exchange(a);
    const before = await (await post(a, a.endpoints.introspection!, { token: json.access_token })).json() as { active: boolean };
    await post(a, a.endpoints.revocation!, { token: json.access_token });
    const after = await (await post(a, a.endpoints.introspection!, { token: json.access_token })).json() as { active: boolean };
    expect([before.active, after.active]).toEqual([true, false]);
  });
  it('a RevocationSpec endpoint has the client id in its path', () => {
    expect(g.endpoints.revocation).toBe(`${g.origin}/api.githubby.test/applications/${encodeURIComponent(g.clientId)}/grant`);
  });
  it('RevocationSpec: DELETE with a JSON body and Basic answers 204, then the declared already-revoked 404', async () => {
    const { json } = await exchange(g, { auth: 'post' });
    const send = () => post(g, g.endpoints.revocation!, { access_token: json.access_token }, { method: 'DELETE', format: 'json', auth: 'basic' });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([204, 404]);
  });
  it('RevocationSpec: refuses the wrong method and the wrong body format', async () => {
    const { json } = await exchange(g, { auth: 'post' });
    const wrongMethod = await post(g, g.endpoints.revocation!, { access_token: json.access_token }, { format: 'json', auth: 'basic' });
    const wrongFormat = await post(g, g.endpoints.revocation!, { access_token: json.access_token }, { method: 'DELETE', format: 'form', auth: 'basic' });
    expect([wrongMethod.status, wrongFormat.status]).toEqual([405, 400]);
  });
  it('the API needs its declared headers', async () => {
    const { json } = await exchange(a);
    const without = await fetch(a.endpoints.api!, { headers: { authorization: `Bearer ${json.access_token}` } });
    const withIt = await fetch(a.endpoints.api!, { headers: { authorization: `Bearer ${json.access_token}`, 'acme-version': '2024-01-01' } });
    expect([without.status, withIt.status]).toEqual([400, 200]);
  });
  it('the API answers a dead token 401 with WWW-Authenticate (RFC 6750 §3)', async () => {
    const res = await fetch(a.endpoints.api!, { headers: { authorization: 'Bearer at_dead', 'acme-version': '2024-01-01' } });
    expect([res.status, res.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
  });
  it('the API reads the credential where credentialPlacement says, and answers the declared tokenRejected', async () => {
    const { json } = await exchange(g, { auth: 'post' });
    const bearer = await fetch(g.endpoints.api!, { headers: { authorization: `Bearer ${json.access_token}` } });
    const declared = await fetch(g.endpoints.api!, { headers: { authorization: `token ${json.access_token}` } });
    expect([bearer.status, await bearer.text(), declared.status]).toEqual([403, expect.stringContaining('Bad credentials'), 200]);
  });
  it('the identity endpoint answers the declared dotted id and label paths', async () => {
    const { json } = await exchange(a);
    const res = await fetch(a.endpoints.identity!, { headers: { authorization: `Bearer ${json.access_token}` } });
    expect(await res.json()).toEqual({ data: { id: 'user-1', email: 'ada@example.test' } });
  });
});

describe('per-tenant hosts, OpenID Connect and static keys (raw wire)', () => {
  let d: ProviderEmulator<typeof desk.definition>;
  let c: ProviderEmulator<typeof corp.definition>;
  let k: ProviderEmulator<typeof keyed.definition>;
  beforeAll(async () => { d = await start(desk.definition); c = await start(corp.definition); k = await start(keyed.definition); });

  it('keeps templated hosts templates on loopback, one path prefix per real host', () => {
    expect([d.appCredentials.tokenUrl, d.appCredentials.apiBaseUrl, d.connectionConfig]).toEqual([
      `${d.origin}/{subdomain}.desk.test/oauth/tokens`, `${d.origin}/{subdomain}.desk.test/api/v2`, { subdomain: 'acme' },
    ]);
  });
  it('answers the example tenant and no other', async () => {
    const other = new URL(d.endpoints.authorize!.replace('/acme.desk.test/', '/other.desk.test/'));
    authorizeUrl(d).searchParams.forEach((v, key) => other.searchParams.set(key, v));
    other.searchParams.set('code_challenge', pkcePair().challenge);
    other.searchParams.set('code_challenge_method', 'S256');
    const ok = await code(d);
    await expect(d.approve(other)).rejects.toThrow(/HTTP 404/);
    expect(ok.code).toMatch(/^code_/);
  });
  it('serves OpenID discovery with the issuer on loopback', async () => {
    const doc = await (await fetch(c.endpoints.discovery!)).json() as Record<string, string>;
    expect([doc.issuer, doc.token_endpoint]).toEqual([`${c.origin}/login.corp.test`, c.endpoints.token]);
  });
  it('signs ID tokens with RS256 carrying iss, aud, azp and the nonce', async () => {
    const { verifier, challenge } = pkcePair();
    const cb = new URL(await c.approve(authorizeUrl(c, { scope: 'openid email', nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256' })));
    const res = await post(c, c.endpoints.token!, { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: c.redirectUri, code_verifier: verifier });
    const { id_token } = await res.json() as { id_token: string };
    const { payload, protectedHeader } = await jwtVerify(id_token, createRemoteJWKSet(new URL(c.endpoints.jwks!)), { issuer: `${c.origin}/login.corp.test`, audience: c.clientId });
    expect([protectedHeader.alg, payload.nonce, payload.azp, payload.sub]).toEqual(['RS256', 'n-1', c.clientId, 'user-1']);
  });
  it('an OpenID provider refuses an authorization request without the openid scope', async () => {
    const { callback } = await code(c, { scope: 'email' });
    expect(callback.searchParams.get('error')).toBe('invalid_scope');
  });
  it('a static-key API accepts its key in the declared header and nothing else', async () => {
    const good = await fetch(k.endpoints.api!, { headers: { 'x-api-key': k.staticTokens[0]! } });
    const bad = await fetch(k.endpoints.api!, { headers: { 'x-api-key': 'key_wrong' } });
    const bearer = await fetch(k.endpoints.api!, { headers: { authorization: `Bearer ${k.staticTokens[0]}` } });
    expect([good.status, bad.status, bearer.status, k.endpoints.token]).toEqual([200, 401, 401, undefined]);
  });
});

describe('end to end through AuthManager', () => {
  it('acme: connect, session.fetch with the declared headers, refresh with rotation, disconnect revokes (RFC 7009)', async () => {
    const emu = await start(acme.definition);
    const auth = managerFor(acme, emu);
    const { account, credentials } = await connect(auth, emu, 'acme', 'u1');
    const session = auth.session('u1');
    const res = await session.fetch('acme', '/__emulator/sample');
    const refreshed = await session.refresh('acme');
    const disconnected = await auth.disconnect('acme', 'u1');
    const after = await fetch(emu.endpoints.api!, { headers: { authorization: `Bearer ${refreshed.accessToken}`, 'acme-version': '2024-01-01' } });
    expect(account).toEqual({ id: 'user-1', label: 'ada@example.test' });
    expect([res.status, lastRequest(emu, 'api').headers['acme-version']]).toEqual([200, '2024-01-01']);
    expect(refreshed.refreshToken).not.toBe(credentials.refreshToken);
    expect([disconnected.revoked, emu.requests('revocation')[0]?.params.token, after.status]).toEqual([true, refreshed.refreshToken, 401]);
  });
  it('acme: a 401 from the API makes session.fetch refresh once and retry', async () => {
    const emu = await start(acme.definition);
    const auth = managerFor(acme, emu);
    await connect(auth, emu, 'acme', 'u1');
    emu.failNext('api', { status: 401, body: { error: 'invalid_token' } });
    const res = await auth.session('u1').fetch('acme', '/__emulator/sample');
    expect([res.status, emu.requestCount('api'), emu.requests('token').map((r) => r.params.grant_type)]).toEqual([200, 2, ['authorization_code', 'refresh_token']]);
  });
  it('jsonco: the token request goes out as JSON with the secret in the body and the declared header', async () => {
    const emu = await start(jsonco.definition);
    const auth = managerFor(jsonco, emu);
    await connect(auth, emu, 'jsonco', 'u1');
    const sent = lastRequest(emu, 'token');
    expect([sent.headers['content-type'], sent.headers['json-version'], sent.params.client_secret, sent.headers.authorization, sent.params.code_verifier])
      .toEqual([expect.stringMatching(/^application\/json/), '1', emu.clientSecret, undefined, undefined]);
  });
  it('slacky: the access token and account come from the declared paths; no expires_in means the declared lifetime', async () => {
    const emu = await start(slacky.definition, { account: { id: 'T9', label: 'Team Nine' } });
    const auth = managerFor(slacky, emu);
    const before = Date.now();
    const { account, credentials } = await connect(auth, emu, 'slacky', 'u1');
    const expected = (await (await fetch(emu.endpoints.api!, { headers: { authorization: `Bearer ${credentials.accessToken}` } })).json()) as { ok: boolean };
    expect([account, expected.ok, lastRequest(emu, 'authorize').params.scope]).toEqual([{ id: 'T9', label: 'Team Nine' }, true, 'chat:write,users:read']);
    expect(credentials.expiresAt!.getTime() - before).toBeGreaterThanOrEqual(7199_000);
  });
  it('githubby: a dead refresh token (HTTP 200 bad_refresh_token) is REAUTHORIZATION_REQUIRED', async () => {
    const emu = await start(githubby.definition);
    const auth = managerFor(githubby, emu);
    const { credentials } = await connect(auth, emu, 'githubby', 'u1');
    await post(emu, emu.endpoints.token!, { grant_type: 'refresh_token', refresh_token: credentials.refreshToken! }, { auth: 'post' });
    await expectRejection(auth.session('u1').refresh('githubby'), 'REAUTHORIZATION_REQUIRED');
  });
  // Core bug: oauth2()'s RevocationSpec endpoint function runs fillUrlTemplate over `{client_id}`, an
  // undeclared variable, so disconnect fails with CONFIGURATION before sendRevocation can fill it.
  it('githubby: session.fetch puts the token where credentialPlacement says, disconnect DELETEs the grant', async () => {
    const emu = await start(githubby.definition);
    const auth = managerFor(githubby, emu);
    await connect(auth, emu, 'githubby', 'u1');
    const res = await auth.session('u1').fetch('githubby', '/user');
    const { revoked } = await auth.disconnect('githubby', 'u1');
    const sent = lastRequest(emu, 'revocation');
    expect([res.status, revoked, sent.method, basicCredentials(sent.headers.authorization)]).toEqual([200, true, 'DELETE', `${emu.clientId}:${emu.clientSecret}`]);
  });
  it('desk: connects the tenant given in connectionConfig and calls its API host', async () => {
    const emu = await start(desk.definition, { connectionConfig: { subdomain: 'globex' } });
    const auth = managerFor(desk, emu);
    await connect(auth, emu, 'desk', 'u1');
    const res = await auth.session('u1').fetch('desk', '/tickets');
    expect([res.status, lastRequest(emu, 'api').path]).toEqual([200, '/globex.desk.test/api/v2/tickets']);
  });
  it('desk: another tenant than the emulator serves fails the exchange', async () => {
    const emu = await start(desk.definition);
    const auth = managerFor(desk, emu);
    await expect(connect(auth, emu, 'desk', 'u1', { connectionConfig: { subdomain: 'initech' } })).rejects.toThrow(/HTTP 404/);
  });
  it('pub: a public client connects with PKCE and no secret', async () => {
    const emu = await start(pub.definition);
    const auth = managerFor(pub, emu);
    await connect(auth, emu, 'pub', 'u1');
    const sent = lastRequest(emu, 'token');
    expect([sent.params.client_id, sent.params.client_secret, sent.headers.authorization, typeof sent.params.code_verifier]).toEqual([emu.clientId, undefined, undefined, 'string']);
  });
  it('corp (OIDC): discovery, a verified ID token, the account from UserInfo, revocation', async () => {
    const emu = await start(corp.definition, { account: { id: 'sub-7', label: 'grace@corp.test' } });
    const auth = managerFor(corp, emu);
    const { account } = await connect(auth, emu, 'corp', 'u1');
    const res = await auth.session('u1').fetch('corp', '/__emulator/sample');
    const { revoked } = await auth.disconnect('corp', 'u1');
    expect([account, res.status, revoked]).toEqual([{ id: 'sub-7', label: 'grace@corp.test' }, 200, true]);
  });
  it('keyed: the app-wide API key goes into the declared header', async () => {
    const emu = await start(keyed.definition);
    const auth = managerFor(keyed, emu);
    const res = await auth.session('u1').fetch('keyed', '/v1/things');
    expect([res.status, lastRequest(emu, 'api').headers['x-api-key']]).toEqual([200, emu.staticTokens[0]]);
  });
});

describe('client credentials and an API base URL from the token response', () => {
  const machine = oauth2({
    id: 'machine', displayName: 'Machine', clientCredentials: { params: { audience: 'https://api.machine.test' } },
    authorizationEndpoint: 'https://machine.test/authorize', tokenEndpoint: 'https://machine.test/token',
  });
  it('issues an app token for client_credentials with the declared parameters, and refuses it without them', async () => {
    const emu = await start(machine.definition);
    const ok = await post(emu, emu.endpoints.token!, { grant_type: 'client_credentials', audience: 'https://api.machine.test' });
    const missing = await post(emu, emu.endpoints.token!, { grant_type: 'client_credentials' });
    expect([ok.status, 'refresh_token' in (await ok.json() as object), missing.status]).toEqual([200, false, 400]);
  });
  it('core sends the declared client-credentials parameters (auth.<id>.clientCredentials.token)', async () => {
    const emu = await start(machine.definition);
    const auth = managerFor(machine, emu);
    // By id: oauth2() widens the id to string, so `auth.machine` is not typed (reported to core).
    const flow = (auth.provider('machine') as unknown as { clientCredentials: { token(): Promise<{ accessToken: string }> } }).clientCredentials;
    const token = await flow.token();
    expect([token.accessToken, lastRequest(emu, 'token').params.audience]).toEqual([expect.stringMatching(/^at_/), 'https://api.machine.test']);
  });

  it('puts the emulator API origin in the declared token-response field, and the API answers there', async () => {
    const probe = await startProviderEmulator(keyed.definition);
    const port = Number(new URL(probe.origin).port);
    await probe.close();
    const instance = oauth2({
      id: 'instance', displayName: 'Instance', authorizationEndpoint: 'https://login.instance.test/authorize', tokenEndpoint: 'https://login.instance.test/token',
      api: { baseUrl: 'https://login.instance.test', baseUrlFromTokenResponse: 'instance_url', baseUrlOrigins: [`http://127.0.0.1:${port}`] },
    });
    const emu = await start(instance.definition, { port });
    const auth = managerFor(instance, emu);
    const { credentials } = await connect(auth, emu, 'instance', 'u1');
    const res = await auth.session('u1').fetch('instance', '/data');
    expect([(credentials.extras as { instance_url?: string }).instance_url, res.status, lastRequest(emu, 'api').path]).toEqual([`${emu.origin}/__api`, 200, '/__api/data']);
  });
});

// The vocabulary core gained (definition.variables, identity bodies, header placeholders, token-request
// parameters and Basic encodings, expires_in 0, chain lifetimes, revocation errors and anonymous
// revocation), each as the emulator must answer it.
const dc = oauth2({
  id: 'dc', displayName: 'DC', clientAuthentication: 'client_secret_basic',
  authorizationEndpoint: 'https://{accountsServer}/oauth/auth', tokenEndpoint: 'https://{accountsServer}/oauth/token',
  variables: { accountsServer: { from: 'app', description: 'Accounts host', pattern: 'accounts\\.dc\\.(?:test|eu)', default: 'accounts.dc.test', example: 'accounts.dc.eu' } },
  hosts: ['https://accounts.dc.test', 'https://accounts.dc.eu'],
  tokenRequest: { params: { expiring: '1' }, basicEncoding: 'rfc7617' },
  tokenResponse: { zeroExpiresInMeansNever: true },
  revocation: { endpoint: 'https://{accountsServer}/oauth/revoke', token: 'access_token', anonymous: true, alreadyRevokedErrors: ['invalid_token'] },
  identity: { endpoint: '/graphql', body: { query: '{ viewer { id email } }' }, id: 'data.viewer.id', label: 'data.viewer.email' },
  api: { baseUrl: 'https://api.dc.test', headers: { 'Client-Id': '{clientId}' } },
});
const chained = oauth2({
  id: 'chained', displayName: 'Chained', refreshTokenRotation: 'rotates', refreshTokenMaxLifetimeSeconds: 3 * 3600,
  authorizationEndpoint: 'https://chained.test/authorize', tokenEndpoint: 'https://chained.test/token',
});
const patterned = oauth2({
  id: 'patterned', displayName: 'Patterned',
  authorizationEndpoint: 'https://{dc}.patterned.test/authorize', tokenEndpoint: 'https://{dc}.patterned.test/token',
  variables: { dc: { from: 'app', description: 'Data center', pattern: '[a-z]{2}[0-9]{1,3}' } },
});
const selfContradicting = oauth2({
  id: 'selfcontradicting', displayName: 'Self-contradicting',
  authorizationEndpoint: 'https://{dc}.contra.test/authorize', tokenEndpoint: 'https://{dc}.contra.test/token',
  variables: { dc: { from: 'app', description: 'Data center', pattern: '[a-z]{2}[0-9]{1,3}', example: 'eu' } },
});

describe('the vocabulary core gained (raw wire and through AuthManager)', () => {
  let e: ProviderEmulator<typeof dc.definition>;
  beforeAll(async () => { e = await start(dc.definition); });
  /** A token request sent the way dc declares it (Basic as-is, expiring=1) unless told otherwise. */
  const dcToken = (params: Record<string, string>, { basic = `${e.clientId}:${e.clientSecret}`, expiring = true } = {}) => fetch(e.endpoints.token!, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(basic).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, ...(expiring ? { expiring: '1' } : {}) }),
  });
  async function dcCode() {
    const c = await code(e);
    return { grant_type: 'authorization_code', code: c.code, redirect_uri: e.redirectUri, code_verifier: c.verifier };
  }

  it('regression (zoho): a camelCase host variable stays a template on loopback, filled with its example', () => {
    expect(e.appCredentials.tokenUrl).toBe(`${e.origin}/{accountsServer}/oauth/token`);
    expect(e.endpoints.token).toBe(`${e.origin}/accounts.dc.eu/oauth/token`);
  });
  it('regression (okta, auth0, mailchimp): a variable without example or default gets a value its pattern accepts', async () => {
    const p = await start(patterned.definition);
    expect((p.appCredentials as Record<string, string>).dc).toMatch(/^[a-z]{2}[0-9]{1,3}$/);
    expect(p.endpoints.token).toBe(`${p.origin}/${(p.appCredentials as Record<string, string>).dc}.patterned.test/token`);
  });
  it('regression (open handle): a definition the emulator cannot lay out is refused and leaves no server listening', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    await expect(startProviderEmulator(selfContradicting.definition, { port })).rejects.toThrow(/example of \{dc\} does not match its own pattern/);
    // The port is free again: the emulator closed the server it had started.
    const again = createServer();
    await new Promise<void>((resolve, reject) => { again.once('error', reject); again.listen(port, '127.0.0.1', () => resolve()); });
    await new Promise((resolve) => again.close(resolve));
  });
  it('tokenRequest.params: a code exchange without the declared parameter is invalid_request', async () => {
    const res = await dcToken(await dcCode(), { expiring: false });
    expect([res.status, (await res.json() as { error: string }).error]).toEqual([400, 'invalid_request']);
  });
  it('tokenRequest.basicEncoding rfc7617: the id and secret are compared as they are, so a form-encoded client_… is invalid_client', async () => {
    const formEncoded = `${encodeURIComponent(e.clientId).replace(/_/g, '%5F').replace(/-/g, '%2D')}:${e.clientSecret.replace(/_/g, '%5F').replace(/-/g, '%2D')}`;
    expect(formEncoded).not.toBe(`${e.clientId}:${e.clientSecret}`); // the default client id has a `_`
    const refused = await dcToken(await dcCode(), { basic: formEncoded });
    const taken = await dcToken(await dcCode());
    expect([refused.status, taken.status]).toEqual([401, 200]);
  });
  it('zeroExpiresInMeansNever: tokens are sent with expires_in 0 and do not expire', async () => {
    const res = await dcToken(await dcCode());
    expect((await res.json() as { expires_in: unknown }).expires_in).toBe(0);
  });
  it('an identity body (GraphQL) must be POSTed as the declared JSON', async () => {
    const { access_token: token } = await (await dcToken(await dcCode())).json() as { access_token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const get = await fetch(e.endpoints.identity!, { headers: { authorization: `Bearer ${token}` } });
    const otherQuery = await fetch(e.endpoints.identity!, { method: 'POST', headers, body: JSON.stringify({ query: '{ viewer { id } }' }) });
    const declared = await fetch(e.endpoints.identity!, { method: 'POST', headers, body: JSON.stringify({ query: '{ viewer { id email } }' }) });
    expect([get.status, otherQuery.status, declared.status]).toEqual([405, 400, 200]);
    expect(await declared.json()).toEqual({ data: { viewer: { id: 'user-1', email: 'ada@example.test' } } });
  });
  it('a {field} header placeholder is required filled, not as the literal text', async () => {
    const { access_token: token } = await (await dcToken(await dcCode())).json() as { access_token: string };
    const literal = await fetch(e.endpoints.api!, { headers: { authorization: `Bearer ${token}`, 'client-id': '{clientId}' } });
    const filled = await fetch(e.endpoints.api!, { headers: { authorization: `Bearer ${token}`, 'client-id': e.clientId } });
    expect([literal.status, filled.status]).toEqual([400, 200]);
  });
  it('anonymous revocation refuses a client id, takes the token alone, then answers the declared already-revoked error', async () => {
    const { access_token: token } = await (await dcToken(await dcCode())).json() as { access_token: string };
    const send = (body: Record<string, string>) => fetch(e.endpoints.revocation!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
    const withClient = await send({ token, client_id: e.clientId });
    const first = await send({ token });
    const second = await send({ token });
    expect([withClient.status, first.status, second.status]).toEqual([400, 200, 400]);
    expect((await second.json() as { error: string }).error).toBe('invalid_token');
  });
  it('dc through AuthManager: connects (params, Basic as-is), identity over GraphQL, no expiry, API with Client-Id, anonymous revocation', async () => {
    const auth = managerFor(dc, e);
    const { account, credentials } = await connect(auth, e, 'dc', 'u1');
    const res = await auth.withSession('u1', (s) => s.fetch('dc', '/__emulator/sample'));
    const revoked = await auth.disconnect('dc', 'u1');
    const revocation = lastRequest(e, 'revocation');
    expect(account).toEqual({ id: 'user-1', label: 'ada@example.test' });
    expect(credentials.expiresAt).toBeUndefined();
    expect([res.status, lastRequest(e, 'api').headers['client-id']]).toEqual([200, e.clientId]);
    expect([revoked.revoked, revocation.params.token, revocation.params.client_id, revocation.headers.authorization]).toEqual([true, credentials.accessToken, undefined, undefined]);
  });
  it('an identity id path starting with an index is answered as a JSON array (Atlassian accessible-resources)', async () => {
    const listed = oauth2({
      id: 'listed', displayName: 'Listed', authorizationEndpoint: 'https://listed.test/authorize', tokenEndpoint: 'https://listed.test/token',
      identity: { endpoint: '/resources', id: '0.id', label: '0.url' }, api: { baseUrl: 'https://api.listed.test' },
    });
    const l = await start(listed.definition);
    const { account } = await connect(managerFor(listed, l), l, 'listed', 'u1');
    const sent = lastRequest(l, 'identity');
    const res = await fetch(l.endpoints.identity!, { headers: { authorization: sent.headers.authorization! } });
    expect(await res.json()).toEqual([{ id: 'user-1', url: 'ada@example.test' }]);
    expect(account).toEqual({ id: 'user-1', label: 'ada@example.test' });
  });
  it('refreshTokenMaxLifetimeSeconds: the refresh-token chain ends at the maximum counted from the authorization, however often it was refreshed', async () => {
    let nowMs = Date.UTC(2030, 0, 1);
    const c = await start(chained.definition, { now: () => nowMs });
    const auth = managerFor(chained, c, { now: () => nowMs });
    const { credentials } = await connect(auth, c, 'chained', 'u1');
    nowMs += 2 * 3600_000;
    const refreshed = await auth.withSession('u1', (s) => s.refresh('chained'));
    nowMs += 2 * 3600_000; // four hours after the authorization: past the three-hour chain
    const dead = await fetch(c.endpoints.token!, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshed.refreshToken! }),
    });
    expect(refreshed.refreshToken).not.toBe(credentials.refreshToken);
    expect(credentials.refreshTokenExpiresAt?.getTime()).toBe(Date.UTC(2030, 0, 1) + 3 * 3600_000);
    expect([dead.status, (await dead.json() as { error: string }).error]).toEqual([400, 'invalid_grant']);
  });
});
