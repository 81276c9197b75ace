import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { startSalesforceEmulator, type SalesforceEmulator } from '@authmanager/testing';
import { connect, managerFor } from './helpers.js';

describe('no token or secret in printed credentials or errors', () => {
  let emu: SalesforceEmulator;
  let secrets: string[];
  const printed: Record<string, string> = {};

  beforeAll(async () => {
    emu = await startSalesforceEmulator();
    const auth = managerFor(emu);
    const { credentials } = await connect(auth, 'user-1');
    secrets = [credentials.accessToken, credentials.refreshToken!, emu.clientSecret];
    printed.credentialsJson = JSON.stringify(credentials);
    printed.credentialsInspect = inspect(credentials, { depth: 20, showHidden: true });
    printed.credentialsString = String(credentials);
    const stored = await auth.loadCredentials('salesforce', 'user-1');
    printed.storedInspect = inspect(stored, { depth: 20 });

    // A signature failure: the rejected response carried fresh tokens.
    emu.tamperNextTokenResponse('signature');
    const signatureError = await connect(auth, 'user-2').catch((e: unknown) => e);
    printed.signatureErrorJson = JSON.stringify(signatureError);
    printed.signatureErrorInspect = inspect(signatureError, { depth: 20 });

    // A refresh with a dead refresh token (invalid_grant).
    await auth.salesforce.oauth2.revoke({ subject: 'user-1' });
    await auth.storeCredentials('salesforce', 'user-1', credentials);
    await using session = await auth.session('user-1');
    const refreshError = await session.salesforce.refresh().catch((e: unknown) => e);
    printed.refreshErrorJson = JSON.stringify(refreshError);
    printed.refreshErrorInspect = inspect(refreshError, { depth: 20 });

    // A token exchange refused because the configured secret is wrong.
    const wrong = managerFor({ ...emu, clientSecret: 'not-the-secret-1234567890' } as SalesforceEmulator);
    const exchangeError = await connect(wrong, 'user-3').catch((e: unknown) => e);
    secrets.push('not-the-secret-1234567890');
    printed.exchangeErrorJson = JSON.stringify(exchangeError);
    printed.exchangeErrorInspect = inspect(exchangeError, { depth: 20 });
  });
  afterAll(async () => { await emu.close(); });

  it('produced every output (the scenarios ran)', () => {
    expect(Object.keys(printed)).toHaveLength(10);
    expect(printed.signatureErrorJson).toContain('INVALID_TOKEN_RESPONSE');
    expect(printed.refreshErrorJson).toContain('REAUTHORIZATION_REQUIRED');
    expect(printed.exchangeErrorJson).toContain('TOKEN_EXCHANGE_FAILED');
  });

  it.each(['credentialsJson', 'credentialsInspect', 'credentialsString', 'storedInspect', 'signatureErrorJson',
    'signatureErrorInspect', 'refreshErrorJson', 'refreshErrorInspect', 'exchangeErrorJson', 'exchangeErrorInspect'])('%s shows no secret', (name) => {
    for (const secret of secrets) expect(printed[name]).not.toContain(secret);
  });

  it('still shows the non-secret extras', () => {
    expect(printed.credentialsJson).toContain(emu.instanceUrls[0]);
  });
});
