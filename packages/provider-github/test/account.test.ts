import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManagerError, type AccountInfo } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator } from '@authmanager/testing';
import { caught, connect, githubAuth } from './helpers.js';

describe('account and ACCOUNT_MISMATCH', () => {
  let gh: GithubEmulator;
  let account: AccountInfo | undefined;
  let mismatch: unknown;
  let afterMismatch: AccountInfo | undefined;
  let sameUserAgain: unknown;
  let replaced: AccountInfo | undefined;

  beforeAll(async () => {
    gh = await startGithubEmulator();
    const auth = githubAuth(gh);
    await connect(auth, gh, 'user-1');
    account = await auth.account('github', 'user-1');

    gh.setUser(gh.users[1]!.login); // someone else signs in at GitHub
    mismatch = await caught(() => connect(auth, gh, 'user-1'));
    afterMismatch = await auth.account('github', 'user-1');

    gh.setUser(gh.users[0]!.login); // the same person connects again
    sameUserAgain = await connect(auth, gh, 'user-1').then(() => 'ok', (e: unknown) => e);

    const lenient = githubAuth(gh, {}, { onAccountMismatch: 'replace' });
    await connect(lenient, gh, 'user-1');
    gh.setUser(gh.users[1]!.login);
    await connect(lenient, gh, 'user-1');
    replaced = await lenient.account('github', 'user-1');
  });
  afterAll(() => gh.close());

  it('is the GitHub user id, labelled with the login', () => {
    expect(account).toEqual({ id: String(gh.users[0]!.id), label: gh.users[0]!.login });
  });
  it('re-connecting a subject to another GitHub user fails with ACCOUNT_MISMATCH', () => {
    expect(AuthManagerError.is(mismatch, 'ACCOUNT_MISMATCH')).toBe(true);
  });
  it('keeps the first connection', () => {
    expect(afterMismatch?.id).toBe(String(gh.users[0]!.id));
  });
  it('re-connecting the same GitHub user is fine', () => {
    expect(sameUserAgain).toBe('ok');
  });
  it("onAccountMismatch: 'replace' switches the account", () => {
    expect(replaced?.id).toBe(String(gh.users[1]!.id));
  });
});

describe('account of a credential stored before the identity lookup (user_id / user_login extras)', () => {
  let legacy: AccountInfo | undefined;
  let current: AccountInfo | undefined;

  beforeAll(async () => {
    const gh = await startGithubEmulator();
    try {
      const auth = githubAuth(gh);
      const { credentials } = await connect(auth, gh, 'user-1');
      const { account_id: _id, account_label: _label, ...rest } = credentials.extras;
      await auth.storeCredentials('github', 'old', credentials.with({ extras: { ...rest, user_id: 583231, user_login: 'octocat' } }));
      legacy = await auth.account('github', 'old');
      current = await auth.account('github', 'user-1');
    } finally {
      await gh.close();
    }
  });

  it('is still the user id and login', () => {
    expect(legacy).toEqual({ id: '583231', label: 'octocat' });
  });
  it('a new credential reads account_id / account_label', () => {
    expect(current?.id).toMatch(/^\d+$/);
    expect(current?.id).not.toBe('583231');
  });
});
