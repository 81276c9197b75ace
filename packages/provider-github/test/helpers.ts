import { AuthManager, envFrom, type AuthManagerOptions } from '@authmanager/core';
import type { GithubEmulator } from '@authmanager/testing';
import { github } from '../src/index.js';

// What is GitHub's own: tests override app credentials (a wrong secret, an app id and key), which
// `managerFor` of '@authmanager/testing/providers' does not take.

/**
 * A manager with only GitHub pointed at the emulator (app credentials overridden by `input`). The
 * env is empty so a `GITHUB_TOKEN` in the test runner's environment (GitHub Actions sets one) cannot leak in.
 */
export function githubAuth(gh: GithubEmulator, input: Parameters<typeof github>[0] = {}, options: Partial<Omit<AuthManagerOptions<readonly []>, 'providers'>> = {}) {
  return new AuthManager({ env: envFrom({}), ...options, providers: [github({ ...gh.appCredentials, ...input })] });
}

/** authorize → the emulator approves → complete (exchange + store). */
export async function connect(auth: ReturnType<typeof githubAuth>, gh: GithubEmulator, subject: string, scopes?: readonly string[]) {
  const { url } = await auth.github.oauth2.authorize({ subject, ...(scopes ? { scopes } : {}) });
  return auth.github.oauth2.complete({ callbackUrl: await gh.approve(url) });
}

/** Runs `fn` and returns what it threw (fails the test when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** A body labelled JSON whatever it holds, for malformed-answer tests. */
export const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' } as const;
