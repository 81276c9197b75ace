import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Credentials, IntrospectionResult } from '@authmanager/core';
import { NOTION_DEFAULT_VERSION, type NotionUserCredentialExtras } from '../src/index.js';
import { startNotionEmulator, type NotionEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import { basicCredentials, notionAuth, REDIRECT_URI } from './helpers.js';

describe('notion: connect → session → API → refresh → introspect → revoke, against the emulator', () => {
  let emu: NotionEmulator;
  let authorizeUrl: URL;
  let state: string;
  let callbackUrl: URL;
  let connected: Credentials<NotionUserCredentialExtras>;
  let subject: string;
  let accessLiveAfterExchange: boolean;
  let me: { status: number; body: Record<string, unknown> };
  let refreshed: Credentials<NotionUserCredentialExtras>;
  let oldRefreshLiveAfterRefresh: boolean;
  let storedAfterRefresh: Credentials<object> | undefined;
  let meAfterRefresh: { status: number; body: Record<string, unknown> };
  let introspection: IntrospectionResult;
  let revoked: boolean;
  let storedAfterRevoke: Credentials<object> | undefined;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const auth = notionAuth(emu);

    const authorization = await auth.notion.oauth2.authorize({ subject: 'user-1' });
    authorizeUrl = authorization.url;
    state = authorization.state;
    callbackUrl = new URL(await approve(authorization.url));
    const result = await auth.notion.oauth2.exchange({ callbackUrl });
    connected = result.credentials;
    subject = result.subject;
    accessLiveAfterExchange = emu.isTokenActive(connected.accessToken);
    await auth.storeCredentials('notion', result.subject, result);

    await using session = await auth.session('user-1');
    const res = await session.fetch('notion', '/users/me');
    me = { status: res.status, body: await res.json() as Record<string, unknown> };

    refreshed = await session.notion.refresh();
    oldRefreshLiveAfterRefresh = emu.isTokenActive(connected.refreshToken!);
    storedAfterRefresh = await auth.loadCredentials('notion', 'user-1');
    const res2 = await session.notion.fetch('/users/me');
    meAfterRefresh = { status: res2.status, body: await res2.json() as Record<string, unknown> };

    introspection = await auth.notion.oauth2.introspect(refreshed.accessToken);
    revoked = await auth.notion.oauth2.revoke({ subject: 'user-1' });
    storedAfterRevoke = await auth.loadCredentials('notion', 'user-1');
  });

  afterAll(async () => { await emu.close(); });

  describe('authorize', () => {
    it('sends the user to the authorization endpoint with owner=user, response_type=code, client_id, redirect_uri, state', () => {
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(emu.appCredentials.authorizationUrl);
      const q = authorizeUrl.searchParams;
      expect(q.get('owner')).toBe('user');
      expect(q.get('response_type')).toBe('code');
      expect(q.get('client_id')).toBe(emu.clientId);
      expect(q.get('redirect_uri')).toBe(REDIRECT_URI);
      expect(q.get('state')).toBe(state);
    });

    it('asks for no scope and no PKCE challenge (Notion documents neither)', () => {
      expect(authorizeUrl.searchParams.has('scope')).toBe(false);
      expect(authorizeUrl.searchParams.has('code_challenge')).toBe(false);
    });

    it('comes back to the redirect URI with a code and the same state', () => {
      expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(REDIRECT_URI);
      expect(callbackUrl.searchParams.get('state')).toBe(state);
      expect(callbackUrl.searchParams.get('code')).toBeTruthy();
    });
  });

  describe('code exchange on the wire', () => {
    it('POSTs once to the token endpoint with HTTP Basic client_id:client_secret', () => {
      const [req, ...more] = emu.requests('token');
      expect(more.length).toBeGreaterThanOrEqual(1); // the later refresh
      expect(req?.method).toBe('POST');
      expect(basicCredentials(req?.headers.authorization)).toBe(`${emu.clientId}:${emu.clientSecret}`);
    });

    it('sends a JSON body with grant_type, code and redirect_uri only (no secret, no code_verifier)', () => {
      const req = emu.requests('token')[0]!;
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(req.body)).toEqual({ grant_type: 'authorization_code', code: callbackUrl.searchParams.get('code'), redirect_uri: REDIRECT_URI });
      expect(req.body).not.toContain(emu.clientSecret);
    });

    it('sends the default Notion-Version header', () => {
      expect(emu.requests('token')[0]!.headers['notion-version']).toBe(NOTION_DEFAULT_VERSION);
    });
  });

  describe('credentials from the exchange', () => {
    it('belong to the subject given to authorize and hold a live access token and a refresh token', () => {
      expect(subject).toBe('user-1');
      expect(accessLiveAfterExchange).toBe(true);
      expect(connected.refreshToken).toEqual(expect.any(String));
      expect(connected.tokenType).toBe('Bearer');
    });

    it('never expire (Notion sends no expires_in)', () => {
      expect(connected.expiresAt).toBeUndefined();
      expect(connected.expiresWithin(365 * 24 * 3600 * 1000)).toBe(false);
    });

    it('keep bot_id, workspace_id, workspace_name, workspace_icon, owner and duplicated_template_id as typed extras', () => {
      const ws = emu.workspaces[0]!;
      expect(connected.extras).toEqual({
        bot_id: ws.botId, workspace_id: ws.id, workspace_name: ws.name, workspace_icon: ws.icon,
        owner: { type: 'user', user: expect.objectContaining({ object: 'user', id: ws.user.id }) },
        duplicated_template_id: null,
      });
    });

    it('keep the rest (request_id) in raw, without any token', () => {
      expect(Object.keys(connected.raw)).toEqual(['request_id']);
    });
  });

  describe('API call through the session', () => {
    it('reaches GET /v1/users/me and gets the bot user of the connected workspace', () => {
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(emu.workspaces[0]!.botId);
      expect(emu.requests('api')[0]!.path).toBe(new URL(emu.endpoints.api).pathname);
    });

    it('sends Authorization: Bearer <access token> and Notion-Version', () => {
      const req = emu.requests('api')[0]!;
      expect(req.headers.authorization).toBe(`Bearer ${connected.accessToken}`);
      expect(req.headers['notion-version']).toBe(NOTION_DEFAULT_VERSION);
    });
  });

  describe('refresh', () => {
    it('POSTs grant_type=refresh_token as JSON with HTTP Basic and Notion-Version', () => {
      const req = emu.requests('token')[1]!;
      expect(JSON.parse(req.body)).toEqual({ grant_type: 'refresh_token', refresh_token: connected.refreshToken });
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      expect(basicCredentials(req.headers.authorization)).toBe(`${emu.clientId}:${emu.clientSecret}`);
      expect(req.headers['notion-version']).toBe(NOTION_DEFAULT_VERSION);
    });

    it('rotates both tokens; the old refresh token is dead', () => {
      expect(refreshed.accessToken).not.toBe(connected.accessToken);
      expect(refreshed.refreshToken).toEqual(expect.any(String));
      expect(refreshed.refreshToken).not.toBe(connected.refreshToken);
      expect(oldRefreshLiveAfterRefresh).toBe(false);
    });

    it('stores the rotated credentials and keeps the extras', () => {
      expect(storedAfterRefresh?.refreshToken).toBe(refreshed.refreshToken);
      expect(storedAfterRefresh?.accessToken).toBe(refreshed.accessToken);
      expect(refreshed.extras).toEqual(connected.extras);
    });

    it('makes the session use the new access token', () => {
      expect(meAfterRefresh.status).toBe(200);
      expect(emu.requests('api')[1]!.headers.authorization).toBe(`Bearer ${refreshed.accessToken}`);
    });
  });

  describe('introspection', () => {
    it('POSTs {"token": …} as JSON with HTTP Basic and Notion-Version, and reads active', () => {
      const [req] = emu.requests('introspection');
      expect(JSON.parse(req!.body)).toEqual({ token: refreshed.accessToken });
      expect(req!.headers['content-type']).toMatch(/^application\/json/);
      expect(basicCredentials(req!.headers.authorization)).toBe(`${emu.clientId}:${emu.clientSecret}`);
      expect(req!.headers['notion-version']).toBe(NOTION_DEFAULT_VERSION);
      expect(introspection.active).toBe(true);
    });
  });

  describe('revocation', () => {
    it('sends one POST with {"token": <access token>} as JSON, HTTP Basic and Notion-Version', () => {
      const reqs = emu.requests('revocation');
      expect(reqs).toHaveLength(1);
      expect(JSON.parse(reqs[0]!.body)).toEqual({ token: refreshed.accessToken });
      expect(reqs[0]!.headers['content-type']).toMatch(/^application\/json/);
      expect(basicCredentials(reqs[0]!.headers.authorization)).toBe(`${emu.clientId}:${emu.clientSecret}`);
      expect(reqs[0]!.headers['notion-version']).toBe(NOTION_DEFAULT_VERSION);
    });

    it('ends the connection upstream (both tokens) and deletes the stored credential', () => {
      expect(revoked).toBe(true);
      expect(emu.isTokenActive(refreshed.accessToken)).toBe(false);
      expect(emu.isTokenActive(refreshed.refreshToken!)).toBe(false);
      expect(storedAfterRevoke).toBeUndefined();
    });
  });
});
