import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, envFrom, type Credentials } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator } from '@authmanager/testing';
import { github } from '../src/index.js';
import { caught, connect, githubAuth } from './helpers.js';

/** Every way a value gets printed. */
const renderings = (value: unknown) => [JSON.stringify(value), inspect(value, { depth: Infinity }), String(value)];

describe('no token or secret in printed credentials and errors', () => {
  let gh: GithubEmulator;
  let credentials: Credentials<object>;
  const secrets: string[] = [];
  const errors: Record<string, unknown> = {};

  beforeAll(async () => {
    gh = await startGithubEmulator({ mode: 'github-app' });
    const auth = githubAuth(gh);
    credentials = (await connect(auth, gh, 'user-1')).credentials;
    secrets.push(credentials.accessToken, credentials.refreshToken!, gh.clientSecret);

    errors.wrongSecret = await caught(async () => {
      const wrong = githubAuth(gh, { clientSecret: 'wrong-client-secret-value' });
      const { url } = await wrong.github.oauth2.authorize({ subject: 'x' });
      await wrong.github.oauth2.exchange({ callbackUrl: await gh.approve(url) });
    });
    secrets.push('wrong-client-secret-value');

    gh.failNext('token', { status: 503 });
    errors.unavailable = await caught(async () => {
      await using s = await auth.session('user-1');
      await s.github.refresh();
    });

    gh.failNext('revocation', { status: 422 });
    errors.revoke = await caught(() => auth.github.oauth2.revoke({ subject: 'user-1' }));

    // The 503 put the connection in its first backoff (1 s): wait it out, or the next refresh fails fast.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    gh.expireRefreshTokens();
    errors.reauthorize = await caught(async () => {
      await using s = await auth.session('user-1');
      await s.github.refresh();
    });

    const apps = new AuthManager({ providers: [github({ appId: gh.appId, privateKey: gh.appPrivateKey, apiUrl: gh.appCredentials.apiUrl })], env: envFrom({}) });
    errors.installation = await caught(() => apps.github.installation.accessToken(999));
    const jwt = await apps.github.installation.appJwt();
    secrets.push(jwt, gh.appPrivateKey!.split('\n')[1]!);
  });
  afterAll(() => gh.close());

  it('credentials print redacted', () => {
    for (const text of renderings(credentials)) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect(JSON.stringify(credentials)).toContain('[redacted]');
  });
  it.each(['wrongSecret', 'unavailable', 'revoke', 'reauthorize', 'installation'])('the %s error is typed and prints no secret', (name) => {
    const err = errors[name];
    expect(AuthManagerError.is(err)).toBe(true);
    for (const text of renderings(err)) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
  it('the errors carry the expected codes', () => {
    expect(Object.fromEntries(Object.entries(errors).map(([k, e]) => [k, (e as AuthManagerError).code]))).toEqual({
      wrongSecret: 'TOKEN_EXCHANGE_FAILED',
      unavailable: 'PROVIDER_UNAVAILABLE',
      revoke: 'REVOCATION_FAILED',
      reauthorize: 'REAUTHORIZATION_REQUIRED',
      installation: 'TOKEN_EXCHANGE_FAILED',
    });
  });
});
