import * as oauth from 'openid-client';
import { requireAppField } from './AppCredentials.js';
import { AuthManagerError } from './AuthManagerError.js';
import type { Credentials } from './Credentials.js';
import type { CredentialStore } from './CredentialStore.js';
import { ErrorCode } from './ErrorCode.js';
import { mapProviderError } from './mapProviderError.js';
import { DEFAULT_CONNECTION, connectionStoreProvider } from './ConnectionLabel.js';
import { decodePending, encodePending, pendingKey, type PendingAuthorization } from './PendingAuthorization.js';
import type { ProviderRuntime } from './ProviderRuntime.js';
import { identify } from './IdentityLookup.js';
import { connectionConfigOf } from './UrlTemplate.js';
import type { AnyAppCredentials, ConnectionConfig, RevocationSpec } from './ProviderDefinition.js';
import { sendRevocation } from './RevocationRequest.js';
import { TelemetryAttributes, type Telemetry } from './Telemetry.js';

/** Options of {@link OAuth2Flow.authorize}. */
export interface AuthorizeOptions {
  /** Who is connecting (your user or tenant id). The credential will be stored under it. */
  readonly subject: string;
  /** Scopes to request (RFC 6749 §3.3). @default the provider's default scopes */
  readonly scopes?: readonly string[];
  /** Overrides the configured `redirectUri`. */
  readonly redirectUri?: string;
  /**
   * Which of the subject's connections of this provider the credential will be (a second account:
   * `'work'`). Kept with the pending authorization and returned by `exchange`. @default 'default'
   */
  readonly connection?: string;
  /**
   * Extra authorization request parameters (`login_hint`, `prompt`…). `state`, `nonce`,
   * `code_challenge`, `client_id`, `redirect_uri` and `response_type` are ours and cannot be overridden.
   */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * Values of the provider's per-tenant URL variables (Shopify `{ shop: 'acme' }`), required when the
   * provider declares `connectionConfig`. Each is checked against its pattern; the credential keeps
   * them (`extras.connection_config`) for refresh, revocation and API calls.
   */
  readonly connectionConfig?: ConnectionConfig;
}

/** Result of {@link OAuth2Flow.authorize}. */
export interface AuthorizationRequest {
  /** Where to send the user's browser (RFC 6749 §4.1.1). */
  readonly url: URL;
  /** The `state` value (≥128 bits from a CSPRNG). Already saved; no need to keep it. */
  readonly state: string;
  /** When the state stops being accepted. */
  readonly expiresAt: Date;
}

/**
 * Input of {@link OAuth2Flow.exchange}: the full callback URL, or its `code`, `state` and — from
 * servers that send it — `iss` (RFC 9207). When the server's metadata says
 * `authorization_response_iss_parameter_supported`, `iss` is required and must equal its issuer.
 */
export type ExchangeInput =
  | { readonly callbackUrl: string | URL }
  | { readonly code: string; readonly state: string; readonly iss?: string };

/** Credentials returned by {@link OAuth2Flow.exchange}, with who they were requested for. */
export interface ExchangeResult<X extends object = Record<string, unknown>> {
  readonly provider: string;
  /** The subject given to `authorize`. */
  readonly subject: string;
  /** The connection label given to `authorize`, when one was. */
  readonly connection?: string;
  readonly credentials: Credentials<X>;
}

/** What the person must do to approve a device authorization (RFC 8628 §3.2–3.3). */
export interface DeviceAuthorizationPrompt {
  /** Where to go (RFC 8628 `verification_uri`). */
  readonly verificationUri: string;
  /** The same with the user code in it, when the server gives one (`verification_uri_complete`). */
  readonly verificationUriComplete?: string;
  /** The code to enter there (`user_code`). */
  readonly userCode: string;
  /** How long the codes are valid, seconds (`expires_in`). */
  readonly expiresInSeconds: number;
}

