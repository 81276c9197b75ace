import * as oauth from 'openid-client';
import { requireAppField, resolveAppCredentials } from './AppCredentials.js';
import { AuthManagerError } from './AuthManagerError.js';
import { Credentials, isValidAccessToken, isValidTokenType, type CredentialsInit } from './Credentials.js';
import type { EnvSource } from './EnvSource.js';
import { ErrorCode } from './ErrorCode.js';
import { jsonShapeProblem } from './JsonShape.js';
import { mapProviderError } from './mapProviderError.js';
import { matchesOriginPattern } from './OriginPattern.js';
import type {
  AnyProviderDefinition, AppCredentialsInput, OAuth2Spec, OAuthHttpRequest, ProviderContext,
} from './ProviderDefinition.js';

/**
 * Token-response fields giving the refresh token's lifetime in seconds: `refresh_token_expires_in`
 * (GitHub, https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens;
 * Microsoft) and `x_refresh_token_expires_in` (Intuit QuickBooks,
 * https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0).
 */
const REFRESH_TOKEN_LIFETIME_FIELDS = ['refresh_token_expires_in', 'x_refresh_token_expires_in'];

/** Token-response fields with typed homes in {@link Credentials}; never copied into `raw`. */
const TYPED_FIELDS = new Set(['access_token', 'token_type', 'refresh_token', 'expires_in', 'scope', 'id_token', ...REFRESH_TOKEN_LIFETIME_FIELDS]);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * Largest `expires_in` accepted, seconds (2^31 − 1, about 68 years: the largest value providers use to
 * mean "practically never"). Larger, negative, non-finite or non-numeric values are refused.
 */
export const MAX_EXPIRES_IN_SECONDS = 2_147_483_647;

/** Default cap on a response body from a provider's OAuth endpoints, bytes (1 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

/** Statuses whose responses have no body (the Fetch standard's null-body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** What the manager configures every provider runtime with (bound as `RUNTIME_SETTINGS`). */
export interface RuntimeSettings {
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** Timeout of one request to a provider's OAuth endpoints, milliseconds. */
  readonly timeoutMs: number;
  /** Cap on one OAuth-endpoint response body, bytes. */
  readonly maxResponseBytes: number;
}

