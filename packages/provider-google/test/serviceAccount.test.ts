import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, exportPKCS8, decodeJwt, decodeProtectedHeader } from 'jose';
import { inspect } from 'node:util';
import { AuthManagerError, envFrom } from '@authmanager/core';
import { startGoogleEmulator, type GoogleEmulator } from '@authmanager/testing';
import { expectRejection } from '@authmanager/testing/providers';
import { DRIVE_READONLY, googleAuth, USERINFO_EMAIL } from './helpers.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

let emu: GoogleEmulator;
beforeAll(async () => { emu = await startGoogleEmulator(); });
afterAll(async () => { await emu.close(); });
afterEach(() => { emu.setAccessTokenLifetime(3599); emu.setDomainWideDelegation(false); });

describe('service accounts: RFC 7523 JWT bearer grant', () => {
  it('sends a form with the jwt-bearer grant and an RS256 assertion Google accepts, and the token works', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    const token = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] });
    const request = emu.requests('token').at(-1)!;
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.keys(request.params).sort()).toEqual(['assertion', 'grant_type']);
    expect(request.params.grant_type).toBe(JWT_BEARER);
    expect(decodeProtectedHeader(request.params.assertion!)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: emu.serviceAccountKey.private_key_id });
    const claims = decodeJwt(request.params.assertion!);
    expect(claims).toMatchObject({ iss: emu.serviceAccountKey.client_email, aud: emu.endpoints.token, scope: USERINFO_EMAIL });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.sub).toBeUndefined();
    const me = await fetch(emu.endpoints.userinfoV3, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(emu.serviceAccountKey.client_email);
  });

  it('reuses a token until shortly before it expires, per scope set, and shares one request between concurrent callers', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    const grants = () => emu.requests('token').filter((r) => r.params.grant_type === JWT_BEARER).length;
    const before = grants();
    const [a, b] = await Promise.all([
      auth.google.serviceAccount.accessToken({ scopes: [DRIVE_READONLY, USERINFO_EMAIL] }),
      auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL, DRIVE_READONLY] }),
    ]);
    const c = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL, DRIVE_READONLY] });
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(grants() - before).toBe(1);
    await auth.google.serviceAccount.accessToken({ scopes: [DRIVE_READONLY] });
    expect(grants() - before).toBe(2);
  });

  it('asks again when the cached token is within a minute of expiry', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    emu.setAccessTokenLifetime(30);
    const first = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] });
    const second = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] });
    expect(second).not.toBe(first);
  });

  it('domain-wide delegation: sub = the user; refused (unauthorized_client) until delegation is granted', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    const bob = emu.users[1]!;
    const err = await expectRejection(auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL], subject: bob.email }), 'TOKEN_EXCHANGE_FAILED');
    expect(err.error).toBe('unauthorized_client');
    emu.setDomainWideDelegation(true);
    const token = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL], subject: bob.email });
    expect(decodeJwt(emu.requests('token').at(-1)!.params.assertion!).sub).toBe(bob.email);
    const me = await fetch(emu.endpoints.userinfoV3, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { email: string }).email).toBe(bob.email);
  });

  it('reads the key file JSON from GOOGLE_SERVICE_ACCOUNT_KEY', async () => {
    const auth = googleAuth(emu, {}, envFrom({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify(emu.serviceAccountKey) }));
    expect(auth.google.serviceAccount.clientEmail).toBe(emu.serviceAccountKey.client_email);
    expect(await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] })).toMatch(/^ya29\./);
  });

  it('its credentials work in a session through withCredentials', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    const credentials = await auth.google.serviceAccount.credentials({ scopes: [USERINFO_EMAIL] });
    expect(credentials.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
    await using session = await auth.session('batch-job', { withCredentials: { google: credentials } });
    const res = await session.fetch('google', '/oauth2/v3/userinfo');
    expect(res.status).toBe(200);
  });

  it('a key Google does not know signs an assertion it refuses: TOKEN_EXCHANGE_FAILED invalid_grant', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const auth = googleAuth(emu, { serviceAccountKey: { ...emu.serviceAccountKey, private_key: await exportPKCS8(privateKey) } });
    const err = await expectRejection(auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] }), 'TOKEN_EXCHANGE_FAILED');
    expect(err.error).toBe('invalid_grant');
    expect(inspect(err, { depth: 10})).not.toContain(emu.requests('token').at(-1)!.params.assertion!);
  });

  it('Google down (503): PROVIDER_UNAVAILABLE, and the next call tries again', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    emu.failNext('token', { status: 503 });
    const err = await expectRejection(auth.google.serviceAccount.accessToken({ scopes: [DRIVE_READONLY] }), 'PROVIDER_UNAVAILABLE');
    expect(await auth.google.serviceAccount.accessToken({ scopes: [DRIVE_READONLY] })).toMatch(/^ya29\./);
  });

  it('without a key: CONFIGURATION naming GOOGLE_SERVICE_ACCOUNT_KEY; without scopes: CONFIGURATION', async () => {
    const auth = googleAuth(emu);
    const noKey = await expectRejection(auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] }), 'CONFIGURATION');
    expect(noKey.message).toContain('GOOGLE_SERVICE_ACCOUNT_KEY');
    const withKey = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    await expectRejection(withKey.google.serviceAccount.accessToken({ scopes: [] }), 'CONFIGURATION');
  });

  // Defect: the cache key was `${subject ?? ''}\0${scopes}`, so `subject: ''` hit the service
  // account's own cached token (and, uncached, sent an empty `sub`).
  it('refuses subject "" (and a blank one) with CONFIGURATION instead of returning the service account\'s own cached token', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] });
    const grants = emu.requests('token').length;
    await expectRejection(auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL], subject: '' }), 'CONFIGURATION');
    await expectRejection(auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL], subject: '  ' }), 'CONFIGURATION');
    expect(emu.requests('token').length).toBe(grants);
  });

  it('caches one token per (subject or none, scope set): a delegated token never serves the service account, nor the reverse', async () => {
    emu.setDomainWideDelegation(true);
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    const [alice, bob] = [emu.users[0]!.email, emu.users[1]!.email];
    const own = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] });
    const asBob = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL], subject: bob });
    const asAlice = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL], subject: alice });
    const ownAgain = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL] });
    const bobAgain = await auth.google.serviceAccount.accessToken({ scopes: [USERINFO_EMAIL], subject: bob });
    expect(new Set([own, asBob, asAlice]).size).toBe(3);
    expect(ownAgain).toBe(own);
    expect(bobAgain).toBe(asBob);
  });

  // Defect: a token response without `expires_in` made credentials without expiry, cached forever.
  it('rejects a token response without expires_in with INVALID_TOKEN_RESPONSE (it would be cached forever)', async () => {
    const auth = googleAuth(emu, { serviceAccountKey: emu.serviceAccountKey });
    emu.failNext('token', { status: 200, body: { access_token: 'ya29.no-expiry', token_type: 'Bearer' } });
    const err = await expectRejection(auth.google.serviceAccount.accessToken({ scopes: [DRIVE_READONLY] }), 'INVALID_TOKEN_RESPONSE');
    expect(await auth.google.serviceAccount.accessToken({ scopes: [DRIVE_READONLY] })).not.toBe('ya29.no-expiry');
  });

  it('a key that is not JSON is a CONFIGURATION error that does not print it', () => {
    const auth = googleAuth(emu, {}, envFrom({ GOOGLE_SERVICE_ACCOUNT_KEY: 'not json -----BEGIN PRIVATE KEY----- MIIEvQ' }));
    let err: unknown;
    try { auth.google.app(); } catch (e) { err = e; }
    expect(AuthManagerError.is(err, 'CONFIGURATION')).toBe(true);
    expect((err as Error).message).toContain('serviceAccountKey');
    expect(`${(err as Error).message} ${inspect(err)}`).not.toContain('MIIEvQ');
  });
});
