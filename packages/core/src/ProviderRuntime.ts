import * as oauth from 'openid-client';
import { requireAppField, resolveAppCredentials } from './AppCredentials.js';
import { AuthManagerError } from './AuthManagerError.js';
import { Credentials, type CredentialsInit } from './Credentials.js';
import type { EnvSource } from './EnvSource.js';
import { ErrorCode } from './ErrorCode.js';
import { mapProviderError } from './mapProviderError.js';
import type {
  AnyProviderDefinition, AppCredentialsInput, OAuth2Spec, OAuthHttpRequest, ProviderContext,
} from './ProviderDefinition.js';

/** Token-response fields with typed homes in {@link Credentials}; never copied into `raw`. */
const TYPED_FIELDS = new Set(['access_token', 'token_type', 'refresh_token', 'expires_in', 'scope', 'id_token']);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** A provider's app-credential field that an OAuth flow needs but is missing. */
export interface MissingAppCredential {
  readonly field: string;
  readonly env: readonly string[];
}

/**
 * One registered provider at run time: its definition, its resolved app credentials, and its
 * openid-client `Configuration`. Created by the registry (inversify), one per manager.
 * Public for provider packages' hooks and for tests; applications use the manager's handles.
 */
export class ProviderRuntime {
  readonly id: string;
  readonly definition: AnyProviderDefinition;
  readonly #input: AppCredentialsInput<AnyProviderDefinition['appCredentials']>;
  readonly #env: EnvSource;
  readonly fetch: typeof fetch;
  #app: Record<string, unknown> | undefined;
  #config: Promise<oauth.Configuration> | undefined;
  /** Timeout of one request to the provider, milliseconds. Set by the manager. */
  timeoutMs = 10_000;
  /** Clock, epoch milliseconds. Set by the manager. */
  now: () => number = Date.now;

  constructor(definition: AnyProviderDefinition, input: AppCredentialsInput<AnyProviderDefinition['appCredentials']>, env: EnvSource, httpFetch: typeof fetch) {
    this.id = definition.id;
    this.definition = definition;
    this.#input = input;
    this.#env = env;
    this.fetch = httpFetch;
  }

