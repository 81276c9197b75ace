import * as oauth from 'openid-client';
import { placeCredential } from './ApiRequest.js';
import { AuthManagerError } from './AuthManagerError.js';
import type { Credentials } from './Credentials.js';
import { ErrorCode } from './ErrorCode.js';
import { mapProviderError } from './mapProviderError.js';
import type { ConnectionConfig } from './ProviderDefinition.js';
import type { ProviderRuntime } from './ProviderRuntime.js';
import { SingleFlight } from './SingleFlight.js';

/** What a client credentials flow needs from its manager. */
export interface ClientCredentialsHost {
  /** Epoch milliseconds. */
  now(): number;
  /** A token expiring within this is requested again, milliseconds (capped at half its lifetime). */
  readonly skewMs: number;
  /** Timeout of one API call, milliseconds (0: none). */
  readonly apiTimeoutMs: number;
}

/** Options of {@link ClientCredentialsFlow.token}. */
export interface ClientCredentialsTokenOptions {
  /** Scopes (RFC 6749 §3.3). @default the provider's `clientCredentials.defaultScopes` */
  readonly scopes?: readonly string[];
  /**
   * The tenant, for a provider with per-tenant URLs (Zendesk `{ subdomain: 'acme' }`): checked like
   * `authorize({ connectionConfig })`; each tenant has its own cached token.
   */
  readonly connectionConfig?: ConnectionConfig;
}

/**
 * The OAuth 2.0 client credentials grant (RFC 6749 §4.4): app-level access tokens, no user. Tokens
 * are kept in memory per scope set until they are within the refresh skew of expiry, requested once
 * at a time (concurrent callers share one request), and renewed by requesting again (RFC 6749
 * §4.4.3: no refresh token should be issued). Get it as `auth.<id>.clientCredentials`.
 * @see RFC 6749 §4.4
 */
export class ClientCredentialsFlow {
  readonly #runtime: ProviderRuntime;
  readonly #host: ClientCredentialsHost;
  readonly #tokens = new Map<string, Credentials<object>>();
  readonly #requests = new SingleFlight<string, Credentials<object>>();

  constructor(runtime: ProviderRuntime, host: ClientCredentialsHost) {
    this.#runtime = runtime;
    this.#host = host;
  }

  /**
   * A valid app-level token for `scopes`: the cached one, or a new one.
   * @throws AuthManagerError `UNSUPPORTED_FLOW` (the provider declares no client credentials grant) |
   *   `TOKEN_EXCHANGE_FAILED` (RFC 6749 §5.2 error, e.g. `invalid_client`) | `INVALID_TOKEN_RESPONSE` |
   *   `PROVIDER_UNAVAILABLE` | `RATE_LIMITED` | `CONFIGURATION` (client id or secret missing)
   */
  async token(options: ClientCredentialsTokenOptions = {}): Promise<Credentials<object>> {
    const rt = this.#runtime;
    const spec = rt.oauth2.clientCredentials;
    if (!spec) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${rt.id}" has no client credentials grant`, { provider: rt.id });
    const scopes = [...(options.scopes ?? spec.defaultScopes ?? [])];
    const key = this.#key(options);
    const cached = this.#tokens.get(key);
    if (cached && !cached.needsRefresh(this.#host.skewMs, this.#host.now())) return cached;
    return this.#requests.run(key, async () => {
      const config = await rt.config(options.connectionConfig);
      const params: Record<string, string> = { ...(spec.params ?? {}) };
      if (scopes.length > 0) params.scope = scopes.join(rt.oauth2.scopeSeparator ?? ' ');
      let response: Record<string, unknown>;
      try {
        response = await oauth.clientCredentialsGrant(config, params) as unknown as Record<string, unknown>;
      } catch (err) {
        throw mapProviderError(err, rt.id, 'exchange');
      }
      let credentials = rt.credentialsFromResponse(response, this.#host.now(), undefined, scopes);
      // The tenant goes with the token, as with a user's credential, for `fetch`'s per-tenant API base.
      if (rt.oauth2.connectionConfig) credentials = credentials.with({ extras: { ...credentials.extras, connection_config: rt.connectionConfig(options.connectionConfig) } });
      this.#tokens.set(key, credentials);
      return credentials;
    });
  }

  /** {@link ClientCredentialsFlow.token}'s access token. @throws as `token` */
  async accessToken(options: ClientCredentialsTokenOptions = {}): Promise<string> {
    return (await this.token(options)).accessToken;
  }

  /**
   * An API call with the app-level token, on the provider's API binding (base URL, headers, origin
   * checks, credential placement). When the answer says the token was refused (401, or the binding's
   * `tokenRejected`), a new token is requested once and the call retried once.
   * @throws as `token`, and `CONFIGURATION` (URL outside the API) | `PROVIDER_UNAVAILABLE` (network, timeout)
   */
  async fetch(path: string, init: RequestInit = {}, options: ClientCredentialsTokenOptions = {}): Promise<Response> {
    const first = await this.token(options);
    const response = await this.#send(first, path, init);
    const rejected = this.#runtime.definition.api?.tokenRejected?.statuses ?? [];
    if (response.status !== 401 && !rejected.includes(response.status)) return response;
    await response.body?.cancel();
    const key = this.#key(options);
    if (this.#tokens.get(key) === first) this.#tokens.delete(key);
    return this.#send(await this.token(options), path, init);
  }

  /** The cache key of a token: its scopes and, for per-tenant providers, its tenant. */
  #key(options: ClientCredentialsTokenOptions): string {
    const scopes = [...(options.scopes ?? this.#runtime.oauth2.clientCredentials?.defaultScopes ?? [])].join(' ');
    return options.connectionConfig === undefined ? scopes : JSON.stringify([scopes, Object.entries(options.connectionConfig).sort()]);
  }

  /** Forgets cached tokens (after rotating the client secret). */
  clear(): void {
    this.#tokens.clear();
  }

  async #send(credentials: Credentials<object>, path: string, init: RequestInit): Promise<Response> {
    const rt = this.#runtime;
    const headers = new Headers(rt.apiHeaders(credentials));
    new Headers(init.headers).forEach((value, name) => headers.set(name, value));
    const url = placeCredential(rt, credentials, rt.apiUrl(path, credentials), headers);
    const timeout = this.#host.apiTimeoutMs > 0 ? AbortSignal.timeout(this.#host.apiTimeoutMs) : undefined;
    const signal = timeout && init.signal ? AbortSignal.any([init.signal, timeout]) : (timeout ?? init.signal ?? null);
    try {
      return await rt.fetch(url, { ...init, headers, signal });
    } catch (cause) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${rt.id} API request to ${url.origin}${url.pathname} failed`, { cause, provider: rt.id });
    }
  }
}
