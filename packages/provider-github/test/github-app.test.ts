import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type Credentials } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator, type GithubEmulatorRequest } from '@authmanager/testing';
import { refreshTokenExpiresAt, type GithubExtras } from '../src/index.js';
import { caught, connect, githubAuth } from './helpers.js';

describe('GitHub App user tokens: expiry, refresh with rotation', () => {
  let gh: GithubEmulator;
  let first: Credentials<GithubExtras>;
  let refreshed: Credentials<GithubExtras>;
  let refreshRequest: GithubEmulatorRequest;
  let stored: Credentials<object> | undefined;
  let connectedAtMs: number;

  beforeAll(async () => {
    gh = await startGithubEmulator({ mode: 'github-app' });
    const auth = githubAuth(gh);
    connectedAtMs = Date.now();
    first = (await connect(auth, gh, 'user-1')).credentials;
    await using session = await auth.session('user-1');
    refreshed = await session.github.refresh();
    refreshRequest = gh.requests('token').at(-1)!;
    stored = await auth.loadCredentials('github', 'user-1');
  });
  afterAll(() => gh.close());

  it('gets a ghu_ token expiring in 8 hours and a ghr_ refresh token', () => {
    expect(first.accessToken).toMatch(/^ghu_/);
    expect(first.refreshToken).toMatch(/^ghr_/);
    expect(first.expiresAtMs! - connectedAtMs).toBeGreaterThanOrEqual(28_800_000 - 5_000);
    expect(first.expiresAtMs! - connectedAtMs).toBeLessThanOrEqual(28_800_000 + 5_000);
  });
  it('keeps refresh_token_expires_in as an extra', () => {
    expect(first.extras.refresh_token_expires_in).toBe(15_897_600);
    expect(refreshTokenExpiresAt(first)?.getTime()).toBe(first.obtainedAt.getTime() + 15_897_600_000);
  });
  it('refreshes with grant_type=refresh_token and the client secret in the body', () => {
    const form = new URLSearchParams(refreshRequest.body);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe(first.refreshToken);
    expect(form.get('client_id')).toBe(gh.clientId);
    expect(form.get('client_secret')).toBe(gh.clientSecret);
    expect(refreshRequest.headers.accept).toBe('application/json');
  });
  it('rotates both tokens; the old ones stop working at GitHub', () => {
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    expect(gh.isTokenActive(first.accessToken)).toBe(false);
    expect(gh.isTokenActive(first.refreshToken!)).toBe(false);
  });
  it('keeps who authorized across the refresh', () => {
    expect(first.extras.account_id).toBe(String(gh.users[0]!.id));
    expect(refreshed.extras.account_id).toBe(first.extras.account_id);
  });
  it('stores the refreshed credential', () => {
    expect(stored?.accessToken).toBe(refreshed.accessToken);
    expect(stored?.refreshToken).toBe(refreshed.refreshToken);
  });
});

describe('GitHub App user tokens: refresh when the API answers 401', () => {
  let gh: GithubEmulator;
  let status: number;
  let tokenCalls: number;
  let sentTokens: string[];
  let before: Credentials<object>;

  beforeAll(async () => {
    gh = await startGithubEmulator({ mode: 'github-app' });
    const auth = githubAuth(gh);
    before = (await connect(auth, gh, 'user-1')).credentials;
    gh.expireAccessTokens();
    gh.clearRequests();
    await using session = await auth.session('user-1');
    status = (await session.fetch('github', '/user')).status;
    tokenCalls = gh.requestCount('token');
    sentTokens = gh.requests('identity').map((r) => String(r.headers.authorization));
  });
  afterAll(() => gh.close());

  it('refreshes once and retries the call', () => {
    expect(status).toBe(200);
    expect(tokenCalls).toBe(1);
  });
  it('sent the dead token first, then the new one', () => {
    expect(sentTokens).toHaveLength(2);
    expect(sentTokens[0]).toBe(`Bearer ${before.accessToken}`);
    expect(sentTokens[1]).not.toBe(sentTokens[0]);
  });
});

