import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { AuthManager, AuthManagerError, envFrom } from '@authmanager/core';
import { startGoogleEmulator, type GoogleEmulator, type GoogleIdTokenTamper } from '@authmanager/testing';
import { approve, expectRejection } from '@authmanager/testing/providers';
import { google, GOOGLE_API_BASE_URL, GOOGLE_GMAIL_API_BASE_URL, GOOGLE_ISSUER, GOOGLE_REVOCATION_URL } from '../src/index.js';
import { connect, DRIVE_READONLY, GMAIL_READONLY, googleAuth, USERINFO_EMAIL } from './helpers.js';

let emu: GoogleEmulator;
beforeAll(async () => { emu = await startGoogleEmulator(); });
afterAll(async () => { await emu.close(); });
afterEach(() => { emu.setIdTokenOnRefresh(true); emu.setRefreshTokenRotation(false); });

describe('ID token validation (OpenID Connect Core §3.1.3.7)', () => {
  const cases: [GoogleIdTokenTamper, string][] = [
    ['signature', 'signed with a key that is not in the JWKS'],
    ['audience', 'issued to another client (aud)'],
    ['nonce', 'carrying another nonce'],
    ['issuer', 'from another issuer (iss)'],
    ['expired', 'expired (exp)'],
  ];
  for (const [how, what] of cases) {
    it(`rejects an ID token ${what} with INVALID_TOKEN_RESPONSE and stores nothing`, async () => {
      const auth = googleAuth(emu);
      const { url } = await auth.google.oauth2.authorize({ subject: `tamper-${how}` });
      emu.tamperNextIdToken(how);
      const err = await expectRejection(auth.google.oauth2.complete({ callbackUrl: await approve(url) }), 'INVALID_TOKEN_RESPONSE');
      expect(await auth.loadCredentials('google', `tamper-${how}`)).toBeUndefined();
    });
  }

  it('accepts the same flow untampered (the cases above fail for the tampering alone)', async () => {
    const auth = googleAuth(emu);
    const { credentials } = await connect(auth, 'untampered');
    expect(credentials.idTokenClaims()?.sub).toBe(emu.users[0]!.sub);
  });

  it('checks the signature of an ID token that comes with a refresh too, and keeps the stored credential', async () => {
    const auth = googleAuth(emu);
    const { credentials } = await connect(auth, 'tamper-refresh');
    emu.tamperNextIdToken('signature');
    await using session = await auth.session('tamper-refresh');
    const err = await expectRejection(session.refresh('google'), 'INVALID_TOKEN_RESPONSE');
    expect((await auth.loadCredentials('google', 'tamper-refresh'))?.accessToken).toBe(credentials.accessToken);
  });

  it('fetches the JWKS once per manager, not per token response', async () => {
    const auth = googleAuth(emu);
    const before = emu.requestCount('jwks');
    await connect(auth, 'jwks-1');
    await connect(auth, 'jwks-2');
    expect(emu.requestCount('jwks') - before).toBe(1);
  });
});

describe('refresh tokens: access_type=offline and a consent screen', () => {
  let fresh: GoogleEmulator;
  beforeAll(async () => { fresh = await startGoogleEmulator(); });
  afterAll(async () => { await fresh.close(); });

  it('Google (emulated) sends none on a re-connect without prompt=consent, one on the first consent', async () => {
    const auth = googleAuth(fresh, { prompt: '' });
    const first = await connect(auth, 'no-prompt-1');
    const again = await connect(auth, 'no-prompt-2');
    expect(first.credentials.refreshToken).toBeDefined();
    expect(again.credentials.refreshToken).toBeUndefined();
  });

  it('by default asks access_type=offline&prompt=consent, so a re-connect still gets one', async () => {
    const auth = googleAuth(fresh);
    const { credentials } = await connect(auth, 'default-prompt');
    expect(fresh.requests('authorize').at(-1)!.params).toMatchObject({ access_type: 'offline', prompt: 'consent' });
    expect(credentials.refreshToken).toBeDefined();
  });

  it('gets none with accessType "online", consent or not', async () => {
    const auth = googleAuth(fresh, { accessType: 'online' });
    const { credentials } = await connect(auth, 'online');
    expect(credentials.refreshToken).toBeUndefined();
  });

  it('lets one authorization override prompt (e.g. select_account)', async () => {
    const auth = googleAuth(fresh);
    const { url } = await auth.google.oauth2.authorize({ subject: 'override', params: { prompt: 'select_account' } });
    expect(url.searchParams.get('prompt')).toBe('select_account');
  });

  it('a dead refresh token (revoked, 6 months unused, password change) means REAUTHORIZATION_REQUIRED', async () => {
    const auth = googleAuth(fresh);
    await connect(auth, 'dead-refresh');
    fresh.invalidateRefreshTokens();
    await using session = await auth.session('dead-refresh');
    const err = await expectRejection(session.refresh('google'), 'REAUTHORIZATION_REQUIRED');
    expect(err.error).toBe('invalid_grant');
  });
});

