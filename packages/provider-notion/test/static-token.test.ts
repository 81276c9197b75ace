import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, AuthManagerError, envFrom, type AccountInfo } from '@authmanager/core';
import { notion } from '../src/index.js';
import { startNotionEmulator, type NotionEmulator } from '@authmanager/testing';

describe('notion: static-token mode (internal integration token from NOTION_INTEGRATION_TOKEN)', () => {
  let emu: NotionEmulator;
  let me: { status: number; id: unknown };
  let accessToken: string;
  let account: AccountInfo | undefined;
  let refreshError: unknown;
  let badTokenStatus: number;
  let oauthError: unknown;

  beforeAll(async () => {
    emu = await startNotionEmulator();
    // No client id or secret: only the internal integration token, read from the env alias.
    const auth = new AuthManager({
      providers: [notion({ apiBaseUrl: emu.appCredentials.apiBaseUrl })],
      env: envFrom({ NOTION_INTEGRATION_TOKEN: emu.staticTokens[0]! }),
    });
    await using session = await auth.session('any-subject');
    const res = await session.fetch('notion', '/users/me');
    me = { status: res.status, id: (await res.json() as { id: unknown }).id };
    accessToken = await session.accessToken('notion');
    account = await session.account('notion');
    refreshError = await session.refresh('notion').then(() => undefined, (e: unknown) => e);
    oauthError = await auth.notion.oauth2.authorize({ subject: 's' }).then(() => undefined, (e: unknown) => e);

    const wrong = new AuthManager({
      providers: [notion({ apiBaseUrl: emu.appCredentials.apiBaseUrl, token: 'ntn_not-a-real-token' })],
      env: envFrom({}),
    });
    await using other = await wrong.session('s');
    const bad = await other.fetch('notion', '/users/me');
    badTokenStatus = bad.status;
    await bad.body?.cancel();
  });

  afterAll(async () => { await emu.close(); });

  it('sessions use the token like an OAuth credential: Bearer + Notion-Version on the API call', () => {
    expect(me.status).toBe(200);
    expect(me.id).toBe('internal-integration-bot');
    const req = emu.requests('api')[0]!;
    expect(req.headers.authorization).toBe(`Bearer ${emu.staticTokens[0]!}`);
    expect(req.headers['notion-version']).toBe('2025-09-03');
    expect(accessToken).toBe(emu.staticTokens[0]!);
  });

  it('has no upstream account (no bot_id without OAuth)', () => {
    expect(account).toBeUndefined();
  });

  it('cannot be refreshed, and a 401 is returned as is without any token request', () => {
    expect(AuthManagerError.is(refreshError, 'REAUTHORIZATION_REQUIRED')).toBe(true);
    expect(badTokenStatus).toBe(401);
    expect(emu.requestCount('api')).toBe(2); // the good call and the 401, no retry
    expect(emu.requestCount('token')).toBe(0);
  });

  it('OAuth without a client id is a CONFIGURATION error naming NOTION_CLIENT_ID', () => {
    expect(AuthManagerError.is(oauthError, 'CONFIGURATION')).toBe(true);
    expect((oauthError as Error).message).toContain('NOTION_CLIENT_ID');
  });
});
