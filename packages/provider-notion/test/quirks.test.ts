import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, defineProvider, envFrom, type Credentials } from '@authmanager/core';
import { notion, type NotionUserCredentialExtras } from '../src/index.js';
import { startNotionEmulator, type NotionEmulator, type NotionEmulatorOptions, type NotionEmulatorRequest } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import { basicCredentials, notionAuth, REDIRECT_URI } from './helpers.js';

/**
 * The Notion definition with its OAuth quirks removed (the declared `tokenRequest` / `tokenResponse`):
 * what a plain RFC 6749 client would do.
 */
const definition = notion().definition;
const { tokenRequest: _request, tokenResponse: _response, ...plainOAuth2 } = definition.oauth2;
const notionWithoutQuirks = defineProvider({ ...definition, oauth2: plainOAuth2 });

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try { await promise; } catch (err) { return err; }
  throw new Error('expected a rejection');
}

async function withEmulator<T>(options: NotionEmulatorOptions, fn: (emu: NotionEmulator) => Promise<T>): Promise<T> {
  const emu = await startNotionEmulator({ redirectUri: REDIRECT_URI, ...options });
  try { return await fn(emu); } finally { await emu.close(); }
}

describe('quirk: HTTP Basic client authentication with a JSON body', () => {
  let emu: NotionEmulator;
  let formStatus: number;
  let noBasicStatus: number;
  let withoutQuirks: unknown;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const basic = `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`;
    // What RFC 6749 clients send: a form body (with Basic), or the secret in a JSON body without Basic.
    formStatus = (await fetch(emu.appCredentials.tokenUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', 'notion-version': '2025-09-03' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI }),
    })).status;
    noBasicStatus = (await fetch(emu.appCredentials.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'notion-version': '2025-09-03' },
      body: JSON.stringify({ grant_type: 'authorization_code', code: 'x', client_id: emu.clientId, client_secret: emu.clientSecret }),
    })).status;
    const plain = new AuthManager({
      providers: [notionWithoutQuirks({ ...emu.appCredentials })],
      env: envFrom({}),
    });
    const { url } = await plain.notion.oauth2.authorize({ subject: 's' });
    withoutQuirks = await caught(plain.notion.oauth2.exchange({ callbackUrl: await approve(url) }));
  });

  afterAll(async () => { await emu.close(); });

  it('the emulator answers a form body with 401, as Notion does', () => {
    expect(formStatus).toBe(401);
  });

  it('the emulator answers a request without Basic auth with 401, as Notion does', () => {
    expect(noBasicStatus).toBe(401);
  });

  it('without tokenRequest.bodyFormat: \'json\' the code exchange fails (openid-client sends a form body)', () => {
    expect(AuthManagerError.is(withoutQuirks, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect(emu.requests('token').at(-1)!.headers['content-type']).toMatch(/x-www-form-urlencoded/);
  });
});

describe('quirk: the Basic credentials are client_id:client_secret as they are (not form-encoded)', () => {
  let emu: NotionEmulator;
  let withoutHook: unknown;
  let sentWithoutHook: string | undefined;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    // Only basicEncoding removed: JSON body and Notion-Version stay; openid-client builds the Basic header.
    const { basicEncoding: _encoding, ...tokenRequest } = definition.oauth2.tokenRequest;
    const notionWithoutRawBasic = defineProvider({ ...definition, oauth2: { ...definition.oauth2, tokenRequest } });
    const plain = new AuthManager({
      providers: [notionWithoutRawBasic({ ...emu.appCredentials })],
      env: envFrom({}),
    });
    const { url } = await plain.notion.oauth2.authorize({ subject: 's' });
    withoutHook = await caught(plain.notion.oauth2.exchange({ callbackUrl: await approve(url) }));
    sentWithoutHook = basicCredentials(emu.requests('token').at(-1)!.headers.authorization);
  });

  afterAll(async () => { await emu.close(); });

  it('without tokenRequest.basicEncoding: \'rfc7617\' openid-client form-encodes the client id (- becomes %2D) and Notion answers invalid_client', () => {
    expect(emu.clientId).toContain('-');
    expect(sentWithoutHook).toContain('%2D');
    expect(AuthManagerError.is(withoutHook, 'TOKEN_EXCHANGE_FAILED')).toBe(true);
    expect((withoutHook as AuthManagerError).error).toBe('invalid_client');
  });
});

describe('quirk: owner=user on the authorization request', () => {
  let emu: NotionEmulator;
  let withOwner: number;
  let withoutOwner: number;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const { url } = await notionAuth(emu).notion.oauth2.authorize({ subject: 's' });
    withOwner = (await fetch(url, { redirect: 'manual' })).status;
    url.searchParams.delete('owner');
    withoutOwner = (await fetch(url, { redirect: 'manual' })).status;
  });

  afterAll(async () => { await emu.close(); });

  it('the authorization URL built by the provider is accepted (302 to the callback)', () => {
    expect(withOwner).toBe(302);
  });

  it('the same URL without owner is refused', () => {
    expect(withoutOwner).toBe(400);
  });
});

