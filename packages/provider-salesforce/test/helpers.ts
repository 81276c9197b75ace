import { AuthManager, MemoryCredentialStore, type AuthManagerOptions, type EnvSource } from '@authmanager/core';
import { salesforce } from '../src/index.js';
import type { SalesforceEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';

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

// What is Salesforce's own: the factory takes the login host and must opt in to the loopback instance
// hosts, so the generic `managerFor`/`connect` of '@authmanager/testing/providers' do not apply.

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

/** authorize → the emulator approves (kit `approve`) → exchange → store, for `subject`. */
export async function connect(auth: SalesforceManager, subject: string, scopes?: readonly string[]) {
  const { url } = await auth.salesforce.oauth2.authorize({ subject, ...(scopes ? { scopes } : {}) });
  const callbackUrl = await approve(url);
  return auth.salesforce.oauth2.complete({ callbackUrl });
}
