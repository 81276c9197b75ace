import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import type { Credentials } from '@authmanager/core';
import { startGoogleEmulator, type GoogleEmulator, type GoogleEmulatorRequest } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import type { GoogleExtras } from '../src/index.js';
import { GMAIL_READONLY, googleAuth, USERINFO_EMAIL, type GoogleAuth } from './helpers.js';

/**
 * One connect → session → API → refresh → revoke round trip against the emulator, arranged and run
 * once; each `it` checks one thing that went over the wire or came back.
 */
describe('Google: full connect, session, API call, refresh and revoke', () => {
  let emu: GoogleEmulator;
  let auth: GoogleAuth;
  let authorizeUrl: URL;
  let callbackUrl: URL;
  let exchanged: Credentials<GoogleExtras>;
  let stored: Credentials<object> | undefined;
  let account: unknown;
  let codeRequest: GoogleEmulatorRequest;
  let userinfo: { status: number; body: Record<string, unknown>; request: GoogleEmulatorRequest };
  let gmail: { status: number; body: Record<string, unknown>; request: GoogleEmulatorRequest };
  let refreshed: Credentials<object>;
  let refreshRequest: GoogleEmulatorRequest;
  let storedAfterRefresh: Credentials<object> | undefined;
  let revoked: boolean;
  let revokeRequests: readonly GoogleEmulatorRequest[];
  let storedAfterRevoke: Credentials<object> | undefined;

  beforeAll(async () => {
    emu = await startGoogleEmulator();
    auth = googleAuth(emu);
    const bob = emu.users[1]!;
    const { url } = await auth.google.oauth2.authorize({
      subject: 'user-1', scopes: ['openid', 'email', 'profile', GMAIL_READONLY], params: { login_hint: bob.email },
    });
    authorizeUrl = url;
    callbackUrl = new URL(await approve(url));
    const result = await auth.google.oauth2.exchange({ callbackUrl });
    exchanged = result.credentials;
    codeRequest = emu.requests('token').at(-1)!;
    await auth.storeCredentials('google', result.subject, result);
    stored = await auth.loadCredentials('google', 'user-1');
    account = await auth.account('google', 'user-1');

    await using session = await auth.session('user-1');
    const r1 = await session.fetch('google', '/oauth2/v3/userinfo');
    userinfo = { status: r1.status, body: await r1.json() as Record<string, unknown>, request: emu.requests('userinfo').at(-1)! };
    const r2 = await session.google.fetch(`${emu.appCredentials.gmailBaseUrl}/gmail/v1/users/me/profile`);
    gmail = { status: r2.status, body: await r2.json() as Record<string, unknown>, request: emu.requests('api').at(-1)! };
    refreshed = await session.refresh('google');
    refreshRequest = emu.requests('token').at(-1)!;
    storedAfterRefresh = await auth.loadCredentials('google', 'user-1');

    const before = emu.requests('revocation').length;
    revoked = await auth.google.oauth2.revoke({ subject: 'user-1' });
    revokeRequests = emu.requests('revocation').slice(before);
    storedAfterRevoke = await auth.loadCredentials('google', 'user-1');
  });
  afterAll(async () => { await emu.close(); });

  it('discovers the endpoints from the issuer', () => {
    expect(emu.requestCount('discovery')).toBe(1);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(emu.endpoints.authorization);
  });

  it('asks for offline access, consent, incremental scopes, PKCE S256, a nonce and the login hint', () => {
    const q = authorizeUrl.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(emu.clientId);
    expect(q.get('redirect_uri')).toBe(emu.redirectUri);
    expect(q.get('scope')).toBe(`openid email profile ${GMAIL_READONLY}`);
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(q.get('include_granted_scopes')).toBe('true');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(q.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(q.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(q.get('login_hint')).toBe(emu.users[1]!.email);
  });

  it('gets Google’s callback with code, state, scope and iss', () => {
    expect(callbackUrl.searchParams.get('state')).toBe(authorizeUrl.searchParams.get('state'));
    expect(callbackUrl.searchParams.get('code')).toMatch(/^4\/0/);
    expect(callbackUrl.searchParams.get('iss')).toBe(emu.issuer);
  });

  it('exchanges the code with a form body, client_secret_post, the redirect URI and the PKCE verifier', () => {
    expect(codeRequest.method).toBe('POST');
    expect(codeRequest.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(codeRequest.headers.authorization).toBeUndefined();
    expect(codeRequest.params).toMatchObject({
      grant_type: 'authorization_code', code: callbackUrl.searchParams.get('code'), redirect_uri: emu.redirectUri,
      client_id: emu.clientId, client_secret: emu.clientSecret,
    });
    expect(codeRequest.params.code_verifier).toMatch(/^[\w-]{43,128}$/);
  });

  it('returns credentials with a refresh token, an ID token, Google’s scopes and the expiry', () => {
    expect(exchanged.refreshToken).toMatch(/^1\/\//);
    expect(exchanged.scopes).toEqual(expect.arrayContaining(['openid', USERINFO_EMAIL, GMAIL_READONLY]));
    const lifetimeMs = exchanged.expiresAt!.getTime() - exchanged.obtainedAt.getTime();
    expect(lifetimeMs).toBe(3599_000);
    expect(decodeJwt(exchanged.idToken!)).toMatchObject({ iss: emu.issuer, aud: emu.clientId, sub: emu.users[1]!.sub });
  });

  it('stores them and says who is connected (ID token sub + email)', () => {
    expect(stored?.accessToken).toBe(exchanged.accessToken);
    expect(account).toEqual({ id: emu.users[1]!.sub, label: emu.users[1]!.email });
  });

  it('calls the userinfo API relative to the API base with the bearer token', () => {
    expect(userinfo.status).toBe(200);
    expect(userinfo.body).toMatchObject({ sub: emu.users[1]!.sub, email: emu.users[1]!.email });
    expect(userinfo.request.listener).toBe('oauth');
    expect(userinfo.request.path).toBe('/oauth2/v3/userinfo');
    expect(userinfo.request.headers.authorization).toBe(`Bearer ${exchanged.accessToken}`);
  });

  it('calls Gmail on its own origin with an absolute URL, same credential', () => {
    expect(new URL(emu.appCredentials.gmailBaseUrl).origin).not.toBe(new URL(emu.appCredentials.apiBaseUrl).origin);
    expect(gmail.status).toBe(200);
    expect(gmail.body.emailAddress).toBe(emu.users[1]!.email);
    expect(gmail.request.listener).toBe('api');
    expect(gmail.request.headers.authorization).toBe(`Bearer ${exchanged.accessToken}`);
  });

  it('refreshes with a refresh_token grant, client_secret_post', () => {
    expect(refreshRequest.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(refreshRequest.params).toMatchObject({
      grant_type: 'refresh_token', refresh_token: exchanged.refreshToken, client_id: emu.clientId, client_secret: emu.clientSecret,
    });
  });

  it('keeps the refresh token Google did not resend and takes the new ID token', () => {
    expect(refreshed.accessToken).not.toBe(exchanged.accessToken);
    expect(refreshed.refreshToken).toBe(exchanged.refreshToken);
    expect(refreshed.idToken).toBeDefined();
    expect(refreshed.idToken).not.toBe(exchanged.idToken);
    expect(storedAfterRefresh?.accessToken).toBe(refreshed.accessToken);
    expect(storedAfterRefresh?.refreshToken).toBe(exchanged.refreshToken);
  });

  it('revokes the grant with one POST token=<refresh token> and deletes the credential', () => {
    expect(revoked).toBe(true);
    expect(revokeRequests).toHaveLength(1);
    expect(revokeRequests[0]!.method).toBe('POST');
    expect(revokeRequests[0]!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(revokeRequests[0]!.params).toEqual({ token: exchanged.refreshToken });
    expect(emu.isTokenActive(exchanged.refreshToken!)).toBe(false);
    expect(emu.isTokenActive(refreshed.accessToken)).toBe(false);
    expect(storedAfterRevoke).toBeUndefined();
  });
});
