import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator } from '@authmanager/testing';
import { caught, connect, githubAuth } from './helpers.js';

let gh: GithubEmulator;
beforeAll(async () => { gh = await startGithubEmulator(); });
afterAll(() => gh.close());

describe('quirk: Accept: application/json on the token endpoint', () => {
  let formAnswer: { type: string | null; body: string };
  let sentAccept: string;

  beforeAll(async () => {
    // What GitHub does without the header: a form-encoded answer openid-client cannot parse.
    const res = await fetch(gh.appCredentials.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: gh.clientId, client_secret: gh.clientSecret, code: 'nope' }),
    });
    formAnswer = { type: res.headers.get('content-type'), body: await res.text() };
    // What the provider sends on a code exchange.
    await connect(githubAuth(gh), gh, 'accept');
    sentAccept = String(gh.requests('token').at(-1)!.headers.accept);
  });

  it('the emulator answers form-encoded without it, like GitHub', () => {
    expect(formAnswer.type).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(formAnswer.body).get('error')).toBe('bad_verification_code');
  });
  it('the code exchange asks for JSON', () => {
    expect(sentAccept).toBe('application/json');
  });
});

describe('quirk: token errors sent with HTTP 200', () => {
  let badCode: unknown;
  let badCodeStatus: number | undefined;
  let badSecret: unknown;
  let redirectMismatch: unknown;
  let redirectMismatchStatus: number | undefined;

  beforeAll(async () => {
    const auth = githubAuth(gh);
    // a code GitHub does not know
    const a = await auth.github.oauth2.authorize({ subject: 's1' });
    const callback = new URL(await gh.approve(a.url));
    callback.searchParams.set('code', 'not-a-code');
    badCode = await caught(() => auth.github.oauth2.exchange({ callbackUrl: callback }));
    badCodeStatus = gh.requests('token').at(-1)!.status;

    // the wrong client secret
    const wrong = githubAuth(gh, { clientSecret: 'wrong-secret' });
    const b = await wrong.github.oauth2.authorize({ subject: 's2' });
    const cb = await gh.approve(b.url);
    badSecret = await caught(() => wrong.github.oauth2.exchange({ callbackUrl: cb }));

    // the browser was sent to another redirect_uri than the one the token request names
    const c = await auth.github.oauth2.authorize({ subject: 's3' });
    const tampered = new URL(c.url);
    tampered.searchParams.set('redirect_uri', `${gh.redirectUri}/elsewhere`);
    const cc = await gh.approve(tampered);
    redirectMismatch = await caught(() => auth.github.oauth2.exchange({ callbackUrl: cc }));
    redirectMismatchStatus = gh.requests('token').at(-1)!.status;
  });

  it('GitHub answered HTTP 200', () => {
    expect(badCodeStatus).toBe(200);
    expect(redirectMismatchStatus).toBe(200);
  });
  it('bad_verification_code is TOKEN_EXCHANGE_FAILED with the RFC fields', () => {
    expect(AuthManagerError.is(badCode, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect((badCode as AuthManagerError).error).toBe('bad_verification_code');
    expect((badCode as AuthManagerError).error_description).toBe('The code passed is incorrect or expired.');
    expect((badCode as AuthManagerError).error_uri).toMatch(/^https:\/\/docs\.github\.com\//);
  });
  it('incorrect_client_credentials is TOKEN_EXCHANGE_FAILED', () => {
    expect(AuthManagerError.is(badSecret, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect((badSecret as AuthManagerError).error).toBe('incorrect_client_credentials');
  });
  it('redirect_uri_mismatch is TOKEN_EXCHANGE_FAILED', () => {
    expect(AuthManagerError.is(redirectMismatch, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect((redirectMismatch as AuthManagerError).error).toBe('redirect_uri_mismatch');
  });
});

describe('quirk: comma-separated scopes', () => {
  let scopes: readonly string[] | undefined;
  let requested: string | null;
  let granted: string | null;

  beforeAll(async () => {
    const auth = githubAuth(gh, { defaultScope: 'repo,read:org gist' });
    const { url } = await auth.github.oauth2.authorize({ subject: 'scopes' });
    requested = url.searchParams.get('scope');
    const result = await auth.github.oauth2.exchange({ callbackUrl: await gh.approve(url) });
    granted = (JSON.parse(JSON.stringify(result.credentials)) as { scopes?: string[] }).scopes?.join('|') ?? null;
    scopes = result.credentials.scopes;
  });

  it('defaultScope accepts the original comma/space list and requests it space-delimited', () => {
    expect(requested).toBe('repo read:org gist');
  });
  it('the comma-separated granted scope becomes a list', () => {
    expect(scopes).toEqual(['repo', 'read:org', 'gist']);
    expect(granted).toBe('repo|read:org|gist');
  });
});

describe('PKCE and authorization errors', () => {
  let withoutVerifier: string | null;
  let denied: unknown;

  beforeAll(async () => {
    const auth = githubAuth(gh);
    const { url } = await auth.github.oauth2.authorize({ subject: 'pkce' });
    const code = new URL(await gh.approve(url)).searchParams.get('code')!;
    const res = await fetch(gh.appCredentials.tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: gh.clientId, client_secret: gh.clientSecret, code, redirect_uri: gh.redirectUri }),
    });
    withoutVerifier = ((await res.json()) as { error?: string }).error ?? null;

    gh.denyNextAuthorization();
    const d = await auth.github.oauth2.authorize({ subject: 'denied' });
    const back = await gh.approve(d.url);
    denied = await caught(() => auth.github.oauth2.exchange({ callbackUrl: back }));
  });

  it('a code issued with a challenge is refused without its verifier', () => {
    expect(withoutVerifier).toBe('bad_verification_code');
  });
  it('a user who cancels gives AUTHORIZATION_DENIED (access_denied)', () => {
    expect(AuthManagerError.is(denied, 'AUTHORIZATION_DENIED')).toBe(true);
    expect((denied as AuthManagerError).error).toBe('access_denied');
  });
});

describe('redirect_uri outside the registered callback URL', () => {
  let registered: GithubEmulator;
  let back: URL;
  let err: unknown;

  beforeAll(async () => {
    registered = await startGithubEmulator({ redirectUri: 'http://127.0.0.1:3999/callback' });
    const auth = githubAuth(registered, { redirectUri: 'http://127.0.0.1:4000/callback' });
    const { url } = await auth.github.oauth2.authorize({ subject: 'x' });
    back = new URL(await registered.approve(url));
    err = await caught(() => auth.github.oauth2.exchange({ callbackUrl: back }));
  });
  afterAll(() => registered.close());

  it('GitHub sends the user to the registered URL with redirect_uri_mismatch', () => {
    expect(back.port).toBe('3999');
    expect(back.searchParams.get('error')).toBe('redirect_uri_mismatch');
  });
  it('is AUTHORIZATION_DENIED', () => {
    expect(AuthManagerError.is(err, 'AUTHORIZATION_DENIED')).toBe(true);
    expect((err as AuthManagerError).error).toBe('redirect_uri_mismatch');
  });
});

describe('capabilities in the types', () => {
  const auth = githubAuth({ appCredentials: { authorizationUrl: 'https://x.test/a', tokenUrl: 'https://x.test/t', apiUrl: 'https://x.test', clientId: 'c', clientSecret: 's', redirectUri: 'https://app.test/cb' } } as GithubEmulator);
  type Flow = typeof auth.github.oauth2;
  const hasRevoke: 'revoke' extends keyof Flow ? true : false = true;
  const hasIntrospect: 'introspect' extends keyof Flow ? true : false = false;

  it('revoke exists, introspect does not (GitHub has no RFC 7662 endpoint)', async () => {
    expect(hasRevoke).toBe(true);
    expect(hasIntrospect).toBe(false);
    const flow = auth.github.oauth2 as unknown as { introspect(t: string): Promise<unknown> };
    expect(AuthManagerError.is(await caught(() => flow.introspect('t')), 'UNSUPPORTED_FLOW')).toBe(true);
  });
});

describe('emulator fidelity: what GitHub rejects', () => {
  const api = (path: string, init: RequestInit = {}) => fetch(`${gh.appCredentials.apiUrl}${path}`, init);
  let noUserAgent: number;
  let basicOnly: string | undefined;
  let formRevoke: number;
  let wrongBasic: number;
  let badVersion: number;

  beforeAll(async () => {
    const pat = gh.issuePersonalAccessToken(gh.users[0]!.login);
    // undici sends `user-agent: node` unless told otherwise; an empty value is "no User-Agent"
    noUserAgent = (await api('/user', { headers: { authorization: `Bearer ${pat}`, 'user-agent': '' } })).status;
    const basic = `Basic ${Buffer.from(`${gh.clientId}:${gh.clientSecret}`).toString('base64')}`;
    const t = await fetch(gh.appCredentials.tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json', authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code: 'x' }),
    });
    basicOnly = ((await t.json()) as { error?: string }).error;
    formRevoke = (await api(`/applications/${gh.clientId}/grant`, {
      method: 'DELETE', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: pat }),
    })).status;
    wrongBasic = (await api(`/applications/${gh.clientId}/grant`, {
      method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`${gh.clientId}:nope`).toString('base64')}` },
      body: JSON.stringify({ access_token: pat }),
    })).status;
    badVersion = (await api('/user', {
      headers: { authorization: `Bearer ${pat}`, accept: 'application/vnd.github+json', 'x-github-api-version': '1999-01-01' },
    })).status;
  });

  it('API calls without a User-Agent get 403', () => { expect(noUserAgent).toBe(403); });
  it('a client secret sent only with Basic is incorrect_client_credentials', () => { expect(basicOnly).toBe('incorrect_client_credentials'); });
  it('revocation with a form body gets 400', () => { expect(formRevoke).toBe(400); });
  it('revocation with the wrong client secret gets 401', () => { expect(wrongBasic).toBe(401); });
  it('an unsupported API version gets 400', () => { expect(badVersion).toBe(400); });
});