describe('refresh keeps what Google does not resend', () => {
  it('keeps the old ID token when the refresh response has none', async () => {
    const auth = googleAuth(emu);
    const { credentials } = await connect(auth, 'no-idtoken-on-refresh');
    emu.setIdTokenOnRefresh(false);
    await using session = await auth.session('no-idtoken-on-refresh');
    const refreshed = await session.refresh('google');
    expect(refreshed.accessToken).not.toBe(credentials.accessToken);
    expect(refreshed.idToken).toBe(credentials.idToken);
    expect(refreshed.refreshToken).toBe(credentials.refreshToken);
  });

  it('takes a new refresh token if one is ever sent (rotation switch, not Google’s default)', async () => {
    const auth = googleAuth(emu);
    const { credentials } = await connect(auth, 'rotation');
    emu.setRefreshTokenRotation(true);
    await using session = await auth.session('rotation');
    const refreshed = await session.refresh('google');
    expect(refreshed.refreshToken).not.toBe(credentials.refreshToken);
    expect(emu.isTokenActive(refreshed.refreshToken!)).toBe(true);
    expect((await auth.loadCredentials('google', 'rotation'))?.refreshToken).toBe(refreshed.refreshToken);
  });

  it('refreshes once and retries when an API answers 401 (token expired early)', async () => {
    const auth = googleAuth(emu);
    await connect(auth, 'expired-401');
    emu.expireAccessTokens();
    const refreshesBefore = emu.requests('token').filter((r) => r.params.grant_type === 'refresh_token').length;
    await using session = await auth.session('expired-401');
    const res = await session.fetch('google', '/oauth2/v3/userinfo');
    expect(res.status).toBe(200);
    expect(emu.requests('token').filter((r) => r.params.grant_type === 'refresh_token').length - refreshesBefore).toBe(1);
  });
});

describe('revocation', () => {
  it('a grant already revoked at Google (user removed access) still disconnects: 400 invalid_token counts as done', async () => {
    const auth = googleAuth(emu);
    const { credentials } = await connect(auth, 'revoked-upstream');
    await fetch(emu.endpoints.revocation, { method: 'POST', body: new URLSearchParams({ token: credentials.refreshToken! }) });
    const before = emu.requestCount('revocation');
    expect(await auth.google.oauth2.revoke({ subject: 'revoked-upstream' })).toBe(true);
    expect(emu.requestCount('revocation') - before).toBe(1);
    expect(await auth.loadCredentials('google', 'revoked-upstream')).toBeUndefined();
  });

  it('a credential without a refresh token revokes its access token', async () => {
    const auth = googleAuth(emu, { accessType: 'online' });
    const { credentials } = await connect(auth, 'online-revoke');
    expect(credentials.refreshToken).toBeUndefined();
    expect(await auth.google.oauth2.revoke({ subject: 'online-revoke' })).toBe(true);
    expect(emu.requests('revocation').at(-1)!.params).toEqual({ token: credentials.accessToken });
    expect(emu.isTokenActive(credentials.accessToken)).toBe(false);
  });

  it('Google down (503): PROVIDER_UNAVAILABLE and the credential stays', async () => {
    const auth = googleAuth(emu);
    await connect(auth, 'revoke-503');
    emu.failNext('revocation', { status: 503 });
    const err = await expectRejection(auth.google.oauth2.revoke({ subject: 'revoke-503' }), 'PROVIDER_UNAVAILABLE');
    expect(await auth.loadCredentials('google', 'revoke-503')).toBeDefined();
  });

  it('a refusal other than invalid_token is REVOCATION_FAILED with the RFC fields', async () => {
    const auth = googleAuth(emu);
    await connect(auth, 'revoke-400');
    emu.failNext('revocation', { status: 400, body: { error: 'invalid_request', error_description: 'Bad Request' } });
    const err = await expectRejection(auth.google.oauth2.revoke({ subject: 'revoke-400' }), 'REVOCATION_FAILED');
    expect(err.error).toBe('invalid_request');
    expect(await auth.loadCredentials('google', 'revoke-400')).toBeDefined();
  });
});