describe('GitHub App user tokens: refresh before expiry', () => {
  let gh: GithubEmulator;
  let tokenCalls: number;
  let status: number;

  beforeAll(async () => {
    // 30 s before the 8-hour token expires is inside the default 60 s refresh skew: the session
    // refreshes before calling. (A token that only lives 30 s would not do: core caps the skew at
    // half a token's lifetime.)
    let clock = Date.now();
    gh = await startGithubEmulator({ mode: 'github-app', now: () => clock });
    const auth = githubAuth(gh, {}, { now: () => clock });
    await connect(auth, gh, 'user-1');
    clock += (28_800 - 30) * 1000;
    gh.clearRequests();
    await using session = await auth.session('user-1');
    status = (await session.fetch('github', '/user')).status;
    tokenCalls = gh.requestCount('token');
  });
  afterAll(() => gh.close());

  it('refreshes first, so the API call succeeds at once', () => {
    expect(tokenCalls).toBe(1);
    expect(status).toBe(200);
    expect(gh.requestCount('identity')).toBe(1);
  });
});

describe('quirk: bad_refresh_token (HTTP 200) is invalid_grant', () => {
  let gh: GithubEmulator;
  let err: unknown;
  let stored: Credentials<object> | undefined;
  let before: Credentials<object>;

  beforeAll(async () => {
    gh = await startGithubEmulator({ mode: 'github-app' });
    const auth = githubAuth(gh);
    before = (await connect(auth, gh, 'user-1')).credentials;
    gh.expireRefreshTokens();
    await using session = await auth.session('user-1');
    err = await caught(() => session.github.refresh());
    stored = await auth.loadCredentials('github', 'user-1');
  });
  afterAll(() => gh.close());

  it('GitHub answered 200 with bad_refresh_token', () => {
    const wire = gh.requests('token').at(-1)!;
    expect(new URLSearchParams(wire.body).get('grant_type')).toBe('refresh_token');
  });
  it('fails with REAUTHORIZATION_REQUIRED, RFC error invalid_grant, GitHub code in the description', () => {
    expect(AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')).toBe(true);
    expect((err as AuthManagerError).error).toBe('invalid_grant');
    expect((err as AuthManagerError).error_description).toMatch(/^bad_refresh_token: /);
  });
  it('leaves the stored credential as it was', () => {
    expect(stored?.accessToken).toBe(before.accessToken);
  });
});

describe('GitHub App user tokens: revoking an expired token', () => {
  let gh: GithubEmulator;
  let before: Credentials<object>;
  let endpoints: string[];
  let revokedWith: string;
  let revoked: boolean;

  beforeAll(async () => {
    gh = await startGithubEmulator({ mode: 'github-app' });
    const auth = githubAuth(gh);
    before = (await connect(auth, gh, 'user-1')).credentials;
    gh.expireAccessTokens();
    // make the stored copy expired too, as it would be after 8 hours
    await auth.storeCredentials('github', 'user-1', before.with({ expiresAt: new Date(Date.now() - 1000) }));
    gh.clearRequests();
    revoked = await auth.github.oauth2.revoke({ subject: 'user-1' });
    endpoints = gh.requests().map((r) => r.endpoint);
    revokedWith = (JSON.parse(gh.requests('revocation').at(-1)!.body) as { access_token: string }).access_token;
  });
  afterAll(() => gh.close());

  it('refreshes first (GitHub needs a working token), then deletes the grant', () => {
    expect(endpoints).toEqual(['token', 'revocation']);
    expect(revokedWith).not.toBe(before.accessToken);
    expect(revoked).toBe(true);
  });
  it('leaves no working token behind', () => {
    expect(gh.isTokenActive(revokedWith)).toBe(false);
    expect(gh.isTokenActive(before.refreshToken!)).toBe(false);
  });
});