/** The settings of a runtime made outside a manager (tests, tools). */
export const DEFAULT_RUNTIME_SETTINGS: RuntimeSettings = { now: Date.now, timeoutMs: 10_000, maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES };

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
  /** Timeout of one request to the provider, milliseconds. */
  readonly timeoutMs: number;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** Cap on one OAuth-endpoint response body, bytes. */
  readonly maxResponseBytes: number;

  constructor(definition: AnyProviderDefinition, input: AppCredentialsInput<AnyProviderDefinition['appCredentials']>, env: EnvSource, httpFetch: typeof fetch, settings: RuntimeSettings = DEFAULT_RUNTIME_SETTINGS) {
    this.id = definition.id;
    this.definition = definition;
    this.#input = input;
    this.#env = env;
    this.fetch = httpFetch;
    this.timeoutMs = settings.timeoutMs;
    this.now = settings.now;
    this.maxResponseBytes = settings.maxResponseBytes;
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
      const response = await readCapped(await this.fetch(request.url, request.init), this.maxResponseBytes, this.id);
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
   * refresh token; when it does not, the old one stays valid). On a code exchange, a response without
   * `scope` means the requested scopes were granted (RFC 6749 §5.1), so `requestedScopes` are kept.
   *
   * The response is refused, and nothing is stored, when: `access_token` is missing or has characters
   * outside RFC 6749 VSCHAR (CR, LF, non-Latin-1…); `token_type` is not an HTTP auth scheme;
   * `expires_in` is not a number (or numeric string) from 0 to {@link MAX_EXPIRES_IN_SECONDS};
   * the body nests deeper than 32 levels or has a `__proto__`, `constructor` or `prototype` key.
   * @param nowMs - epoch milliseconds the response was received
   * @param requestedScopes - the scopes of the authorization request, for a code exchange
   * @throws AuthManagerError `INVALID_TOKEN_RESPONSE` as above, or when the provider's
   *   `validateTokenResponse` hook rejects it
   */
  credentialsFromResponse(response: Record<string, unknown>, nowMs: number, previous?: Credentials<object>, requestedScopes?: readonly string[]): Credentials<object> {
    const shape = jsonShapeProblem(response);
    if (shape) throw this.#invalidResponse(`the token response ${shape}`);
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(response)) if (typeof v !== 'function') raw[k] = v;
    this.definition.oauth2?.hooks?.validateTokenResponse?.(raw, this.context as never);
    if (typeof raw.access_token !== 'string' || raw.access_token === '') throw this.#invalidResponse('the token response has no access_token');
    if (!isValidAccessToken(raw.access_token)) {
      throw this.#invalidResponse('the access_token has characters that cannot be sent in an HTTP header (RFC 6749 Appendix A.12 allows %x20-7E)');
    }
    if (raw.token_type !== undefined && !isValidTokenType(raw.token_type)) {
      throw this.#invalidResponse('token_type is not an HTTP authentication scheme (RFC 9110 §5.6.2)');
    }
    const expiresIn = this.#expiresIn(raw.expires_in);
    const extraKeys = this.definition.userCredentials?.extras ?? [];
    const extras: Record<string, unknown> = { ...(previous?.extras ?? {}) };
    for (const key of extraKeys) if (raw[key] !== undefined) extras[key] = raw[key];
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (!TYPED_FIELDS.has(k) && !extraKeys.includes(k)) rest[k] = v;
    const lifetime = expiresIn ?? this.defaultLifetimeSeconds();
    const tokenType = typeof raw.token_type === 'string' && raw.token_type.toLowerCase() !== 'bearer' ? raw.token_type : 'Bearer';
    const refreshToken = typeof raw.refresh_token === 'string' && raw.refresh_token !== '' ? raw.refresh_token : previous?.refreshToken;
    const idToken = typeof raw.id_token === 'string' ? raw.id_token : previous?.idToken;
    let refreshTokenExpiresAt: Date | undefined;
    for (const field of REFRESH_TOKEN_LIFETIME_FIELDS) {
      if (raw[field] === undefined) continue;
      const seconds = this.#lifetimeSeconds(raw[field], field);
      if (seconds !== undefined) refreshTokenExpiresAt = new Date(nowMs + seconds * 1000);
      break;
    }
    // A refresh that keeps the refresh token keeps what was known of its lifetime.
    if (refreshTokenExpiresAt === undefined && previous !== undefined && refreshToken === previous.refreshToken) {
      refreshTokenExpiresAt = previous.refreshTokenExpiresAt;
    }
    const granted = this.splitScopes(raw.scope);
    const scopes = granted ?? previous?.scopes ?? (requestedScopes && requestedScopes.length > 0 ? requestedScopes : undefined);
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
      ...(refreshTokenExpiresAt !== undefined ? { refreshTokenExpiresAt } : {}),
    });
  }

  /** `expires_in` in seconds (RFC 6749 §5.1), or `undefined` when absent. */
  #expiresIn(value: unknown): number | undefined {
    return this.#lifetimeSeconds(value, 'expires_in');
  }

  /** A lifetime field in seconds: a number or digit string from 0 to {@link MAX_EXPIRES_IN_SECONDS}. */
  #lifetimeSeconds(value: unknown, field: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < 0 || n > MAX_EXPIRES_IN_SECONDS) {
      throw this.#invalidResponse(`${field} must be a number of seconds from 0 to ${MAX_EXPIRES_IN_SECONDS}`);
    }
    return n;
  }

  #invalidResponse(what: string): AuthManagerError {
    return new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${this.id}: ${what}`, { provider: this.id });
  }

  /**
   * The absolute URL an API call goes to. `path` is resolved against the binding's base URL by the
   * WHATWG URL parser first (which turns `\\` into `/`, drops tabs and newlines, strips leading
   * spaces and C0 controls, lower-cases and punycodes hosts, drops default ports), and only then
   * checked: the token goes only to the base URL's origin or one of the binding's `allowedOrigins`,
   * never to a URL with userinfo. A path starting with one `/` is relative to the base URL's path
   * (`/users` on `https://api.notion.com/v1` is `https://api.notion.com/v1/users`).
   * @throws AuthManagerError `CONFIGURATION` when the URL is not parseable or leaves the allowed
   *   origins, or when a base URL derived from the credentials is outside the binding's `baseUrlOrigins`
   *   | `UNSUPPORTED_FLOW` when the provider has no API binding
   */
  apiUrl(path: string, credentials: Credentials<object>): URL {
    const binding = this.definition.api;
    if (!binding) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${this.id}" has no API binding`, { provider: this.id });
    const base = typeof binding.baseUrl === 'function' ? binding.baseUrl({ app: this.app as never, credentials: credentials as never }) : binding.baseUrl;
    let baseUrl: URL;
    try { baseUrl = new URL(base.endsWith('/') ? base : `${base}/`); } catch {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: the API base URL is not a URL`, { provider: this.id });
    }
    const declared = typeof binding.baseUrlOrigins === 'function' ? binding.baseUrlOrigins({ app: this.app as never }) : binding.baseUrlOrigins;
    if (declared !== undefined && !matchesOriginPattern(baseUrl, declared)) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: refusing to send the access token to ${baseUrl.origin}, which is not among the provider's declared API hosts`, { provider: this.id });
    }
    // One leading "/" means "below the base path"; "//" or "/\\" is a network-path reference that the
    // parser resolves to another host, and the origin check below refuses it.
    const relative = /^\/(?![/\\])/.test(path) ? path.slice(1) : path;
    let url: URL;
    try { url = new URL(relative, baseUrl); } catch {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: the API path is not a valid URL reference`, { provider: this.id });
    }
    if (url.username !== '' || url.password !== '') {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: refusing to send the access token to a URL with userinfo`, { provider: this.id });
    }
    if (url.origin !== baseUrl.origin && !this.#allowedOrigins().has(url.origin)) {
      const shown = url.origin === 'null' ? `a ${url.protocol} URL` : url.origin;
      throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: refusing to send the access token to ${shown}, outside the provider's API (${baseUrl.origin})`, { provider: this.id });
    }
    return url;
  }

  #allowed: ReadonlySet<string> | undefined;

  /** The binding's `allowedOrigins`, each normalized by the URL parser (computed once). */
  #allowedOrigins(): ReadonlySet<string> {
    if (this.#allowed) return this.#allowed;
    const binding = this.definition.api;
    const extra = typeof binding?.allowedOrigins === 'function' ? binding.allowedOrigins({ app: this.app as never }) : (binding?.allowedOrigins ?? []);
    const origins = new Set<string>();
    for (const o of extra) {
      try { const origin = new URL(o).origin; if (origin !== 'null') origins.add(origin); } catch { /* not a URL: allows nothing */ }
    }
    return (this.#allowed = origins);
  }

  /** The binding's extra headers for an API call. */
  apiHeaders(credentials: Credentials<object>): Readonly<Record<string, string>> {
    const h = this.definition.api?.headers;
    return typeof h === 'function' ? h({ app: this.app as never, credentials: credentials as never }) : (h ?? {});
  }
}

/**
 * Reads a response body up to `maxBytes` and hands back an equivalent response. openid-client reads
 * token, discovery, JWKS and userinfo bodies whole; a provider (or anything posing as one) must not be
 * able to make us buffer an unbounded body.
 * @throws AuthManagerError `INVALID_TOKEN_RESPONSE` when the body is larger
 */
async function readCapped(response: Response, maxBytes: number, provider: string): Promise<Response> {
  if (response.body === null || NULL_BODY_STATUSES.has(response.status)) return response;
  const tooLarge = () => new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE,
    `${provider}: the response body is larger than ${maxBytes} bytes (maxResponseBytes)`, { provider, status: response.status });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const copy = new Response(Buffer.concat(chunks), { status: response.status, statusText: response.statusText, headers: response.headers });
  // openid-client checks `response.url` in places (and hooks may read it): keep it.
  Object.defineProperty(copy, 'url', { value: response.url });
  return copy;
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}
