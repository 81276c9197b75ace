import { CliError, ExitCode } from './ExitCode.js';
import { AuthManagerError, PROVIDER_RUNTIME, type AuthManager, type DeviceAuthorizationPrompt, type OAuth2Flow, type ProviderRuntime } from '@authmanager/core/provider';

/** What the person must do to approve a device authorization (RFC 8628 §3.3): core's prompt. */
export type DevicePrompt = DeviceAuthorizationPrompt;

/** Options of {@link connectWithDeviceCode}. */
export interface DeviceConnectOptions {
  readonly subject: string;
  readonly scopes?: readonly string[] | undefined;
  /** Shows the code and URL to the person. */
  readonly onPrompt: (prompt: DevicePrompt) => void;
  /** Stops polling (timeout, Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** The registered runtime of a provider (for its openid-client configuration). */
function runtimeOf(auth: AuthManager, provider: string): ProviderRuntime {
  auth.provider(provider); // PROVIDER_NOT_REGISTERED
  const runtime = auth.container.getAll(PROVIDER_RUNTIME).find((r) => r.id === provider);
  if (!runtime) throw new CliError(ExitCode.CONFIGURATION, 'PROVIDER_NOT_REGISTERED', `provider "${provider}" is not registered`);
  return runtime;
}

/**
 * Whether the provider's authorization server has a device authorization endpoint (RFC 8628 §4,
 * `device_authorization_endpoint` in its metadata).
 * @throws AuthManagerError `CONFIGURATION` | `PROVIDER_UNAVAILABLE` (discovery)
 */
export async function hasDeviceEndpoint(auth: AuthManager, provider: string): Promise<boolean> {
  const config = await runtimeOf(auth, provider).config();
  return typeof config.serverMetadata().device_authorization_endpoint === 'string';
}

/**
 * The device authorization grant (RFC 8628) through core's `oauth2.deviceAuthorization`, then
 * stores the credential as the authorization code flow does.
 * @throws CliError `CONFIGURATION` when the provider has no device authorization endpoint, `PROVIDER_REFUSED`
 *   when denied, `TIMEOUT` when the code expired; AuthManagerError as the token endpoint otherwise
 * @see RFC 8628 §3.1–3.5
 */
export async function connectWithDeviceCode(auth: AuthManager, provider: string, options: DeviceConnectOptions): Promise<void> {
  const flow = (auth.provider(provider) as unknown as { oauth2: OAuth2Flow<object> }).oauth2;
  let result: Awaited<ReturnType<OAuth2Flow<object>['deviceAuthorization']>>;
  try {
    result = await flow.deviceAuthorization({
      subject: options.subject, onPrompt: options.onPrompt,
      ...(options.scopes ? { scopes: options.scopes } : {}), ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (AuthManagerError.is(err, 'UNSUPPORTED_FLOW')) throw new CliError(ExitCode.CONFIGURATION, 'UNSUPPORTED_FLOW', `${provider} has no device authorization endpoint`, 'connect without --device');
    if (AuthManagerError.is(err, 'AUTHORIZATION_DENIED')) throw new CliError(ExitCode.PROVIDER_REFUSED, 'AUTHORIZATION_DENIED', `${provider}: the device authorization was denied`, `run \`authmanager connect ${provider} --device\` and approve it`);
    if (AuthManagerError.is(err, 'INVALID_STATE')) throw new CliError(ExitCode.TIMEOUT, 'TIMEOUT', `${provider}: the device code expired before it was approved`, `run \`authmanager connect ${provider} --device\` again`);
    throw err;
  }
  await auth.storeCredentials(provider, options.subject, result);
}
