import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError } from '@authmanager/core';
import { startSalesforceEmulator, type SalesforceEmulator, type SalesforceEmulatorAccount } from '@authmanager/testing';
import { connect, managerFor, type SalesforceManager } from './helpers.js';

const OTHER = { orgId: '00D8d000009OtHeRAA', userId: '0058d00000OtHeRUSR', username: 'grace@other.example' };

describe('account: org id + user id from the identity URL', () => {
  let emu: SalesforceEmulator;
  let auth: SalesforceManager;
  let sameAgain: unknown;
  let mismatch: unknown;
  let ada: SalesforceEmulatorAccount;

  beforeAll(async () => {
    emu = await startSalesforceEmulator();
    auth = managerFor(emu);
    ada = emu.account;
    await connect(auth, 'user-1');
    sameAgain = await connect(auth, 'user-1').then(() => 'ok', (e: unknown) => e);
    emu.setAccount(OTHER);
    mismatch = await connect(auth, 'user-1').catch((e: unknown) => e);
  });
  afterAll(async () => { await emu.close(); });

  it('reports the connected org and user', async () => {
    const { orgId, userId } = ada;
    expect(await auth.account('salesforce', 'user-1')).toEqual({ id: `${orgId}/${userId}`, label: `user ${userId} in org ${orgId}` });
  });

  it('answers the same from a session', async () => {
    await using session = await auth.session('user-1');
    expect((await session.salesforce.account())?.id).toBe(`${ada.orgId}/${ada.userId}`);
  });

  it('lets the subject re-connect the same account', () => {
    expect(sameAgain).toBe('ok');
  });

  it('refuses to re-connect the subject to another Salesforce user with ACCOUNT_MISMATCH, keeping the first', async () => {
    expect(AuthManagerError.is(mismatch, 'ACCOUNT_MISMATCH')).toBe(true);
    expect((await auth.account('salesforce', 'user-1'))?.id).toBe(`${ada.orgId}/${ada.userId}`);
  });

  it('replaces it when onAccountMismatch is "replace"', async () => {
    const replacing = managerFor(emu, { onAccountMismatch: 'replace' });
    emu.setAccount(ada);
    await connect(replacing, 'user-2');
    emu.setAccount(OTHER);
    await connect(replacing, 'user-2');
    expect((await replacing.account('salesforce', 'user-2'))?.id).toBe(`${OTHER.orgId}/${OTHER.userId}`);
  });
});