/** Options of {@link OAuth2Flow.deviceAuthorization}. */
export interface DeviceAuthorizationOptions {
  /** Who is connecting; returned with the credentials. */
  readonly subject: string;
  /** Scopes to request. @default the provider's default scopes */
  readonly scopes?: readonly string[];
  /** Shows the code and URL to the person (a CLI prints them; a TV shows a QR code). */
  readonly onPrompt: (prompt: DeviceAuthorizationPrompt) => void | Promise<void>;
  /** Stops polling (a timeout, Ctrl-C): the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Introspection result (RFC 7662 §2.2), wire names. */
export interface IntrospectionResult {
  readonly active: boolean;
  readonly scope?: string;
  readonly exp?: number;
  readonly sub?: string;
  readonly client_id?: string;
  readonly [claim: string]: unknown;
}

/** What a flow needs from its manager. */
export interface FlowHost {
  readonly store: CredentialStore;
  /** Spans (no-op without an OpenTelemetry SDK). */
  readonly telemetry?: Telemetry;
  /** Epoch milliseconds. */
  now(): number;
  /** Pending-authorization lifetime, milliseconds. */
  readonly pendingTtlMs: number;
  /** Stores exchanged credentials (with the account-mismatch check) under a connection label. */
  storeCredentials(provider: string, subject: string, credentials: Credentials<object>, connection?: string): Promise<void>;
  /** Loads stored credentials. */
  loadCredentials(provider: string, subject: string): Promise<Credentials<object> | undefined>;
  /** Deletes stored credentials. */
  deleteCredentials(provider: string, subject: string): Promise<boolean>;
}

/**
 * Takes (once) the pending authorization of the callback's `state`.
 * @throws AuthManagerError `INVALID_STATE` when there is no state, or it is unknown, used or expired
 */
export async function takePending(host: Pick<FlowHost, 'store' | 'now'>, params: URLSearchParams, provider: string): Promise<{ state: string; pending: PendingAuthorization }> {
  const state = params.get('state');
  const options = provider === '*' ? {} : { provider };
  if (!state) throw new AuthManagerError(ErrorCode.INVALID_STATE, `${provider === '*' ? 'authorization' : provider}: the callback has no state parameter`, options);
  const record = await host.store.take(pendingKey(state));
  const pending = record ? decodePending(record.value) : undefined;
  if (!pending || pending.expiresAtMs <= host.now()) {
    throw new AuthManagerError(ErrorCode.INVALID_STATE, `${provider === '*' ? 'authorization' : provider}: unknown, expired or already used state; start the authorization again`, options);
  }
  return { state, pending };
}

/**
 * The callback's query parameters.
 * @throws AuthManagerError `INVALID_STATE` when `callbackUrl` is not a URL
 */
export function callbackParams(input: ExchangeInput, provider: string): URLSearchParams {
  if (!('callbackUrl' in input)) {
    return new URLSearchParams({ code: input.code, state: input.state, ...(input.iss !== undefined ? { iss: input.iss } : {}) });
  }
  try {
    return new URL(input.callbackUrl).searchParams;
  } catch {
    throw new AuthManagerError(ErrorCode.INVALID_STATE, `${provider === '*' ? 'authorization' : provider}: the callbackUrl is not a valid URL`, provider === '*' ? {} : { provider });
  }
}

/** With `needsLiveAccessToken`, an access token expiring within this is refreshed before revoking, milliseconds. */
const LIVE_TOKEN_MARGIN_MS = 60_000;

const RESERVED_PARAMS = new Set(['state', 'nonce', 'code_challenge', 'code_challenge_method', 'client_id', 'redirect_uri', 'response_type']);

/**
 * The OAuth 2.0 authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636) for one provider, on
 * openid-client. Get it as `auth.<provider>.oauth2` or `auth.provider(id).oauth2`.
 *
 * @typeParam X - the provider's credential extras
 */
export class OAuth2Flow<X extends object = Record<string, unknown>> {
  readonly #runtime: ProviderRuntime;
  readonly #host: FlowHost;

  constructor(runtime: ProviderRuntime, host: FlowHost) {
    this.#runtime = runtime;
    this.#host = host;
  }

