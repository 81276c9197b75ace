import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Credentials } from '@authmanager/core';
import { startNotionEmulator, type NotionEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import { notionAuth, REDIRECT_URI } from './helpers.js';

describe('notion: session.notion.client() is @notionhq/client, authenticated, pointed at the emulator', () => {
  let emu: NotionEmulator;
  let connected: Credentials<object>;
  let firstId: string;
  let afterExpiryId: string;
  let refreshed: Credentials<object> | undefined;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const auth = notionAuth(emu, { version: '2026-03-11' });
    const { url } = await auth.notion.oauth2.authorize({ subject: 'user-1' });
    connected = (await auth.notion.oauth2.complete({ callbackUrl: await approve(url) })).credentials;
    await using session = await auth.session('user-1');
    const client = await session.notion.client();
    firstId = (await client.users.me({})).id;
    emu.expireAccessTokens();
    afterExpiryId = (await client.users.me({})).id;
    refreshed = await auth.loadCredentials('notion', 'user-1');
  });

  afterAll(async () => { await emu.close(); });

  it('makes a real call: users.me returns the bot of the connected workspace', () => {
    expect(firstId).toBe(emu.workspaces[0]!.botId);
  });

  it('sends the SDK user agent, Bearer <access token> and the configured Notion-Version', () => {
    const req = emu.requests('api')[0]!;
    expect(req.headers['user-agent']).toMatch(/^notionhq-client\//);
    expect(req.headers.authorization).toBe(`Bearer ${connected.accessToken}`);
    expect(req.headers['notion-version']).toBe('2026-03-11');
  });

  it('recovers from a 401 by one refresh and one retry, with the new token', () => {
    expect(afterExpiryId).toBe(firstId);
    expect(emu.requestCount('token')).toBe(2); // exchange + one refresh
    const [, unauthorized, retry] = emu.requests('api');
    expect(unauthorized!.headers.authorization).toBe(`Bearer ${connected.accessToken}`);
    expect(retry!.headers.authorization).toBe(`Bearer ${refreshed!.accessToken}`);
    expect(refreshed!.accessToken).not.toBe(connected.accessToken);
  });
});
