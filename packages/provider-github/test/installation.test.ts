import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, envFrom } from '@authmanager/core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startGithubEmulator, type GithubEmulator, type GithubEmulatorRequest } from '@authmanager/testing';
import { github } from '../src/index.js';
import { caught } from './helpers.js';

describe('GitHub App installation tokens', () => {
  let gh: GithubEmulator;
  let token: string;
  let second: string;
  let mintRequest: GithubEmulatorRequest;
  let mintedAtS: number;
  let expiresAt: Date | undefined;
  let permissions: unknown;
  let mints: number;
  let reposStatus: number;
  let concurrentMints: number;

  beforeAll(async () => {
    gh = await startGithubEmulator();
    // --- docs snippet: installation tokens (docs/providers/github.md) ---
    const auth = new AuthManager({
      providers: [github({ appId: gh.appId, privateKey: gh.appPrivateKey, apiUrl: gh.appCredentials.apiUrl })],
      env: envFrom({}),
    });
    const installationToken = await auth.github.installation.accessToken(4242);
    // --- end snippet ---
    mintedAtS = Math.floor(Date.now() / 1000);
    token = installationToken;
    mintRequest = gh.requests('token').at(-1)!;
    second = await auth.github.installation.accessToken(4242);
    const creds = await auth.github.installation.credentials(4242);
    expiresAt = creds.expiresAt;
    permissions = creds.extras.permissions;
    mints = gh.requestCount('token');
    reposStatus = (await fetch(`${gh.appCredentials.apiUrl}/installation/repositories`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
    })).status;

    auth.github.installation.forget();
    gh.clearRequests();
    await Promise.all([1, 2, 3].map(() => auth.github.installation.accessToken(4242)));
    concurrentMints = gh.requestCount('token');
  });
  afterAll(() => gh.close());

  it('mints a ghs_ token that works on installation endpoints', () => {
    expect(token).toMatch(/^ghs_/);
    expect(reposStatus).toBe(200);
  });
  it('POSTs to /app/installations/{id}/access_tokens on the API host', () => {
    expect(mintRequest.method).toBe('POST');
    expect(`${gh.origin}${mintRequest.path}`).toBe(`${gh.appCredentials.apiUrl}/app/installations/4242/access_tokens`);
    expect(mintRequest.headers['x-github-api-version']).toBe('2022-11-28');
  });
  it('authenticates with an RS256 app JWT: iss = app id, iat 60 s back, exp ≤ 10 min ahead', () => {
    const jwt = String(mintRequest.headers.authorization).replace(/^Bearer /, '');
    expect(decodeProtectedHeader(jwt).alg).toBe('RS256');
    const claims = decodeJwt(jwt);
    expect(claims.iss).toBe(gh.appId);
    expect(mintedAtS - claims.iat!).toBeGreaterThanOrEqual(59);
    expect(mintedAtS - claims.iat!).toBeLessThanOrEqual(62);
    expect(claims.exp! - mintedAtS).toBeLessThanOrEqual(600);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(600);
  });
  it('caches the token until near expiry', () => {
    expect(second).toBe(token);
    expect(mints).toBe(1);
  });
  it('knows when it expires (one hour) and what it may do', () => {
    expect(expiresAt!.getTime() - mintedAtS * 1000).toBeGreaterThan(3_500_000);
    expect(expiresAt!.getTime() - mintedAtS * 1000).toBeLessThanOrEqual(3_601_000);
    expect(permissions).toEqual({ contents: 'read', metadata: 'read' });
  });
  it('concurrent callers share one mint', () => {
    expect(concurrentMints).toBe(1);
  });
});

describe('installation tokens near expiry and failures', () => {
  let gh: GithubEmulator;
  let first: string;
  let second: string;
  let wrongKey: unknown;
  let unknownInstallation: unknown;
  let noAppId: unknown;
  let badPem: unknown;

  beforeAll(async () => {
    // two minutes left is inside the 5-minute margin: every call mints anew
    gh = await startGithubEmulator({ installationTokenLifetimeSeconds: 120 });
    const make = (input: Parameters<typeof github>[0]) =>
      new AuthManager({ providers: [github({ apiUrl: gh.appCredentials.apiUrl, ...input })], env: envFrom({}) });
    const auth = make({ appId: gh.appId, privateKey: gh.appPrivateKey });
    first = await auth.github.installation.accessToken(4242);
    second = await auth.github.installation.accessToken('4242');

    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    wrongKey = await caught(() => make({ appId: gh.appId, privateKey: otherKey }).github.installation.accessToken(4242));
    unknownInstallation = await caught(() => auth.github.installation.accessToken(7));
    noAppId = await caught(() => make({ privateKey: gh.appPrivateKey }).github.installation.accessToken(4242));
    badPem = await caught(() => make({ appId: gh.appId, privateKey: 'not a key' }).github.installation.accessToken(4242));
  });
  afterAll(() => gh.close());

  it('re-mints a token that is about to expire', () => {
    expect(second).not.toBe(first);
    expect(gh.requestCount('token')).toBeGreaterThanOrEqual(2);
  });
  it('a JWT signed with another key is TOKEN_EXCHANGE_FAILED (401)', () => {
    expect(AuthManagerError.is(wrongKey, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect((wrongKey as AuthManagerError).status).toBe(401);
  });
  it('an unknown installation is TOKEN_EXCHANGE_FAILED (404)', () => {
    expect(AuthManagerError.is(unknownInstallation, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect((unknownInstallation as AuthManagerError).status).toBe(404);
  });
  it('a missing app id is CONFIGURATION naming GITHUB_APP_ID', () => {
    expect(AuthManagerError.is(noAppId, 'CONFIGURATION')).toBe(true);
    expect((noAppId as Error).message).toContain('GITHUB_APP_ID');
  });
  it('an unreadable private key is CONFIGURATION', () => {
    expect(AuthManagerError.is(badPem, 'CONFIGURATION')).toBe(true);
  });
});