  /**
   * Starts an authorization: makes `state` (CSPRNG, 256 bits), a PKCE S256 `code_verifier` and, for
   * OpenID Connect, a `nonce`; saves them in the store for `pendingAuthorizationTtlSeconds`; returns
   * the URL to redirect the user to.
   * @throws AuthManagerError `CONFIGURATION` (no client id / redirect URI) | `PROVIDER_UNAVAILABLE` (discovery failed)
   * @see RFC 6749 §4.1.1, RFC 7636 §4.2, OpenID Connect Core §3.1.2.1
   */
  authorize(options: AuthorizeOptions): Promise<AuthorizationRequest> {
    const telemetry = this.#host.telemetry;
    if (!telemetry) return this.#authorize(options);
    return telemetry.span('authmanager.authorize', () => ({ [TelemetryAttributes.PROVIDER]: this.#runtime.id }), () => this.#authorize(options));
  }

  async #authorize(options: AuthorizeOptions): Promise<AuthorizationRequest> {
    const rt = this.#runtime;
    const spec = rt.oauth2;
    const connectionConfig = spec.connectionConfig ? rt.connectionConfig(options.connectionConfig) : undefined;
    if (!spec.connectionConfig && options.connectionConfig && Object.keys(options.connectionConfig).length > 0) rt.connectionConfig(options.connectionConfig);
    const config = await rt.config(connectionConfig);
    const redirectUri = requireAppField(rt.id, rt.definition.appCredentials, 'redirectUri', options.redirectUri ?? (rt.app.redirectUri as string | undefined));
    const defaults = typeof spec.defaultScopes === 'function' ? spec.defaultScopes(rt.app) : spec.defaultScopes;
    const scopes = [...(options.scopes ?? defaults ?? [])];
    if (spec.openid && !scopes.includes('openid')) scopes.unshift('openid');
    const state = oauth.randomState();
    const pkce = spec.pkce !== false;
    const codeVerifier = pkce ? oauth.randomPKCECodeVerifier() : undefined;
    const nonce = spec.openid ? oauth.randomNonce() : undefined;
    const extra = typeof spec.authorizationParams === 'function' ? spec.authorizationParams(rt.app, { scopes }) : (spec.authorizationParams ?? {});
    const params: Record<string, string> = { redirect_uri: redirectUri, response_type: 'code', ...extra };
    for (const [k, v] of Object.entries(options.params ?? {})) if (!RESERVED_PARAMS.has(k)) params[k] = v;
    if (scopes.length > 0) params.scope = scopes.join(spec.scopeSeparator ?? ' ');
    params.state = state;
    if (codeVerifier) {
      params.code_challenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
      params.code_challenge_method = 'S256';
    }
    if (nonce) params.nonce = nonce;
    const url = oauth.buildAuthorizationUrl(config, params);
    const expiresAtMs = this.#host.now() + this.#host.pendingTtlMs;
    if (options.connection !== undefined) connectionStoreProvider(rt.id, options.connection); // CONFIGURATION for a bad label, now
    const pending: PendingAuthorization = {
      provider: rt.id, subject: options.subject, redirectUri, scopes, expiresAtMs,
      ...(options.connection !== undefined && options.connection !== DEFAULT_CONNECTION ? { connection: options.connection } : {}),
      ...(codeVerifier ? { codeVerifier } : {}), ...(nonce ? { nonce } : {}),
      ...(connectionConfig ? { connectionConfig } : {}),
    };
    await this.#host.store.set(pendingKey(state), encodePending(pending), { ifVersion: null, ttlMs: this.#host.pendingTtlMs });
    return { url, state, expiresAt: new Date(expiresAtMs) };
  }

  /**
   * Completes an authorization: consumes the pending record for `state` (once, unexpired, same
   * provider), exchanges the code at the token endpoint and validates the ID token if there is one.
   * Stores nothing: call `auth.storeCredentials` (or use {@link OAuth2Flow.complete}).
   * @throws AuthManagerError `INVALID_STATE` (malformed callback; unknown, used or expired state; `iss`
   *   missing or naming another issuer, RFC 9207) | `AUTHORIZATION_DENIED` (the callback carries `error`,
   *   e.g. `access_denied`) | `TOKEN_EXCHANGE_FAILED` (RFC 6749 §5.2 fields set) |
   *   `INVALID_TOKEN_RESPONSE` | `PROVIDER_UNAVAILABLE`
   * @see RFC 6749 §4.1.2–4.1.4, §10.12 (state); OpenID Connect Core §3.1.3.7 (ID token validation)
   */
  async exchange(input: ExchangeInput): Promise<ExchangeResult<X>> {
    const rt = this.#runtime;
    const params = callbackParams(input, rt.id);
    const { state, pending } = await takePending(this.#host, params, rt.id);
    if (pending.provider !== rt.id) {
      throw new AuthManagerError(ErrorCode.INVALID_STATE, `${rt.id}: the state was issued for another provider`, { provider: rt.id });
    }
    return this.exchangePending(params, state, pending);
  }

  /**
   * The code exchange for a pending authorization already taken from the store (the manager's
   * `completeAuthorization` finds the provider from it). Not for applications: use `exchange`.
   * @internal
   */
  exchangePending(params: URLSearchParams, state: string, pending: PendingAuthorization): Promise<ExchangeResult<X>> {
    const telemetry = this.#host.telemetry;
    if (!telemetry) return this.#exchangePending(params, state, pending);
    return telemetry.span('authmanager.exchange', () => ({ [TelemetryAttributes.PROVIDER]: this.#runtime.id }), () => this.#exchangePending(params, state, pending));
  }

  async #exchangePending(params: URLSearchParams, state: string, pending: PendingAuthorization): Promise<ExchangeResult<X>> {
    const rt = this.#runtime;
    const config = await rt.config(pending.connectionConfig);
    const metadata = config.serverMetadata();
    // RFC 9207 §2.4: an `iss` that names another issuer is a mix-up attack, whichever form the
    // callback came in; a server that announces `iss` must send it. Checked before `error`, so a
    // forged error response from another server is refused as such.
    const iss = params.get('iss');
    if (iss !== null && iss !== metadata.issuer) {
      throw new AuthManagerError(ErrorCode.INVALID_STATE, `${rt.id}: the callback's iss names another authorization server (RFC 9207)`, { provider: rt.id });
    }
    if (iss === null && metadata.authorization_response_iss_parameter_supported === true) {
      throw new AuthManagerError(ErrorCode.INVALID_STATE, `${rt.id}: the callback has no iss parameter, which this server always sends (RFC 9207); pass it to exchange()`, { provider: rt.id });
    }
    const error = params.get('error');
    if (error) {
      const description = params.get('error_description');
      throw new AuthManagerError(ErrorCode.AUTHORIZATION_DENIED, `${rt.id}: authorization failed: ${error}`, {
        provider: rt.id, oauth: { error, ...(description ? { error_description: description } : {}) },
      });
    }
    // The token request must carry the redirect_uri of the authorization request (RFC 6749 §4.1.3);
    // openid-client takes it from the URL it is given, so rebuild the callback on that URI.
    const currentUrl = new URL(pending.redirectUri);
    currentUrl.search = '';
    for (const [k, v] of params) currentUrl.searchParams.append(k, v);
    let response: Record<string, unknown>;
    try {
      response = await oauth.authorizationCodeGrant(config, currentUrl, {
        expectedState: state,
        ...(pending.codeVerifier ? { pkceCodeVerifier: pending.codeVerifier } : {}),
        ...(pending.nonce ? { expectedNonce: pending.nonce, idTokenExpected: true } : {}),
      }) as unknown as Record<string, unknown>;
    } catch (err) {
      throw mapProviderError(err, rt.id, 'exchange');
    }
    this.#checkAuthorizedParty(response, config);
    let credentials = rt.credentialsFromResponse(response, this.#host.now(), undefined, pending.scopes);
    if (pending.connectionConfig) credentials = credentials.with({ extras: { ...credentials.extras, connection_config: pending.connectionConfig } });
    const identity = await identify(rt, credentials, response, config);
    if (identity) credentials = credentials.with({ extras: { ...credentials.extras, ...identity } });
    const afterExchange = rt.oauth2.hooks?.afterExchange;
    if (afterExchange) {
      let extras: Readonly<Record<string, unknown>> | undefined;
      try {
        extras = await afterExchange(credentials, rt.context);
      } catch (err) {
        throw mapProviderError(err, rt.id, 'exchange');
      }
      if (extras) credentials = credentials.with({ extras: { ...credentials.extras, ...extras } });
    }
    return {
      provider: rt.id, subject: pending.subject, credentials: credentials as Credentials<X>,
      ...(pending.connection !== undefined ? { connection: pending.connection } : {}),
    };
  }

  /**
   * OpenID Connect Core §3.1.3.7 (5): an ID token's `azp`, when present, must be our client id.
   * openid-client checks it only when `aud` has several values.
   */
  #checkAuthorizedParty(response: Record<string, unknown>, config: oauth.Configuration): void {
    const claims = typeof response.claims === 'function' ? (response.claims as () => Record<string, unknown> | undefined)() : undefined;
    if (claims?.azp !== undefined && claims.azp !== config.clientMetadata().client_id) {
      throw new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${this.#runtime.id}: the ID token was issued to another client (azp)`, { provider: this.#runtime.id });
    }
  }

  /**
   * {@link OAuth2Flow.exchange}, then stores the credentials under the subject given to `authorize`
   * (with the account-mismatch check).
   * @throws the errors of `exchange`, and `ACCOUNT_MISMATCH` | `STORE_UNAVAILABLE`
   */
  async complete(input: ExchangeInput): Promise<ExchangeResult<X>> {
    const result = await this.exchange(input);
    await this.#host.storeCredentials(result.provider, result.subject, result.credentials, result.connection);
    return result;
  }

  /**
   * One refresh token grant (RFC 6749 §6). Stores nothing: sessions call this through the
   * manager's single-flight refresh, which also writes the store. Keeps the old refresh token,
   * scopes, ID token and extras when the response omits them.
   * @throws AuthManagerError `REAUTHORIZATION_REQUIRED` (no refresh token, or `invalid_grant`) |
   *   `TOKEN_REFRESH_FAILED` | `PROVIDER_UNAVAILABLE` | `INVALID_TOKEN_RESPONSE`
   */
  async refresh(credentials: Credentials<X>): Promise<Credentials<X>> {
    const rt = this.#runtime;
    const refreshToken = credentials.refreshToken;
    if (!refreshToken) {
      throw new AuthManagerError(ErrorCode.REAUTHORIZATION_REQUIRED, `${rt.id}: the access token expired and there is no refresh token; the user must connect again`, { provider: rt.id });
    }
    const config = await rt.config(connectionConfigOf(credentials.extras));
    let response: Record<string, unknown>;
    try {
      response = await oauth.refreshTokenGrant(config, refreshToken) as unknown as Record<string, unknown>;
    } catch (err) {
      throw mapProviderError(err, rt.id, 'refresh');
    }
    this.#checkAuthorizedParty(response, config);
    return rt.credentialsFromResponse(response, this.#host.now(), credentials as Credentials<object>) as Credentials<X>;
  }

  /**
   * Revokes the subject's grant at the provider (RFC 7009: the refresh token, which revokes the
   * grant, then the access token; or the provider's own revocation hook) and deletes the stored
   * credential. A credential already gone at the provider still gets deleted here.
   * @returns whether a stored credential existed
   * @throws AuthManagerError `REVOCATION_FAILED` | `PROVIDER_UNAVAILABLE` (then nothing is deleted)
   * @see RFC 7009 §2
   */
  async revoke(options: { readonly subject: string }): Promise<boolean> {
    const rt = this.#runtime;
    if (!rt.oauth2.revocation) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${rt.id}" has no token revocation`, { provider: rt.id });
    const credentials = await this.#host.loadCredentials(rt.id, options.subject);
    if (!credentials) return false;
    await this.revokeCredentials(credentials);
    return this.#host.deleteCredentials(rt.id, options.subject);
  }

  /**
   * Revokes `credentials` at the provider (RFC 7009: the refresh token, which revokes the grant, then
   * the access token; or the provider's own revocation hook). Stores and deletes nothing.
   * @throws AuthManagerError `UNSUPPORTED_FLOW` | `REVOCATION_FAILED` | `PROVIDER_UNAVAILABLE` | `RATE_LIMITED`
   * @see RFC 7009 §2
   */
  async revokeCredentials(credentials: Credentials<X> | Credentials<object>): Promise<void> {
    const rt = this.#runtime;
    const spec = rt.oauth2;
    if (!spec.revocation) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${rt.id}" has no token revocation`, { provider: rt.id });
    if (spec.revocation === 'rfc7009') {
      const config = await rt.config(connectionConfigOf(credentials.extras));
      try {
        if (credentials.refreshToken) await oauth.tokenRevocation(config, credentials.refreshToken, { token_type_hint: 'refresh_token' });
        await oauth.tokenRevocation(config, credentials.accessToken, { token_type_hint: 'access_token' });
      } catch (err) {
        throw mapProviderError(err, rt.id, 'revoke');
      }
      return;
    }
    const hook = spec.revocation;
    if (typeof hook !== 'function') {
      await this.#revokeBySpec(hook, credentials as Credentials<object>);
      return;
    }
    try {
      await hook({ ...rt.context, credentials: credentials as Credentials<object> });
    } catch (err) {
      throw mapProviderError(err, rt.id, 'revoke');
    }
  }

  /** Revocation as the provider's {@link RevocationSpec} says (see {@link sendRevocation}). */
  async #revokeBySpec(spec: RevocationSpec<AnyAppCredentials>, credentials: Credentials<object>): Promise<void> {
    let current = credentials;
    if (spec.needsLiveAccessToken && current.refreshToken !== undefined && current.expiresWithin(LIVE_TOKEN_MARGIN_MS, this.#host.now())) {
      try {
        current = await this.refresh(current as Credentials<X>) as Credentials<object>;
      } catch (err) {
        // A dead refresh token means the grant is gone already: nothing is left to revoke.
        if (AuthManagerError.is(err) && err.code === ErrorCode.REAUTHORIZATION_REQUIRED) return;
        throw err;
      }
    }
    const useRefresh = (spec.token ?? 'refresh_token') === 'refresh_token' && current.refreshToken !== undefined;
    await sendRevocation(this.#runtime, spec, current, useRefresh ? current.refreshToken! : current.accessToken, useRefresh ? 'refresh_token' : 'access_token');
  }

  /**
   * The device authorization grant (RFC 8628), for CLIs and devices without a browser: asks the
   * provider's device authorization endpoint for a user code, hands it to `onPrompt`, and polls the
   * token endpoint (at the interval the server asks, slowing down on `slow_down`) until the person
   * approves. Stores nothing: call `auth.storeCredentials` with the result.
   * @throws AuthManagerError `UNSUPPORTED_FLOW` (the server has no `device_authorization_endpoint`) |
   *   `AUTHORIZATION_DENIED` (`access_denied`) | `INVALID_STATE` (`expired_token`: not approved in time) |
   *   `TOKEN_EXCHANGE_FAILED` | `INVALID_TOKEN_RESPONSE` | `PROVIDER_UNAVAILABLE` | `RATE_LIMITED`;
   *   the signal's reason when aborted
   * @see RFC 8628 §3.1–3.5
   */
  async deviceAuthorization(options: DeviceAuthorizationOptions): Promise<ExchangeResult<X>> {
    const rt = this.#runtime;
    const spec = rt.oauth2;
    const config = await rt.config();
    if (typeof config.serverMetadata().device_authorization_endpoint !== 'string') {
      throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `${rt.id}: the authorization server has no device authorization endpoint (RFC 8628)`, { provider: rt.id });
    }
    const defaults = typeof spec.defaultScopes === 'function' ? spec.defaultScopes(rt.app) : spec.defaultScopes;
    const scopes = [...(options.scopes ?? defaults ?? [])];
    if (spec.openid && !scopes.includes('openid')) scopes.unshift('openid');
    let device: oauth.DeviceAuthorizationResponse;
    try {
      device = await oauth.initiateDeviceAuthorization(config, scopes.length > 0 ? { scope: scopes.join(spec.scopeSeparator ?? ' ') } : {});
    } catch (err) {
      throw mapProviderError(err, rt.id, 'exchange');
    }
    await options.onPrompt({
      verificationUri: device.verification_uri, userCode: device.user_code, expiresInSeconds: device.expires_in,
      ...(device.verification_uri_complete ? { verificationUriComplete: device.verification_uri_complete } : {}),
    });
    let response: Record<string, unknown>;
    try {
      response = await oauth.pollDeviceAuthorizationGrant(config, device, undefined, options.signal ? { signal: options.signal } : {}) as unknown as Record<string, unknown>;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      const error = (err as { error?: unknown }).error;
      if (error === 'access_denied') {
        throw new AuthManagerError(ErrorCode.AUTHORIZATION_DENIED, `${rt.id}: the device authorization was denied`, { provider: rt.id, oauth: { error: 'access_denied' } });
      }
      if (error === 'expired_token') {
        throw new AuthManagerError(ErrorCode.INVALID_STATE, `${rt.id}: the device code expired before it was approved; start again`, { provider: rt.id, oauth: { error: 'expired_token' } });
      }
      throw mapProviderError(err, rt.id, 'exchange');
    }
    this.#checkAuthorizedParty(response, config);
    const credentials = rt.credentialsFromResponse(response, this.#host.now(), undefined, scopes);
    return { provider: rt.id, subject: options.subject, credentials: credentials as Credentials<X> };
  }

  /**
   * RFC 7662 token introspection.
   * @param token - an access or refresh token
   * @throws AuthManagerError `UNSUPPORTED_FLOW` | `PROVIDER_UNAVAILABLE`
   */
  async introspect(token: string): Promise<IntrospectionResult> {
    const rt = this.#runtime;
    if (!rt.oauth2.introspection) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${rt.id}" has no token introspection`, { provider: rt.id });
    const config = await rt.config();
    try {
      return await oauth.tokenIntrospection(config, token) as IntrospectionResult;
    } catch (err) {
      throw mapProviderError(err, rt.id, 'introspect');
    }
  }
}