  /**
   * The validated app credentials (resolved once).
   * @throws AuthManagerError `CONFIGURATION` naming the bad field and its env keys
   */
  get app(): Record<string, unknown> {
    return (this.#app ??= resolveAppCredentials(this.id, this.definition.appCredentials, this.#input, this.#env) as Record<string, unknown>);
  }

  /** Hook context. */
  get context(): ProviderContext<Record<string, unknown>> {
    return { app: this.app, provider: this.id, fetch: this.fetch, now: this.now, timeoutMs: this.timeoutMs };
  }

  /** The OAuth spec, or `UNSUPPORTED_FLOW`. */
  get oauth2(): OAuth2Spec<Record<string, unknown>> {
    const spec = this.definition.oauth2 as OAuth2Spec<Record<string, unknown>> | undefined;
    if (!spec) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${this.id}" has no OAuth 2.0 flow`, { provider: this.id });
    return spec;
  }

  /** App-credential fields the OAuth flow needs that are not set (for "set NOTION_CLIENT_ID …" hints). */
  missingForOAuth(): MissingAppCredential[] {
    let app: Record<string, unknown>;
    try { app = this.app; } catch { app = {}; }
    const needed = ['clientId', ...(this.definition.oauth2?.clientAuthentication === 'none' ? [] : ['clientSecret'])];
    return needed
      .filter((f) => app[f] === undefined || app[f] === '')
      .map((field) => ({ field, env: this.definition.appCredentials[field]?.env ?? [] }));
  }

  /** Static credentials from app credentials (an integration token or PAT), if configured. */
  staticCredentials(): Credentials<object> | undefined {
    const init = this.definition.staticToken?.(this.app as never) as CredentialsInit<object> | undefined;
    return init ? new Credentials(init) : undefined;
  }

  /**
   * The openid-client configuration (metadata discovered once for OIDC issuers; retried after a failure).
   * @throws AuthManagerError `CONFIGURATION` | `PROVIDER_UNAVAILABLE`
   */
  config(): Promise<oauth.Configuration> {
    if (!this.#config) {
      this.#config = this.#createConfig();
      this.#config.catch(() => { this.#config = undefined; });
    }
    return this.#config;
  }

  async #createConfig(): Promise<oauth.Configuration> {
    const spec = this.oauth2;
    const app = this.app;
    const clientId = requireAppField(this.id, this.definition.appCredentials, 'clientId', app.clientId as string | undefined);
    const secret = spec.clientAuthentication === 'none'
      ? undefined
      : requireAppField(this.id, this.definition.appCredentials, 'clientSecret', app.clientSecret as string | undefined);
    const clientAuth = spec.clientAuthentication === 'client_secret_basic' ? oauth.ClientSecretBasic(secret)
      : spec.clientAuthentication === 'client_secret_post' ? oauth.ClientSecretPost(secret)
        : oauth.None();
    const server = spec.server(app);
    const customFetch = this.#customFetch();
    let config: oauth.Configuration;
    if (server.discovery) {
      const issuer = new URL(server.issuer);
      try {
        config = await oauth.discovery(issuer, clientId, secret, clientAuth, {
          ...(isLoopbackHttp(issuer) ? { execute: [oauth.allowInsecureRequests] } : {}),
          [oauth.customFetch]: customFetch,
          timeout: this.timeoutMs / 1000,
        });
      } catch (err) {
        throw mapProviderError(err, this.id, 'discovery');
      }
    } else {
      const metadata: oauth.ServerMetadata = {
        issuer: server.issuer ?? new URL(server.tokenEndpoint).origin,
        authorization_endpoint: server.authorizationEndpoint,
        token_endpoint: server.tokenEndpoint,
        ...(server.revocationEndpoint ? { revocation_endpoint: server.revocationEndpoint } : {}),
        ...(server.introspectionEndpoint ? { introspection_endpoint: server.introspectionEndpoint } : {}),
        ...(server.userinfoEndpoint ? { userinfo_endpoint: server.userinfoEndpoint } : {}),
        ...(server.jwksUri ? { jwks_uri: server.jwksUri } : {}),
      };
      config = new oauth.Configuration(metadata, clientId, secret, clientAuth);
      if (isLoopbackHttp(new URL(server.tokenEndpoint))) oauth.allowInsecureRequests(config);
      config[oauth.customFetch] = customFetch;
    }
    config.timeout = this.timeoutMs / 1000;
    // OpenID Connect Core §3.1.3.7 allows trusting TLS instead of the ID token's signature; we
    // verify it against the JWKS anyway, so a token that did not come from the issuer is refused.
    if (spec.openid) oauth.enableNonRepudiationChecks(config);
    return config;
  }