describe('quirk: Notion-Version from the version app credential (NOTION_API_VERSION) on OAuth requests and API calls', () => {
  let emu: NotionEmulator;
  let apiWithout: number;
  let tokenWithoutHeaderError: unknown;
  let sentByProvider: NotionEmulatorRequest[];

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const auth = notionAuth(emu, {}, { env: envFrom({ NOTION_API_VERSION: '2022-06-28' }) });
    const { url } = await auth.notion.oauth2.authorize({ subject: 's' });
    const { credentials } = await auth.notion.oauth2.complete({ callbackUrl: await approve(url) });
    await using session = await auth.session('s');
    await (await session.fetch('notion', '/users/me')).body?.cancel();
    await session.refresh('notion');
    await auth.notion.oauth2.introspect(credentials.accessToken);
    await auth.notion.oauth2.revoke({ subject: 's' });
    sentByProvider = emu.requests();
    apiWithout = (await fetch(`${emu.appCredentials.apiBaseUrl}/users/me`, { headers: { authorization: `Bearer ${emu.staticTokens[0]!}` } })).status;
    const plain = new AuthManager({
      providers: [notionWithoutQuirks({ ...emu.appCredentials })],
      env: envFrom({}),
    });
    tokenWithoutHeaderError = await caught(plain.notion.oauth2.introspect(credentials.accessToken));
  });

  afterAll(async () => { await emu.close(); });

  it.each(['token', 'introspection', 'revocation', 'api'] as const)('every %s request carries Notion-Version: 2022-06-28', (endpoint) => {
    const reqs = sentByProvider.filter((r) => r.endpoint === endpoint);
    expect(reqs.length).toBeGreaterThan(0);
    expect(reqs.map((r) => r.headers['notion-version'])).toEqual(reqs.map(() => '2022-06-28'));
  });

  it('the emulator refuses an API call without Notion-Version (400 missing_version)', () => {
    expect(apiWithout).toBe(400);
  });

  it('without the declared tokenRequest headers the OAuth request has no Notion-Version and fails', () => {
    expect(AuthManagerError.is(tokenWithoutHeaderError)).toBe(true);
    expect(emu.requests('introspection').at(-1)!.headers['notion-version']).toBeUndefined();
  });

  it('NOTION_VERSION wins over NOTION_API_VERSION, and a malformed version is a CONFIGURATION error naming both keys', () => {
    const both = notionAuth(emu, {}, { env: envFrom({ NOTION_VERSION: '2026-03-11', NOTION_API_VERSION: '2022-06-28' }) });
    expect(both.notion.app().version).toBe('2026-03-11');
    const bad = notionAuth(emu, {}, { env: envFrom({ NOTION_VERSION: 'latest' }) });
    let err: unknown;
    try { bad.notion.app(); } catch (e) { err = e; }
    expect(AuthManagerError.is(err, 'CONFIGURATION')).toBe(true);
    expect((err as Error).message).toMatch(/NOTION_VERSION or NOTION_API_VERSION/);
  });
});

describe('quirk: no expires_in — a 401 from the API triggers one refresh and one retry', () => {
  let emu: NotionEmulator;
  let before: Credentials<object>;
  let status: number;
  let stored: Credentials<object> | undefined;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const auth = notionAuth(emu);
    const { url } = await auth.notion.oauth2.authorize({ subject: 's' });
    before = (await auth.notion.oauth2.complete({ callbackUrl: await approve(url) })).credentials;
    emu.expireAccessTokens();
    emu.clearRequests();
    await using session = await auth.session('s');
    const res = await session.fetch('notion', '/users/me');
    status = res.status;
    await res.body?.cancel();
    stored = await auth.loadCredentials('notion', 's');
  });

  afterAll(async () => { await emu.close(); });

  it('the call succeeds', () => {
    expect(status).toBe(200);
  });

  it('the first attempt got 401, then exactly one refresh, then one retry with the new token', () => {
    expect(emu.requestCount('api')).toBe(2);
    expect(emu.requestCount('token')).toBe(1);
    expect(JSON.parse(emu.requests('token')[0]!.body).grant_type).toBe('refresh_token');
    const [first, retry] = emu.requests('api');
    expect(first!.headers.authorization).toBe(`Bearer ${before.accessToken}`);
    expect(retry!.headers.authorization).toBe(`Bearer ${stored!.accessToken}`);
    expect(stored!.accessToken).not.toBe(before.accessToken);
  });
});

