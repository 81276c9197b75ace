import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type AccountInfo, type Credentials } from '@authmanager/core';
import { startNotionEmulator, type NotionEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import { notionAuth, REDIRECT_URI } from './helpers.js';

describe('notion: account (bot_id + workspace name) and ACCOUNT_MISMATCH on re-connect', () => {
  let emu: NotionEmulator;
  let account: AccountInfo | undefined;
  let sessionAccount: AccountInfo | undefined;
  let sameWorkspaceAgain: unknown;
  let afterSameWorkspace: Credentials<object> | undefined;
  let mismatch: unknown;
  let afterMismatch: Credentials<object> | undefined;
  let replaced: AccountInfo | undefined;

  beforeAll(async () => {
    emu = await startNotionEmulator({ redirectUri: REDIRECT_URI });
    const [a, b] = emu.workspaces;
    const auth = notionAuth(emu);
    const connect = async (manager = auth) => {
      const { url } = await manager.notion.oauth2.authorize({ subject: 'user-1' });
      return manager.notion.oauth2.complete({ callbackUrl: await approve(url) });
    };

    emu.consentAs(a!.id);
    await connect();
    account = await auth.account('notion', 'user-1');
    await using session = await auth.session('user-1');
    sessionAccount = await session.notion.account();

    sameWorkspaceAgain = await connect().then(() => undefined, (e: unknown) => e);
    afterSameWorkspace = await auth.loadCredentials('notion', 'user-1');

    emu.consentAs(b!.id);
    mismatch = await connect().then(() => undefined, (e: unknown) => e);
    afterMismatch = await auth.loadCredentials('notion', 'user-1');

    const replacing = notionAuth(emu, {}, { store: auth.store, onAccountMismatch: 'replace' });
    await connect(replacing);
    replaced = await replacing.account('notion', 'user-1');
  });

  afterAll(async () => { await emu.close(); });

  it('is the bot_id with the workspace name as label', () => {
    expect(account).toEqual({ id: emu.workspaces[0]!.botId, label: emu.workspaces[0]!.name });
    expect(sessionAccount).toEqual(account);
  });

  it('re-connecting the same workspace replaces the credential (new token pair)', () => {
    expect(sameWorkspaceAgain).toBeUndefined();
    expect(emu.workspaceOf(afterSameWorkspace!.accessToken)?.id).toBe(emu.workspaces[0]!.id);
  });

  it('connecting the same subject to another workspace throws ACCOUNT_MISMATCH and keeps the stored one', () => {
    expect(AuthManagerError.is(mismatch, 'ACCOUNT_MISMATCH')).toBe(true);
    expect(afterMismatch?.accessToken).toBe(afterSameWorkspace?.accessToken);
  });

  it("onAccountMismatch: 'replace' stores the other workspace's credential", () => {
    expect(replaced).toEqual({ id: emu.workspaces[1]!.botId, label: emu.workspaces[1]!.name });
  });
});
