import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, envFrom } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator, type GithubEmulatorRequest } from '@authmanager/testing';
import { GITHUB_API_URL, GITHUB_AUTHORIZATION_URL, GITHUB_TOKEN_URL, github } from '../src/index.js';
import { caught } from './helpers.js';

describe('static-token mode (personal access token)', () => {
  let gh: GithubEmulator;
  let pat: string;
  let status: number;
  let login: string | undefined;
  let request: GithubEmulatorRequest;
  let account: unknown;
  let refreshError: unknown;
  let oauthCalls: number;

  beforeAll(async () => {
    gh = await startGithubEmulator();
    pat = gh.issuePersonalAccessToken(gh.users[1]!.login);
    // --- docs snippet: static token (docs/providers/github.md) ---
    const auth = new AuthManager({
      providers: [github({ apiUrl: gh.appCredentials.apiUrl })],
      env: envFrom({ GITHUB_TOKEN: pat }), // or pass github({ token })
    });
    await using session = await auth.session('any-subject');
    const res = await session.fetch('github', '/user');
    // --- end snippet ---
    status = res.status;
    login = ((await res.json()) as { login?: string }).login;
    request = gh.requests('identity').at(-1)!;
    account = await session.github.account();
    refreshError = await caught(() => session.github.refresh());
    oauthCalls = gh.requestCount('authorize') + gh.requestCount('token');
  });
  afterAll(() => gh.close());

  it('calls the API as the token owner, no OAuth involved', () => {
    expect(status).toBe(200);
    expect(login).toBe(gh.users[1]!.login);
    expect(oauthCalls).toBe(0);
  });
  it('sends the PAT as a bearer token with the API headers', () => {
    expect(request.headers.authorization).toBe(`Bearer ${pat}`);
    expect(request.headers['x-github-api-version']).toBe('2022-11-28');
  });
  it('has no account (a PAT carries no token response to learn it from)', () => {
    expect(account).toBeUndefined();
  });
  it('cannot be refreshed', () => {
    expect(AuthManagerError.is(refreshError, 'REAUTHORIZATION_REQUIRED')).toBe(true);
  });
});

describe('app credentials: defaults and the original env keys', () => {
  const appOf = (env: Record<string, string>) =>
    new AuthManager({ providers: [github()], env: envFrom(env) }).github.app();

  it('defaults to github.com and api.github.com', () => {
    const app = appOf({});
    expect(app.authorizationUrl).toBe(GITHUB_AUTHORIZATION_URL);
    expect(app.tokenUrl).toBe(GITHUB_TOKEN_URL);
    expect(app.apiUrl).toBe(GITHUB_API_URL);
    expect(app.version).toBe('2022-11-28');
    expect(app.token).toBeUndefined();
  });
  it('reads the aliases', () => {
    const app = appOf({
      GITHUB_AUTHORIZE_URL: 'https://ghe.test/login/oauth/authorize',
      GITHUB_ACCESS_TOKEN_URL: 'https://ghe.test/login/oauth/access_token',
      GITHUB_API_URL: 'https://ghe.test/api/v3/',
      GITHUB_API_VERSION: '2022-11-28',
      GITHUB_PAT: 'ghp_x',
      GITHUB_CLIENT_ID: 'cid',
      GITHUB_CLIENT_SECRET: 'csecret',
      GITHUB_REDIRECT_URI: 'https://app.test/cb',
      GITHUB_APP_ID: '123',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----',
    });
    expect(app).toMatchObject({
      authorizationUrl: 'https://ghe.test/login/oauth/authorize',
      tokenUrl: 'https://ghe.test/login/oauth/access_token',
      apiUrl: 'https://ghe.test/api/v3',
      token: 'ghp_x', clientId: 'cid', clientSecret: 'csecret', redirectUri: 'https://app.test/cb', appId: '123',
    });
    expect(app.privateKey).toBe('-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----');
  });
  it('prefers the first env key of each list', () => {
    const app = appOf({
      GITHUB_AUTHORIZATION_URL: 'https://a.test/1', GITHUB_AUTHORIZE_URL: 'https://a.test/2',
      GITHUB_TOKEN_URL: 'https://t.test/1', GITHUB_ACCESS_TOKEN_URL: 'https://t.test/2',
      GITHUB_TOKEN: 'ghp_first', GITHUB_PAT: 'ghp_second', GITHUB_VERSION: '2022-11-28',
    });
    expect([app.authorizationUrl, app.tokenUrl, app.token]).toEqual(['https://a.test/1', 'https://t.test/1', 'ghp_first']);
  });
  it('names the env keys when the OAuth flow lacks a client id', async () => {
    const auth = new AuthManager({ providers: [github()], env: envFrom({}) });
    const err = await caught(() => auth.github.oauth2.authorize({ subject: 'x' }));
    expect(AuthManagerError.is(err, 'CONFIGURATION')).toBe(true);
    expect((err as Error).message).toContain('GITHUB_CLIENT_ID');
  });
});
