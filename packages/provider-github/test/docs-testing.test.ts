import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, envFrom } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator } from '@authmanager/testing';
import { github } from '../src/index.js';

// The "Testing your integration" snippet of docs/providers/github.md, run as written (the docs import
// startGithubEmulator from '@authmanager/testing').
describe('docs: testing an integration against the emulator', () => {
  let gh: GithubEmulator;
  let login: string;
  let tokenRequests: number;
  let sentVersion: unknown;

  beforeAll(async () => {
    // --- docs snippet: testing (docs/providers/github.md) ---
    gh = await startGithubEmulator({ mode: 'github-app' });
    const auth = new AuthManager({
      providers: [github(gh.appCredentials)], // client, registered redirect URI, both hosts
      env: envFrom({}), // keep a GITHUB_TOKEN in the environment out of the test
    });
    const { url } = await auth.github.oauth2.authorize({ subject: 'user-1' });
    await auth.github.oauth2.complete({ callbackUrl: await gh.approve(url) }); // auto-approves as gh.users[0]

    gh.expireAccessTokens(); // make GitHub answer 401: the session refreshes and retries
    await using session = await auth.session('user-1');
    const me = await (await session.fetch('github', '/user')).json() as { login: string };
    // --- end snippet ---
    login = me.login;
    tokenRequests = gh.requestCount('token');
    sentVersion = gh.requests().at(-1)?.headers['x-github-api-version'];
  });
  afterAll(() => gh.close());

  it('connects, refreshes after the 401 and reads the user', () => {
    expect(login).toBe(gh.users[0]!.login);
    expect(tokenRequests).toBe(2); // code exchange + refresh
    expect(sentVersion).toBe('2022-11-28');
  });
});
