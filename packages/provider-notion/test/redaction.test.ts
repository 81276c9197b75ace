import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { AuthManagerError, type Credentials } from '@authmanager/core';
import { startNotionEmulator, type NotionEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import { notionAuth, REDIRECT_URI } from './helpers.js';

/** Every rendering a log line could use. */
function renderings(value: unknown): string[] {
  return [JSON.stringify(value) ?? '', inspect(value, { depth: 10, showHidden: true }), String(value)];
}

describe('notion: no token or secret in JSON.stringify / util.inspect of credentials or errors', () => {
  let emu: NotionEmulator;
  let credentials: Credentials<object>;
  let secrets: string[];
  let errors: unknown[];

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const auth = notionAuth(emu);
    const { url } = await auth.notion.oauth2.authorize({ subject: 's' });
    const callbackUrl = await approve(url);
    credentials = (await auth.notion.oauth2.complete({ callbackUrl })).credentials;
    const code = new URL(callbackUrl).searchParams.get('code')!;

    const wrongSecret = notionAuth(emu, { clientSecret: 'secret_WRONG_client_secret_value' });
    const again = await wrongSecret.notion.oauth2.authorize({ subject: 's' });
    const exchangeError = await wrongSecret.notion.oauth2.exchange({ callbackUrl: await approve(again.url) }).catch((e: unknown) => e);
    await wrongSecret.storeCredentials('notion', 's', credentials);
    const revokeError = await wrongSecret.notion.oauth2.revoke({ subject: 's' }).catch((e: unknown) => e);
    const refreshError = await wrongSecret.notion.oauth2.refresh(credentials as never).catch((e: unknown) => e);
    const staticConfig = notionAuth(emu, { token: 'ntn_STATIC_integration_token', version: 'bad' });
    let configError: unknown;
    try { staticConfig.notion.app(); } catch (e) { configError = e; }

    secrets = [
      credentials.accessToken, credentials.refreshToken!, code, emu.clientSecret,
      'secret_WRONG_client_secret_value', 'ntn_STATIC_integration_token',
      Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64'),
    ];
    errors = [exchangeError, revokeError, refreshError, configError];
  });

  afterAll(async () => { await emu.close(); });

  it('the failures under test are AuthManagerErrors', () => {
    expect(errors.map((e) => AuthManagerError.is(e) && e.code)).toEqual(['TOKEN_EXCHANGE_FAILED', 'REVOCATION_FAILED', 'TOKEN_REFRESH_FAILED', 'CONFIGURATION']);
  });

  it('credentials render without their tokens', () => {
    for (const text of renderings(credentials)) for (const s of secrets) expect(text).not.toContain(s);
  });

  it('errors render without tokens, codes or secrets (cause chain included)', () => {
    for (const err of errors) for (const text of renderings(err)) for (const s of secrets) expect(text).not.toContain(s);
  });
});
