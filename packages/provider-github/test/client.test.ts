import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGithubEmulator, type GithubEmulator, type GithubEmulatorRequest } from '@authmanager/testing';
import { connect, githubAuth } from './helpers.js';

describe('session.github.client(): Octokit pointed at the API', () => {
  let gh: GithubEmulator;
  let login: string;
  let request: GithubEmulatorRequest;
  let accessToken: string;
  let afterExpiry: { login: string; tokenCalls: number; statuses: (number | undefined)[] };

  beforeAll(async () => {
    gh = await startGithubEmulator({ mode: 'github-app' });
    const auth = githubAuth(gh);
    await connect(auth, gh, 'user-1');
    gh.clearRequests();

    // --- docs snippet: SDK client (docs/providers/github.md) ---
    await using session = await auth.session('user-1');
    const octokit = await session.github.client();
    const { data } = await octokit.rest.users.getAuthenticated();
    // --- end snippet ---
    login = data.login;
    request = gh.requests().at(-1)!;
    accessToken = await session.github.accessToken();

    gh.expireAccessTokens();
    gh.clearRequests();
    const again = await octokit.rest.users.getAuthenticated();
    afterExpiry = {
      login: again.data.login, tokenCalls: gh.requestCount('token'),
      statuses: gh.requests('identity').map((r) => r.status),
    };
  });
  afterAll(() => gh.close());

  it('makes a real call and gets the user', () => {
    expect(login).toBe(gh.users[0]!.login);
    expect(request.endpoint).toBe('identity');
  });
  it('is authenticated with the session token and sends the API version', () => {
    expect(request.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(request.headers['x-github-api-version']).toBe('2022-11-28');
    expect(String(request.headers['user-agent'])).toContain('octokit');
  });
  it('refreshes and retries once when GitHub answers 401', () => {
    expect(afterExpiry.login).toBe(gh.users[0]!.login);
    expect(afterExpiry.tokenCalls).toBe(1);
    expect(afterExpiry.statuses).toEqual([401, 200]);
  });
});
