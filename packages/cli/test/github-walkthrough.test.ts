import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGithubEmulator, type GithubEmulator } from '@authmanager/testing';
import { run, start, workspace, type RunResult, type Workspace } from './helpers.js';

/** The config file of the docs/cli.md walkthrough, as the reader copies it. */
const SNIPPET = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'snippets', 'cli-github.ts'), 'utf8');
const CONFIG = /\/\/ #region config\n([\s\S]*?)\/\/ #endregion config/.exec(SNIPPET)![1]!;

describe('the walkthrough: a GitHub OAuth app connected from the CLI (against the GitHub emulator)', () => {
  let gh: GithubEmulator;
  let ws: Workspace;
  let env: NodeJS.ProcessEnv;
  let redirect: RunResult;
  let doctor: RunResult;
  let authorizationUrl: URL;
  let connected: RunResult;
  let token: RunResult;
  let revoked: RunResult;
  let apiStatus: number;

  beforeAll(async () => {
    gh = await startGithubEmulator({ redirectUri: 'http://127.0.0.1/callback' }); // the URI redirect-url prints
    ws = await workspace();
    writeFileSync(join(ws.project, 'authmanager.config.ts'), CONFIG);
    // Step 3 of the walkthrough; the endpoint variables point the provider at the emulator.
    env = {
      GITHUB_CLIENT_ID: gh.clientId, GITHUB_CLIENT_SECRET: gh.clientSecret,
      GITHUB_AUTHORIZATION_URL: gh.appCredentials.authorizationUrl, GITHUB_TOKEN_URL: gh.appCredentials.tokenUrl, GITHUB_API_URL: gh.appCredentials.apiUrl,
    };
    redirect = await run(ws, ['redirect-url', 'github'], env);
    doctor = await run(ws, ['doctor'], env);
    const running = start(ws, ['connect', 'github', '--scopes', 'repo', 'read:user'], env);
    authorizationUrl = new URL((await running.stderrMatch(/(http:\/\/127\.0\.0\.1:\d+\/github\.com\/login\/oauth\/authorize\?\S+)/))[1]!);
    const callback = await gh.approve(authorizationUrl);
    expect((await fetch(callback)).status).toBe(200);
    connected = await running.done;
    token = await run(ws, ['token', 'github'], env);
    apiStatus = (await fetch(`${gh.appCredentials.apiUrl}/user`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
    })).status;
    revoked = await run(ws, ['revoke', 'github', '--json'], env);
  });
  afterAll(async () => { await gh?.close(); await ws?.cleanup(); });

  it('redirect-url prints the URI to register: loopback, no port (GitHub accepts any port)', () => {
    expect(redirect).toEqual({ code: 0, stdout: 'http://127.0.0.1/callback\n', stderr: '' });
  });

  it('doctor passes every check, one line each', () => {
    expect(doctor.code).toBe(0);
    const lines = doctor.stdout.trimEnd().split('\n');
    expect(lines.every((l) => l.startsWith('✓ '))).toBe(true);
    expect(lines.map((l) => l.slice(2).split(':')[0])).toEqual(['node', 'config', 'github', 'github', 'store', 'encryption key', 'local key file']);
  });

  it('connect listens on an ephemeral loopback port under the registered path', () => {
    const redirectUri = new URL(authorizationUrl.searchParams.get('redirect_uri')!);
    expect(redirectUri.hostname).toBe('127.0.0.1');
    expect(redirectUri.pathname).toBe('/callback');
    expect(Number(redirectUri.port)).toBeGreaterThan(0);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('connect stores the credential and names the account', () => {
    expect(connected.code).toBe(0);
    expect(connected.stderr).toMatch(new RegExp(`Connected GitHub as ${gh.users[0]!.login} for subject default`));
  });

  it('token prints a token the GitHub API accepts', () => {
    expect(token.code).toBe(0);
    expect(apiStatus).toBe(200);
  });

  it('revoke revokes the grant at GitHub', () => {
    expect(JSON.parse(revoked.stdout)).toEqual({ provider: 'github', subject: 'default', existed: true, revoked: true });
  });
});
