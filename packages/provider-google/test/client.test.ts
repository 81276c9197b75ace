import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OAuth2Client } from 'google-auth-library';
import { startGoogleEmulator, type GoogleEmulator } from '@authmanager/testing';
import { connect, googleAuth, type GoogleAuth } from './helpers.js';

describe('session.google.client(): google-auth-library OAuth2Client on the session', () => {
  let emu: GoogleEmulator;
  let auth: GoogleAuth;
  beforeAll(async () => {
    emu = await startGoogleEmulator();
    auth = googleAuth(emu);
    await connect(auth, 'sdk-user', { params: { login_hint: emu.users[0]!.email } });
  });
  afterAll(async () => { await emu.close(); });

  it('makes a real call to the userinfo endpoint with the session’s access token', async () => {
    await using session = await auth.session('sdk-user');
    const client = await session.google.client();
    expect(client).toBeInstanceOf(OAuth2Client);
    const res = await client.request<{ email: string }>({ url: emu.endpoints.userinfoV3 });
    expect(res.status).toBe(200);
    expect(res.data.email).toBe(emu.users[0]!.email);
    expect(emu.requests('userinfo').at(-1)!.headers.authorization).toBe(`Bearer ${await session.accessToken('google')}`);
  });

  it('holds neither the refresh token nor the client secret', async () => {
    await using session = await auth.session('sdk-user');
    const client = await session.google.client();
    expect(client.credentials.refresh_token).toBeUndefined();
    expect(JSON.stringify(client.credentials)).not.toContain((await session.credentials('google')).refreshToken!);
    expect((client as unknown as { _clientSecret?: string })._clientSecret).toBeUndefined();
  });

  it('on a 401 refreshes through the session (stored), then retries once', async () => {
    await using session = await auth.session('sdk-user');
    const client = await session.google.client();
    const before = await session.accessToken('google');
    emu.expireAccessTokens();
    const refreshes = () => emu.requests('token').filter((r) => r.params.grant_type === 'refresh_token').length;
    const refreshesBefore = refreshes();
    const res = await client.request<{ sub: string }>({ url: emu.endpoints.userinfoV3 });
    expect(res.status).toBe(200);
    expect(refreshes() - refreshesBefore).toBe(1);
    const stored = await auth.loadCredentials('google', 'sdk-user');
    expect(stored!.accessToken).not.toBe(before);
    expect(emu.requests('userinfo').at(-1)!.headers.authorization).toBe(`Bearer ${stored!.accessToken}`);
  });
});