describe('quirk: refresh rotates both tokens (the old refresh token dies)', () => {
  let emu: NotionEmulator;
  let first: Credentials<NotionUserCredentialExtras>;
  let second: Credentials<NotionUserCredentialExtras>;
  let staleRefresh: unknown;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const auth = notionAuth(emu);
    const { url } = await auth.notion.oauth2.authorize({ subject: 's' });
    const original = (await auth.notion.oauth2.complete({ callbackUrl: await approve(url) })).credentials;
    await using session = await auth.session('s');
    first = await session.notion.refresh();
    second = await session.notion.refresh();
    staleRefresh = await caught(auth.notion.oauth2.refresh(original));
  });

  afterAll(async () => { await emu.close(); });

  it('a second refresh uses the refresh token the first one returned', () => {
    const [a, b] = emu.requests('token').slice(1).map((r) => JSON.parse(r.body).refresh_token);
    expect(b).toBe(first.refreshToken);
    expect(a).not.toBe(b);
    expect(second.refreshToken).not.toBe(first.refreshToken);
  });

  it('refreshing with the pre-rotation refresh token is REAUTHORIZATION_REQUIRED (invalid_grant)', () => {
    expect(AuthManagerError.is(staleRefresh, 'REAUTHORIZATION_REQUIRED')).toBe(true);
    expect((staleRefresh as AuthManagerError).error).toBe('invalid_grant');
  });
});

describe('quirk: refresh_token null in the token response', () => {
  let withQuirks: Credentials<NotionUserCredentialExtras>;
  let withoutQuirks: unknown;

  beforeAll(async () => {
    await withEmulator({ issueRefreshTokens: false }, async (emu) => {
      const auth = notionAuth(emu);
      const a = await auth.notion.oauth2.authorize({ subject: 's' });
      withQuirks = (await auth.notion.oauth2.exchange({ callbackUrl: await approve(a.url) })).credentials;
      const plain = new AuthManager({
        providers: [notionWithoutQuirks({ ...emu.appCredentials })],
        env: envFrom({}),
        // openid-client sends neither JSON nor Notion-Version here: this fetch adds both, so only the null is left.
        fetch: async (input, init) => {
          const headers = new Headers(init?.headers);
          if (!String(input).endsWith('/oauth/token')) return fetch(input, init);
          headers.set('content-type', 'application/json');
          headers.set('notion-version', '2025-09-03');
          headers.set('authorization', `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`);
          const body = JSON.stringify(Object.fromEntries(new URLSearchParams(init?.body as URLSearchParams)));
          return fetch(input, { ...init, headers, body });
        },
      });
      const b = await plain.notion.oauth2.authorize({ subject: 's' });
      withoutQuirks = await caught(plain.notion.oauth2.exchange({ callbackUrl: await approve(b.url) }));
    });
  });

  it('is read as "no refresh token"', () => {
    expect(withQuirks.accessToken).toEqual(expect.any(String));
    expect(withQuirks.refreshToken).toBeUndefined();
  });

  it('fails validation in openid-client without tokenResponse.nullMeansAbsent', () => {
    expect(AuthManagerError.is(withoutQuirks, 'INVALID_TOKEN_RESPONSE')).toBe(true);
  });
});

describe('quirk: revocation is one Basic + JSON request', () => {
  let emu: NotionEmulator;
  let rfc7009Status: number;
  let wrongSecret: unknown;
  let keptAfterFailure: boolean;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const auth = notionAuth(emu, { clientSecret: 'secret_wrong' });
    const good = notionAuth(emu);
    const { url } = await good.notion.oauth2.authorize({ subject: 's' });
    const { credentials } = await good.notion.oauth2.exchange({ callbackUrl: await approve(url) });
    await auth.storeCredentials('notion', 's', credentials);
    // RFC 7009 as openid-client would send it: form body, token_type_hint.
    rfc7009Status = (await fetch(emu.appCredentials.revocationUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded', 'notion-version': '2025-09-03',
      },
      body: new URLSearchParams({ token: credentials.accessToken, token_type_hint: 'access_token' }),
    })).status;
    wrongSecret = await caught(auth.notion.oauth2.revoke({ subject: 's' }));
    keptAfterFailure = (await auth.loadCredentials('notion', 's')) !== undefined && emu.isTokenActive(credentials.accessToken);
  });

  afterAll(async () => { await emu.close(); });

  it('the emulator refuses an RFC 7009 form-encoded revocation with 401', () => {
    expect(rfc7009Status).toBe(401);
  });

  it('a rejected revocation is REVOCATION_FAILED with the HTTP status, and deletes nothing', () => {
    expect(AuthManagerError.is(wrongSecret, 'REVOCATION_FAILED')).toBe(true);
    expect((wrongSecret as AuthManagerError).status).toBe(401);
    expect(keptAfterFailure).toBe(true);
    expect(basicCredentials(emu.requests('revocation').at(-1)!.headers.authorization)).toBe(`${emu.clientId}:secret_wrong`);
  });
});