  /** openid-client's request pipe with the provider's `prepareRequest` / `processResponse` hooks. */
  #customFetch(): oauth.CustomFetch {
    const hooks = this.definition.oauth2?.hooks;
    return async (url, options) => {
      let request: OAuthHttpRequest = {
        url: new URL(url),
        init: { ...(options as RequestInit), headers: new Headers(options.headers as HeadersInit) },
      };
      if (hooks?.prepareRequest) request = await hooks.prepareRequest(request, this.context as never);
      const response = await this.fetch(request.url, request.init);
      return hooks?.processResponse ? hooks.processResponse(response, request, this.context as never) : response;
    };
  }

  /** Splits a `scope` value on the provider's separator (RFC 6749 §3.3 says space; GitHub answers with commas). */
  splitScopes(scope: unknown): string[] | undefined {
    if (typeof scope !== 'string') return undefined;
    return scope.split(/[\s,]+/).filter(Boolean);
  }

  /** Default access-token lifetime in seconds for responses without `expires_in`. */
  defaultLifetimeSeconds(): number | undefined {
    const d = this.definition.oauth2?.defaultAccessTokenLifetimeSeconds;
    return typeof d === 'function' ? d(this.app as never) : d;
  }

  /**
   * Builds credentials from a token response. On refresh, `previous` supplies what the response
   * omits: the refresh token, scopes, ID token and extras (RFC 6749 §6: the server MAY issue a new
   * refresh token; when it does not, the old one stays valid).
   * @param nowMs - epoch milliseconds the response was received
   * @throws AuthManagerError `INVALID_TOKEN_RESPONSE` when `access_token` is missing or the provider's
   *   `validateTokenResponse` hook rejects it
   */
  credentialsFromResponse(response: Record<string, unknown>, nowMs: number, previous?: Credentials<object>): Credentials<object> {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(response)) if (typeof v !== 'function') raw[k] = v;
    this.definition.oauth2?.hooks?.validateTokenResponse?.(raw, this.context as never);
    if (typeof raw.access_token !== 'string' || raw.access_token === '') {
      throw new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${this.id}: token response has no access_token`, { provider: this.id });
    }
    const extraKeys = this.definition.userCredentials?.extras ?? [];
    const extras: Record<string, unknown> = { ...(previous?.extras ?? {}) };
    for (const key of extraKeys) if (raw[key] !== undefined) extras[key] = raw[key];
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (!TYPED_FIELDS.has(k) && !extraKeys.includes(k)) rest[k] = v;
    const expiresIn = typeof raw.expires_in === 'number' ? raw.expires_in
      : typeof raw.expires_in === 'string' && raw.expires_in !== '' ? Number(raw.expires_in) : undefined;
    const lifetime = expiresIn !== undefined && Number.isFinite(expiresIn) ? expiresIn : this.defaultLifetimeSeconds();
    const tokenType = typeof raw.token_type === 'string' && raw.token_type.toLowerCase() !== 'bearer' ? raw.token_type : 'Bearer';
    const refreshToken = typeof raw.refresh_token === 'string' && raw.refresh_token !== '' ? raw.refresh_token : previous?.refreshToken;
    const idToken = typeof raw.id_token === 'string' ? raw.id_token : previous?.idToken;
    const scopes = this.splitScopes(raw.scope) ?? previous?.scopes;
    return new Credentials({
      accessToken: raw.access_token,
      tokenType,
      ...(refreshToken !== undefined ? { refreshToken } : {}),
      ...(idToken !== undefined ? { idToken } : {}),
      ...(scopes !== undefined ? { scopes } : {}),
      ...(lifetime !== undefined ? { expiresAt: new Date(nowMs + lifetime * 1000) } : {}),
      obtainedAt: new Date(nowMs),
      extras,
      raw: rest,
    });
  }

  /** Absolute URL for an API path, refusing URLs outside the provider's base (the token must not leak). */
  apiUrl(path: string, credentials: Credentials<object>): URL {
    const binding = this.definition.api;
    if (!binding) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${this.id}" has no API binding`, { provider: this.id });
    const base = typeof binding.baseUrl === 'function' ? binding.baseUrl({ app: this.app as never, credentials: credentials as never }) : binding.baseUrl;
    const baseUrl = new URL(base.endsWith('/') ? base : `${base}/`);
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      const url = new URL(path);
      const extra = typeof binding.allowedOrigins === 'function' ? binding.allowedOrigins({ app: this.app as never }) : (binding.allowedOrigins ?? []);
      if (url.origin !== baseUrl.origin && !extra.some((o) => new URL(o).origin === url.origin)) {
        throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: refusing to send the access token to ${url.origin}, outside the provider's API (${baseUrl.origin})`, { provider: this.id });
      }
      return url;
    }
    return new URL(path.replace(/^\//, ''), baseUrl);
  }

  /** The binding's extra headers for an API call. */
  apiHeaders(credentials: Credentials<object>): Readonly<Record<string, string>> {
    const h = this.definition.api?.headers;
    return typeof h === 'function' ? h({ app: this.app as never, credentials: credentials as never }) : (h ?? {});
  }
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}
