// '@authmanager/testing/providers': helpers for provider tests on an emulator. It imports
// '@jest/globals' (for expectRejection), so it is its own entry point, like '/conformance'.
import { expect } from '@jest/globals';
import {
  AuthManager, AuthManagerError, envFrom,
  type AnyProviderDefinition, type AuthManagerOptions, type CompletedAuthorization, type ConnectionConfig, type ProviderFactory,
} from '@authmanager/core';
import type { ProviderEmulator } from './emulator/startProviderEmulator.js';

export { approve } from './emulator/approve.js';
export { startProviderEmulator, EMULATOR_REDIRECT_URI, type ProviderEmulator, type ProviderEmulatorOptions } from './emulator/startProviderEmulator.js';
export type { EmulatorEndpoint, EmulatorRequest, InjectedFailure } from './emulator/RequestLog.js';

/**
 * A manager with one provider pointed at an emulator: `factory(emulator.appCredentials)`, and an
 * empty env (`envFrom({})`) so keys in the test runner's environment (`GITHUB_TOKEN`…) cannot leak in.
 * @param options - further manager options (`store`, `now`, `fetch`…); `env` replaces the empty one
 * @example
 * ```ts
 * const emu = await startProviderEmulator(acme.definition);
 * const auth = managerFor(acme, emu);
 * ```
 */
export function managerFor<F extends ProviderFactory<AnyProviderDefinition>>(
  factory: F, emulator: ProviderEmulator<F['definition']>, options: Omit<AuthManagerOptions<readonly []>, 'providers'> = {},
) {
  const registration = factory(emulator.appCredentials) as ReturnType<F>;
  return new AuthManager({ env: envFrom({}), ...options, providers: [registration] });
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  readonly scopes?: readonly string[];
  /** @default the emulator's `connectionConfig` when it has one */
  readonly connectionConfig?: ConnectionConfig;
  /** A second connection of the subject (`'work'`). */
  readonly connection?: string;
  readonly params?: Readonly<Record<string, string>>;
}

/** The slice of a manager {@link connect} uses. */
interface Connectable {
  provider(id: string): object;
  completeAuthorization(input: { callbackUrl: string }): Promise<CompletedAuthorization>;
}

/**
 * Connects `subject` the way a user would: `authorize` → the emulator plays browser and consent
 * ({@link ProviderEmulator.approve}) → `completeAuthorization` (exchange, store, account check).
 * @param emulator - the emulator the provider points at (for `approve` and its `connectionConfig`)
 * @returns what `completeAuthorization` returns
 * @throws AuthManagerError as `authorize` and `completeAuthorization`; Error when the provider has no OAuth flow
 */
export async function connect(
  auth: Connectable, emulator: ProviderEmulator, providerId: string, subject: string, options: ConnectOptions = {},
): Promise<CompletedAuthorization> {
  const flow = (auth.provider(providerId) as { oauth2?: unknown }).oauth2 as { authorize(o: object): Promise<{ url: URL }> } | undefined;
  if (!flow) throw new Error(`connect: provider "${providerId}" has no OAuth flow`);
  const connectionConfig = options.connectionConfig ?? (Object.keys(emulator.connectionConfig).length > 0 ? emulator.connectionConfig : undefined);
  const { url } = await flow.authorize({
    subject, ...(options.scopes ? { scopes: options.scopes } : {}), ...(options.connection ? { connection: options.connection } : {}),
    ...(options.params ? { params: options.params } : {}), ...(connectionConfig ? { connectionConfig } : {}),
  });
  return auth.completeAuthorization({ callbackUrl: await emulator.approve(url) });
}

/**
 * Asserts that `promise` rejects with an `AuthManagerError` of `code`, and returns the error for
 * further assertions (its `cause`, RFC fields, status).
 * @throws the Jest assertion error when it resolves or rejects with anything else
 */
export async function expectRejection(promise: Promise<unknown>, code: string): Promise<AuthManagerError> {
  let caught: unknown;
  try { await promise; } catch (err) { caught = err; }
  expect(AuthManagerError.is(caught)).toBe(true);
  expect((caught as AuthManagerError).code).toBe(code);
  return caught as AuthManagerError;
}

/**
 * Decodes an HTTP Basic `Authorization` header (RFC 7617 §2) into `user:password`, undoing the
 * form-encoding RFC 6749 §2.3.1 applies to client ids and secrets.
 * @returns undefined when the header is not Basic
 */
export function basicCredentials(header: string | undefined): string | undefined {
  const m = /^Basic (\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return colon < 0 ? decoded : `${unform(decoded.slice(0, colon))}:${unform(decoded.slice(colon + 1))}`;
}

/** The last request `emulator` received at `endpoint`. @throws Error when there is none */
export function lastRequest(emulator: ProviderEmulator, endpoint: Parameters<ProviderEmulator['requests']>[0]) {
  const found = emulator.requests(endpoint).at(-1);
  if (!found) throw new Error(`no ${endpoint ?? ''} request recorded`);
  return found;
}
