import { AuthManager, envFrom, type AuthManagerOptions } from '@authmanager/core';
import { github } from '../src/index.js';
import type { GithubEmulator, GithubEmulatorRequest } from '../../testing/src/emulators/github.js';

/** Never fetched: the emulator only puts it in the Location header. */
export const REDIRECT_URI = 'http://127.0.0.1:3999/callback/github';

type GithubInput = Parameters<typeof github>[0];

/**
 * A manager with the GitHub provider pointed at the emulator. The env is empty so a `GITHUB_TOKEN`
 * in the test runner's environment (GitHub Actions sets one) cannot leak in.
 */
export function newAuth(gh: GithubEmulator, input: GithubInput = {}, options: Partial<Omit<AuthManagerOptions<readonly []>, 'providers'>> = {}) {
  return new AuthManager({
    env: envFrom({}),
    ...options,
    providers: [github({
      ...gh.endpoints, clientId: gh.clientId, clientSecret: gh.clientSecret, redirectUri: REDIRECT_URI, ...input,
    })],
  });
}

/** authorize → the emulator approves → complete (exchange + store). */
export async function connect(auth: ReturnType<typeof newAuth>, gh: GithubEmulator, subject: string, scopes?: readonly string[]) {
  const { url } = await auth.github.oauth2.authorize({ subject, ...(scopes ? { scopes } : {}) });
  return auth.github.oauth2.complete({ callbackUrl: await gh.approve(url) });
}

/** The last request the emulator saw at `endpoint`. */
export function lastRequest(gh: GithubEmulator, endpoint: GithubEmulatorRequest['endpoint']): GithubEmulatorRequest {
  const found = gh.requests.filter((r) => r.endpoint === endpoint).at(-1);
  if (!found) throw new Error(`no ${endpoint} request recorded`);
  return found;
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
