import { AuthManager, MemoryCredentialStore, type AuthManagerOptions, type EnvSource } from '@authmanager/core';
import { salesforce } from '../src/index.js';
import type { SalesforceEmulator } from '../../testing/src/emulators/salesforce.js';

/** Options for {@link managerFor}. */
export interface ManagerOptions {
  readonly now?: () => number;
  readonly env?: EnvSource;
  readonly store?: MemoryCredentialStore;
  readonly accessTokenLifetimeSeconds?: number;
  /** @default the emulator's two loopback instance hosts (loopback is never allowed unless listed) */
  readonly allowedInstanceOrigins?: readonly string[];
  readonly onAccountMismatch?: AuthManagerOptions<[]>['onAccountMismatch'];
  readonly fetch?: typeof fetch;
}

/**
 * An AuthManager with the Salesforce provider pointed at the emulator's login host, opting in to
 * the emulator's loopback instance hosts as `instance_url` origins.
 */
export function managerFor(emu: SalesforceEmulator, options: ManagerOptions = {}) {
  const { accessTokenLifetimeSeconds, allowedInstanceOrigins = emu.instanceUrls, ...rest } = options;
  return new AuthManager({
    providers: [salesforce({
      loginUrl: emu.loginUrl, clientId: emu.clientId, clientSecret: emu.clientSecret, redirectUri: emu.redirectUri,
      allowedInstanceOrigins: [...allowedInstanceOrigins],
      ...(accessTokenLifetimeSeconds !== undefined ? { accessTokenLifetimeSeconds } : {}),
    })],
    env: options.env ?? (() => undefined),
    ...rest,
  });
}

export type SalesforceManager = ReturnType<typeof managerFor>;

/**
 * Follows an authorization URL as the user's browser would (the emulator approves at once) and
 * returns the callback URL it redirects to.
 */
export async function followAuthorization(url: URL): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  await response.body?.cancel();
  if (response.status !== 302 || !location) throw new Error(`authorize answered HTTP ${response.status} without a redirect`);
  return location;
}

/** authorize → follow → exchange → store, for `subject`. */
export async function connect(auth: SalesforceManager, subject: string, scopes?: readonly string[]) {
  const { url } = await auth.salesforce.oauth2.authorize({ subject, ...(scopes ? { scopes } : {}) });
  const callbackUrl = await followAuthorization(url);
  return auth.salesforce.oauth2.complete({ callbackUrl });
}
