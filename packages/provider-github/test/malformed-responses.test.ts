import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { AuthManagerError } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator } from '@authmanager/testing';
import { JSON_TYPE, caught, connect, githubAuth } from './helpers.js';

// Defect: the installation-token endpoint answering 201 with a body that is not JSON gave an
// untyped SyntaxError (whose message quotes the start of the body). Every provider body this
// package parses must fail as a typed AuthManagerError that echoes none of the body, in its
// message or anywhere in its `cause` chain.

/** A marker standing for whatever the body held (a token, an HTML error page…). */
const MARKER = 'ghs_BODYMARKER0123456789abcdefghijklmnopq';

/** Everything an error would show: its message and its whole cause chain as util.inspect prints it. */
const shown = (err: unknown) => `${(err as Error).message}\n${inspect(err, { depth: 20 })}`;

let gh: GithubEmulator;
beforeAll(async () => { gh = await startGithubEmulator({ mode: 'github-app' }); });
afterAll(() => gh.close());

describe('installation-token endpoint answering 201 with a body that is not a token', () => {
  const installation = () => githubAuth(gh, { appId: gh.appId, privateKey: gh.appPrivateKey });

  for (const [what, body] of [
    ['not JSON', `<html><body>${MARKER}</body></html>`],
    ['truncated JSON', `{"token":"${MARKER}","expires_at":"2030-01-`],
    ['the JSON value null', 'null'],
    ['a JSON array', `["${MARKER}"]`],
    ['a JSON string', `"${MARKER}"`],
    ['an empty body', ''],
  ] as const) {
    it(`is INVALID_TOKEN_RESPONSE, echoing nothing of the body, for ${what}`, async () => {
      const auth = installation();
      gh.failNext('token', { status: 201, body, headers: JSON_TYPE });
      const err = await caught(() => auth.github.installation.accessToken(4242));
      expect(AuthManagerError.is(err, 'INVALID_TOKEN_RESPONSE')).toBe(true);
      expect(shown(err)).not.toContain(MARKER);
      expect(shown(err)).not.toContain('<html>');
    });
  }

  it('caches nothing from the bad answer: the next call mints a working token', async () => {
    const auth = installation();
    gh.failNext('token', { status: 201, body: 'garbage', headers: JSON_TYPE });
    await caught(() => auth.github.installation.accessToken(4242));
    const token = await auth.github.installation.accessToken(4242);
    expect(token).toMatch(/^ghs_/);
  });
});

describe('token endpoint answering 200 with a body that is not JSON', () => {
  it('fails the code exchange with INVALID_TOKEN_RESPONSE, echoing nothing of the body, and stores nothing', async () => {
    const auth = githubAuth(gh);
    gh.failNext('token', { status: 200, body: `access_token=${MARKER}&scope=repo&token_type=bearer`, headers: JSON_TYPE });
    const err = await caught(() => connect(auth, gh, 'user-1'));
    expect(AuthManagerError.is(err, 'INVALID_TOKEN_RESPONSE')).toBe(true);
    expect(shown(err)).not.toContain(MARKER);
    expect(await auth.loadCredentials('github', 'user-1')).toBeUndefined();
  });

  it('fails a refresh with INVALID_TOKEN_RESPONSE, echoing nothing of the body, and keeps the stored credential', async () => {
    const auth = githubAuth(gh);
    const { credentials } = await connect(auth, gh, 'user-2');
    gh.failNext('token', { status: 200, body: `{"access_token":"${MARKER}",`, headers: JSON_TYPE });
    await using session = await auth.session('user-2');
    const err = await caught(() => session.github.refresh());
    expect(AuthManagerError.is(err, 'INVALID_TOKEN_RESPONSE')).toBe(true);
    expect(shown(err)).not.toContain(MARKER);
    expect((await auth.loadCredentials('github', 'user-2'))?.accessToken).toBe(credentials.accessToken);
  });
});

describe('other GitHub answers that are not JSON', () => {
  it('GET /user after the exchange: the credential is kept, without the user id', async () => {
    const auth = githubAuth(gh);
    gh.failNext('identity', { status: 200, body: `<html>${MARKER}</html>`, headers: JSON_TYPE });
    const { credentials } = await connect(auth, gh, 'user-3');
    expect(credentials.extras).not.toHaveProperty('account_id');
  });

  it('an installation-token error (422) with a body that is not JSON is TOKEN_EXCHANGE_FAILED echoing nothing of it', async () => {
    const auth = githubAuth(gh, { appId: gh.appId, privateKey: gh.appPrivateKey });
    gh.failNext('token', { status: 422, body: `<html>${MARKER}</html>`, headers: JSON_TYPE });
    const err = await caught(() => auth.github.installation.accessToken(4242));
    expect(AuthManagerError.is(err, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect(shown(err)).not.toContain(MARKER);
  });
});
