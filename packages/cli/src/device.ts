import * as oauth from 'openid-client';
import { CliError, ExitCode } from './ExitCode.js';
import { PROVIDER_RUNTIME, mapProviderError, type AuthManager, type ProviderRuntime } from '@authmanager/core/provider';

/** What the person must do to approve a device authorization (RFC 8628 §3.3). */
export interface DevicePrompt {
  readonly verificationUri: string;
  /** The verification URI with the user code in it, when the server gives one. */
  readonly verificationUriComplete?: string;
  readonly userCode: string;
  /** How long the code is valid, seconds. */
  readonly expiresInSeconds: number;
}

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
 * The OAuth 2.0 device authorization grant (RFC 8628) on openid-client's
 * `initiateDeviceAuthorization` and `pollDeviceAuthorizationGrant`, storing the credential as the
 * authorization code flow does. Core has no device flow yet, so it lives here, on the provider's
 * own openid-client configuration (its client authentication and quirk hooks included).
 * @throws CliError `CONFIGURATION` when the provider has no device authorization endpoint;
 *   AuthManagerError `AUTHORIZATION_DENIED` (`access_denied`), `REAUTHORIZATION_REQUIRED`
 *   (`expired_token`), as the token endpoint otherwise
 * @see RFC 8628 §3.1–3.5
 */
export async function connectWithDeviceCode(auth: AuthManager, provider: string, options: DeviceConnectOptions): Promise<void> {
  const rt = runtimeOf(auth, provider);
  const config = await rt.config();
  if (typeof config.serverMetadata().device_authorization_endpoint !== 'string') {
    throw new CliError(ExitCode.CONFIGURATION, 'UNSUPPORTED_FLOW', `${provider} has no device authorization endpoint`, `connect without --device`);
  }
  const spec = rt.oauth2;
  const defaults = typeof spec.defaultScopes === 'function' ? spec.defaultScopes(rt.app) : spec.defaultScopes;
  const scopes = [...(options.scopes ?? defaults ?? [])];
  if (spec.openid && !scopes.includes('openid')) scopes.unshift('openid');
  let device: oauth.DeviceAuthorizationResponse;
  try {
    device = await oauth.initiateDeviceAuthorization(config, scopes.length ? { scope: scopes.join(spec.scopeSeparator ?? ' ') } : {});
  } catch (err) {
    throw mapProviderError(err, provider, 'exchange');
  }
  options.onPrompt({
    verificationUri: device.verification_uri, userCode: device.user_code, expiresInSeconds: device.expires_in,
    ...(device.verification_uri_complete ? { verificationUriComplete: device.verification_uri_complete } : {}),
  });
  let tokens: Record<string, unknown>;
  try {
    tokens = await oauth.pollDeviceAuthorizationGrant(config, device, undefined, options.signal ? { signal: options.signal } : {}) as unknown as Record<string, unknown>;
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    const error = (err as { error?: string }).error;
    if (error === 'access_denied') throw new CliError(ExitCode.PROVIDER_REFUSED, 'AUTHORIZATION_DENIED', `${provider}: the device authorization was denied`, `run \`authmanager connect ${provider} --device\` and approve it`);
    if (error === 'expired_token') throw new CliError(ExitCode.TIMEOUT, 'TIMEOUT', `${provider}: the device code expired before it was approved`, `run \`authmanager connect ${provider} --device\` again`);
    throw mapProviderError(err, provider, 'exchange');
  }
  const credentials = rt.credentialsFromResponse(tokens, Date.now(), undefined, scopes);
  await auth.storeCredentials(provider, options.subject, credentials);
}