describe('include_granted_scopes and login_hint', () => {
  it('a re-connect for one more scope keeps the earlier ones (incremental authorization)', async () => {
    const auth = googleAuth(emu);
    await connect(auth, 'incremental', { scopes: ['openid', 'email', GMAIL_READONLY], params: { login_hint: emu.users[1]!.email } });
    const { credentials } = await connect(auth, 'incremental', { scopes: ['openid', DRIVE_READONLY], params: { login_hint: emu.users[1]!.email } });
    expect(credentials.scopes).toEqual(expect.arrayContaining(['openid', USERINFO_EMAIL, GMAIL_READONLY, DRIVE_READONLY]));
  });

  it('with includeGrantedScopes false the token covers only what was asked', async () => {
    const auth = googleAuth(emu, { includeGrantedScopes: false });
    const { url } = await auth.google.oauth2.authorize({ subject: 'not-incremental', scopes: ['openid', DRIVE_READONLY] });
    expect(url.searchParams.has('include_granted_scopes')).toBe(false);
    const { credentials } = await auth.google.oauth2.complete({ callbackUrl: await approve(url) });
    expect([...credentials.scopes!].sort()).toEqual([DRIVE_READONLY, 'openid'].sort());
  });

  it('login_hint picks the account', async () => {
    const auth = googleAuth(emu);
    await connect(auth, 'hinted', { params: { login_hint: emu.users[1]!.email } });
    expect(await auth.account('google', 'hinted')).toEqual({ id: emu.users[1]!.sub, label: emu.users[1]!.email });
  });
});

describe('account and ACCOUNT_MISMATCH', () => {
  it('re-connecting a subject to another Google account is refused and the first stays stored', async () => {
    const auth = googleAuth(emu);
    const alice = emu.users[0]!;
    const bob = emu.users[1]!;
    const first = await connect(auth, 'mismatch', { params: { login_hint: alice.email } });
    const err = await expectRejection(connect(auth, 'mismatch', { params: { login_hint: bob.email } }), 'ACCOUNT_MISMATCH');
    expect((await auth.loadCredentials('google', 'mismatch'))?.accessToken).toBe(first.credentials.accessToken);
    expect(await auth.account('google', 'mismatch')).toEqual({ id: alice.sub, label: alice.email });
  });

  it('re-connecting the same account replaces the credential', async () => {
    const auth = googleAuth(emu);
    const alice = emu.users[0]!;
    await connect(auth, 'same-account', { params: { login_hint: alice.email } });
    const second = await connect(auth, 'same-account', { params: { login_hint: alice.email } });
    expect((await auth.loadCredentials('google', 'same-account'))?.accessToken).toBe(second.credentials.accessToken);
  });
});

describe('API binding', () => {
  it('sends x-goog-user-project when a quota project is set', async () => {
    const auth = googleAuth(emu, { quotaProjectId: 'billing-project-1' });
    await connect(auth, 'quota');
    await using session = await auth.session('quota');
    expect((await session.fetch('google', '/oauth2/v3/userinfo')).status).toBe(200);
    expect(emu.requests('userinfo').at(-1)!.headers['x-goog-user-project']).toBe('billing-project-1');
  });

  it('sends no x-goog-user-project when no quota project is set', async () => {
    const auth = googleAuth(emu);
    await connect(auth, 'no-quota');
    await using session = await auth.session('no-quota');
    expect((await session.fetch('google', '/oauth2/v3/userinfo')).status).toBe(200);
    expect(emu.requests('userinfo').at(-1)!.headers).not.toHaveProperty('x-goog-user-project');
  });

  it('refuses to send the token to an origin that is not a Google API base, without a request', async () => {
    const auth = googleAuth(emu);
    await connect(auth, 'leak');
    await using session = await auth.session('leak');
    const before = emu.requests().length;
    const err = await expectRejection(session.fetch('google', 'https://example.com/steal'), 'CONFIGURATION');
    expect(emu.requests().length).toBe(before);
  });

  it('maps every API base onto an emulator origin (Gmail, Calendar, Drive, Sheets, Docs)', () => {
    const app = googleAuth(emu).google.app();
    const origins = new Set([emu.origin, emu.apiOrigin]);
    for (const base of [app.gmailBaseUrl, app.calendarBaseUrl, app.driveBaseUrl, app.sheetsBaseUrl, app.docsBaseUrl]) {
      expect(origins.has(new URL(base).origin)).toBe(true);
    }
  });
});

describe('static-token mode', () => {
  it('uses GOOGLE_ACCESS_TOKEN for a subject with nothing stored, and cannot refresh it', async () => {
    const token = emu.issueAccessToken({ account: emu.users[0]!.email, scopes: ['openid', 'email'] });
    const auth = googleAuth(emu, {}, envFrom({ GOOGLE_ACCESS_TOKEN: token }));
    await using session = await auth.session('anyone');
    const res = await session.fetch('google', '/oauth2/v3/userinfo');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { email: string }).email).toBe(emu.users[0]!.email);
    expect(emu.requests('userinfo').at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
    const err = await expectRejection(session.refresh('google'), 'REAUTHORIZATION_REQUIRED');
  });

  it('takes the token from the factory too', async () => {
    const token = emu.issueAccessToken({ scopes: ['openid'] });
    const auth = googleAuth(emu, { accessToken: token });
    await using session = await auth.session('anyone');
    expect(await session.accessToken('google')).toBe(token);
  });
});

