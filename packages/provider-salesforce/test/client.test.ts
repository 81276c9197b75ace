import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSalesforceEmulator, type SalesforceEmulator } from '@authmanager/testing';
import { connect, managerFor, type SalesforceManager } from './helpers.js';

describe('session.salesforce.client(): a jsforce Connection on the emulator', () => {
  let emu: SalesforceEmulator;
  let auth: SalesforceManager;
  let accessToken: string;

  beforeAll(async () => {
    emu = await startSalesforceEmulator();
    auth = managerFor(emu);
    ({ credentials: { accessToken } } = await connect(auth, 'user-1'));
  });
  afterAll(async () => { await emu.close(); });

  it('is authenticated on the instance and makes a real call (identity)', async () => {
    emu.clearRequests();
    await using session = await auth.session('user-1');
    const conn = await session.salesforce.client();
    const identity = await conn.identity();
    expect(conn.instanceUrl).toBe(emu.instanceUrls[0]);
    expect(conn.version).toBe('64.0');
    expect(identity.user_id).toBe(emu.account.userId);
    expect(identity.organization_id).toBe(emu.account.orgId);
    const [root] = emu.requests('api');
    expect(root?.path).toBe('/services/data/v64.0');
    expect(root?.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(emu.requestCount('identity')).toBe(1);
  });

  it('refreshes through the session when jsforce gets a 401', async () => {
    await using session = await auth.session('user-1');
    const conn = await session.salesforce.client();
    const before = conn.accessToken;
    emu.expireAccessTokens();
    emu.clearRequests();
    const limits = await conn.limits();
    const stored = await auth.loadCredentials('salesforce', 'user-1');
    expect(limits.DailyApiRequests?.Max).toBe(15000);
    expect(emu.requestCount('token')).toBe(1);
    expect(conn.accessToken).not.toBe(before);
    expect(conn.accessToken).toBe(stored?.accessToken);
    expect(emu.requests('api').map((r) => r.headers.authorization)).toEqual([`Bearer ${before}`, `Bearer ${stored?.accessToken}`]);
  });

  it('re-points the connection when a refresh moved the org: that call fails once, the next one works there', async () => {
    await using session = await auth.session('user-1');
    const conn = await session.salesforce.client();
    emu.moveOrgToOtherInstance();
    emu.expireAccessTokens();
    emu.clearRequests();
    const failed = await conn.limits().catch((e: unknown) => e);
    const limits = await conn.limits();
    expect(String(failed)).toContain('moved');
    expect(limits.DailyApiRequests?.Max).toBe(15000);
    expect(conn.instanceUrl).toBe(emu.instanceUrls[1]);
    expect(emu.requestCount('token')).toBe(1);
    expect(emu.requests('api').map((r) => r.host)).toEqual(['instance-0', 'instance-1']);
  });

  it('never hands jsforce the refresh token', async () => {
    await using session = await auth.session('user-1');
    const conn = await session.salesforce.client();
    expect(conn.refreshToken).toBeFalsy();
  });
});
