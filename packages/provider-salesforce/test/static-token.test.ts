import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, envFrom } from '@authmanager/core';
import { startSalesforceEmulator, type SalesforceEmulator, type SalesforceIssuedToken } from '@authmanager/testing';
import { expectRejection } from '@authmanager/testing/providers';
import { managerFor } from './helpers.js';

describe('static-token mode (SALESFORCE_ACCESS_TOKEN + SALESFORCE_INSTANCE_URL)', () => {
  let emu: SalesforceEmulator;
  let issued: SalesforceIssuedToken;
  let auth: ReturnType<typeof managerFor>;

  beforeAll(async () => {
    emu = await startSalesforceEmulator();
    issued = emu.issueAccessToken();
    auth = managerFor(emu, { env: envFrom({ SALESFORCE_ACCESS_TOKEN: issued.accessToken, SALESFORCE_INSTANCE_URL: issued.instanceUrl }) });
  });
  afterAll(async () => { await emu.close(); });

  it('calls the API on the configured instance with the static token when nothing is stored', async () => {
    await using session = await auth.session('anyone');
    const res = await session.fetch('salesforce', 'limits');
    await res.body?.cancel();
    const [call] = emu.requests('api');
    expect(res.status).toBe(200);
    expect(call?.origin).toBe(issued.instanceUrl);
    expect(call?.path).toBe('/services/data/v64.0/limits');
    expect(call?.headers.authorization).toBe(`Bearer ${issued.accessToken}`);
  });

  it('keeps the instance URL as the instance_url extra', async () => {
    await using session = await auth.session('anyone');
    const credentials = await session.salesforce.credentials();
    expect(credentials.extras).toEqual({ instance_url: issued.instanceUrl });
    expect(credentials.refreshToken).toBeUndefined();
  });

  it('cannot be refreshed: REAUTHORIZATION_REQUIRED, and a 401 is returned as is', async () => {
    emu.clearRequests();
    const dead = emu.issueAccessToken();
    const local = managerFor(emu, { env: envFrom({ SALESFORCE_ACCESS_TOKEN: dead.accessToken, SALESFORCE_INSTANCE_URL: dead.instanceUrl }) });
    emu.expireAccessTokens();
    await using session = await local.session('anyone');
    const res = await session.fetch('salesforce', 'limits');
    await res.body?.cancel();
    const err = await session.salesforce.refresh().catch((e: unknown) => e);
    expect(res.status).toBe(401);
    expect(emu.requestCount('token')).toBe(0);
    expect(AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')).toBe(true);
  });

  it('needs the instance URL: CONFIGURATION naming SALESFORCE_INSTANCE_URL', async () => {
    const local = managerFor(emu, { env: envFrom({ SALESFORCE_ACCESS_TOKEN: issued.accessToken }) });
    await using session = await local.session('anyone');
    const err = await expectRejection(session.salesforce.accessToken(), 'CONFIGURATION');
    expect((err as Error).message).toContain('SALESFORCE_INSTANCE_URL');
  });

  it('also reads the token from SALESFORCE_TOKEN', async () => {
    const local = managerFor(emu, { env: envFrom({ SALESFORCE_TOKEN: issued.accessToken, SALESFORCE_INSTANCE_URL: issued.instanceUrl }) });
    await using session = await local.session('anyone');
    expect(await session.salesforce.accessToken()).toBe(issued.accessToken);
  });
});