describe('app credentials: env keys of the Python original, and explicit endpoints', () => {
  it('reads GOOGLE_OAUTH_* aliases and the AUTHORIZE_URL / ACCESS_TOKEN_URL spellings', () => {
    const auth = googleAuth(emu, { clientId: undefined, clientSecret: undefined }, envFrom({
      GOOGLE_OAUTH_CLIENT_ID: 'from-alias', GOOGLE_OAUTH_CLIENT_SECRET: 'secret-from-alias',
      GOOGLE_AUTHORIZE_URL: `${emu.origin}/o/oauth2/v2/auth`, GOOGLE_ACCESS_TOKEN_URL: `${emu.origin}/token`,
    }));
    const app = auth.google.app();
    expect(app.clientId).toBe('from-alias');
    expect(app.clientSecret).toBe('secret-from-alias');
    expect(app.authorizationUrl).toBe(`${emu.origin}/o/oauth2/v2/auth`);
    expect(app.tokenUrl).toBe(`${emu.origin}/token`);
  });

  it('defaults to Google’s issuer, discovery, offline access with consent, and openid email profile', () => {
    const defaults = new AuthManager({ providers: [google()], env: envFrom({}) }).google.app();
    expect(defaults).toMatchObject({
      issuer: GOOGLE_ISSUER, revocationUrl: GOOGLE_REVOCATION_URL, apiBaseUrl: GOOGLE_API_BASE_URL, gmailBaseUrl: GOOGLE_GMAIL_API_BASE_URL,
      accessType: 'offline', prompt: 'consent', includeGrantedScopes: true, defaultScopes: ['openid', 'email', 'profile'],
    });
    expect(defaults.authorizationUrl).toBeUndefined();
    expect(defaults.tokenUrl).toBeUndefined();
    expect(google().definition.oauth2.server(defaults)).toEqual({ issuer: GOOGLE_ISSUER, discovery: true, endpointOrigins: ['https://*.googleapis.com'] });
  });

  it('with authorizationUrl and tokenUrl set, runs the flow without discovery', async () => {
    const local = await startGoogleEmulator();
    try {
      const auth = googleAuth(local, { authorizationUrl: local.endpoints.authorization, tokenUrl: local.endpoints.token });
      const { credentials } = await connect(auth, 'explicit');
      expect(credentials.refreshToken).toBeDefined();
      expect(local.requestCount('discovery')).toBe(0);
    } finally {
      await local.close();
    }
  });

  it('a missing client id names its env keys', async () => {
    const auth = googleAuth(emu, { clientId: undefined });
    const err = await expectRejection(auth.google.oauth2.authorize({ subject: 'x' }), 'CONFIGURATION');
    expect(err.message).toContain('GOOGLE_CLIENT_ID');
    expect(err.message).toContain('GOOGLE_OAUTH_CLIENT_ID');
  });
});

describe('secrets stay out of JSON.stringify and util.inspect', () => {
  it('of credentials', async () => {
    const auth = googleAuth(emu);
    const { credentials } = await connect(auth, 'printing');
    const printed = [JSON.stringify(credentials), inspect(credentials, { depth: 10 }), String(credentials)];
    for (const text of printed) {
      for (const secret of [credentials.accessToken, credentials.refreshToken!, credentials.idToken!, emu.clientSecret]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('of errors from refresh, exchange and configuration', async () => {
    const auth = googleAuth(emu);
    const { credentials } = await connect(auth, 'printing-errors');
    emu.invalidateRefreshTokens();
    await using session = await auth.session('printing-errors');
    const refreshErr = await expectRejection(session.refresh('google'), 'REAUTHORIZATION_REQUIRED');
    const { url } = await auth.google.oauth2.authorize({ subject: 'printing-errors-2' });
    emu.tamperNextIdToken('signature');
    const exchangeErr = await expectRejection(auth.google.oauth2.exchange({ callbackUrl: await approve(url) }), 'INVALID_TOKEN_RESPONSE');
    const badKey = JSON.stringify({ type: 'service_account', client_email: 'not-an-email', private_key: '-----BEGIN PRIVATE KEY-----SECRETKEYMATERIAL' });
    let configErr: unknown;
    try { googleAuth(emu, {}, envFrom({ GOOGLE_SERVICE_ACCOUNT_KEY: badKey })).google.app(); } catch (err) { configErr = err; }
    expect(AuthManagerError.is(configErr, 'CONFIGURATION')).toBe(true);
    for (const err of [refreshErr, exchangeErr, configErr]) {
      const text = `${JSON.stringify(err)}\n${inspect(err, { depth: 10 })}`;
      for (const secret of [credentials.accessToken, credentials.refreshToken!, emu.clientSecret, 'SECRETKEYMATERIAL']) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
