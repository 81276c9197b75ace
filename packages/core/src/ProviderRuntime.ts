import type * as oauth from 'openid-client';
import { apiRequestHeaders, resolveApiUrl } from './ApiRequest.js';
import { resolveAppCredentials } from './AppCredentials.js';
import { AuthManagerError } from './AuthManagerError.js';
import { createClientConfiguration } from './ClientConfiguration.js';
import { Credentials, type CredentialsInit } from './Credentials.js';
import type { EnvSource } from './EnvSource.js';
import { ErrorCode } from './ErrorCode.js';
import type { AccountInfo, AnyAppCredentials, AnyProviderDefinition, AppCredentialsInput, ConnectionConfig, OAuth2Spec, ProviderContext } from './ProviderDefinition.js';
import { matchesVariablePattern } from './UrlTemplate.js';
import { credentialsFromTokenResponse } from './TokenResponse.js';

export { MAX_EXPIRES_IN_SECONDS } from './TokenResponse.js';

/** Per-tenant configurations a runtime keeps (each holds discovered metadata, when discovered). */
const MAX_TENANT_CONFIGS = 256;

/** Default cap on a response body from a provider's OAuth endpoints, bytes (1 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;


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
  #app: AnyAppCredentials | undefined;
  #config: Promise<oauth.Configuration> | undefined;
  /** Configurations of per-tenant servers, by connection config (bounded, oldest dropped first). */
  readonly #tenantConfigs = new Map<string, Promise<oauth.Configuration>>();
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
  get app(): AnyAppCredentials {
    return (this.#app ??= resolveAppCredentials(this.id, this.definition.appCredentials, this.#input, this.#env));
  }

  /** Hook context. */
  get context(): ProviderContext<AnyAppCredentials> {
    return { app: this.app, provider: this.id, fetch: this.fetch, now: this.now, timeoutMs: this.timeoutMs };
  }

  /** The OAuth spec, or `UNSUPPORTED_FLOW`. */
  get oauth2(): OAuth2Spec<AnyAppCredentials> {
    const spec = this.definition.oauth2;
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
    const init = this.definition.staticToken?.(this.app) as CredentialsInit<object> | undefined;
    return init ? new Credentials(init) : undefined;
  }

  /**
   * The openid-client configuration (metadata discovered once for OIDC issuers; retried after a
   * failure). A provider with per-tenant URLs ({@link OAuth2Spec.connectionConfig}) has one per
   * connection config; `connection` is checked against the declared variables first.
   * @param connection - the connection's config (`authorize({ connectionConfig })`, or what a
   *   credential keeps in `extras.connection_config`)
   * @throws AuthManagerError `CONFIGURATION` (a connection variable missing, undeclared or malformed) |
   *   `PROVIDER_UNAVAILABLE`
   */
  config(connection: ConnectionConfig = {}): Promise<oauth.Configuration> {
    const declared = this.definition.oauth2?.connectionConfig;
    if (declared === undefined) {
      if (!this.#config) {
        this.#config = createClientConfiguration(this);
        this.#config.catch(() => { this.#config = undefined; });
      }
      return this.#config;
    }
    let checked: ConnectionConfig;
    try { checked = this.connectionConfig(connection); } catch (err) { return Promise.reject(err); }
    const key = JSON.stringify(Object.keys(declared).map((k) => checked[k]));
    let config = this.#tenantConfigs.get(key);
    if (!config) {
      if (this.#tenantConfigs.size >= MAX_TENANT_CONFIGS) this.#tenantConfigs.delete(this.#tenantConfigs.keys().next().value!);
      config = createClientConfiguration(this, checked);
      this.#tenantConfigs.set(key, config);
      config.catch(() => { if (this.#tenantConfigs.get(key) === config) this.#tenantConfigs.delete(key); });
    }
    return config;
  }

  /**
   * The declared connection variables of `connection`, each present and of its pattern's form.
   * Undeclared keys are refused (a typo would otherwise be silently ignored).
   * @throws AuthManagerError `CONFIGURATION` naming the variable (never its value)
   */
  connectionConfig(connection: ConnectionConfig | undefined): ConnectionConfig {
    const declared = this.definition.oauth2?.connectionConfig ?? {};
    const given = connection ?? {};
    for (const name of Object.keys(given)) {
      if (!(name in declared)) throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: connectionConfig has "${name}", which the provider does not declare`, { provider: this.id });
    }
    const out: Record<string, string> = {};
    for (const [name, variable] of Object.entries(declared)) {
      const value = given[name];
      if (typeof value !== 'string' || value === '') {
        throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: connectionConfig.${name} is required (${variable.description})`, { provider: this.id });
      }
      if (!matchesVariablePattern(variable, value)) {
        throw new AuthManagerError(ErrorCode.CONFIGURATION, `${this.id}: connectionConfig.${name} does not have the form the provider allows`, { provider: this.id });
      }
      out[name] = value;
    }
    return out;
  }

  /**
   * Who `credentials` belong to upstream: the definition's `account`, else what its `identity`
   * lookup recorded (`extras.account_id` / `extras.account_label`).
   */
  accountOf(credentials: Credentials<object>): AccountInfo | undefined {
    if (this.definition.account) return this.definition.account(credentials as never, this.app);
    if (!this.definition.identity) return undefined;
    const { account_id: id, account_label: label } = credentials.extras as { account_id?: unknown; account_label?: unknown };
    return typeof id === 'string' && id !== '' ? { id, ...(typeof label === 'string' && label !== '' ? { label } : {}) } : undefined;
  }

  /** Splits a `scope` value on the provider's separator (RFC 6749 §3.3 says space; GitHub answers with commas). */
  splitScopes(scope: unknown): string[] | undefined {
    if (typeof scope !== 'string') return undefined;
    return scope.split(/[\s,]+/).filter(Boolean);
  }

  /** Default access-token lifetime in seconds for responses without `expires_in`. */
  defaultLifetimeSeconds(): number | undefined {
    const d = this.definition.oauth2?.defaultAccessTokenLifetimeSeconds;
    return typeof d === 'function' ? d(this.app) : d;
  }

  /**
   * Builds credentials from a token response (see {@link credentialsFromTokenResponse}: what is kept
   * from `previous` on refresh, the requested scopes on exchange, and what is refused).
   * @throws AuthManagerError `INVALID_TOKEN_RESPONSE`
   */
  credentialsFromResponse(response: Record<string, unknown>, nowMs: number, previous?: Credentials<object>, requestedScopes?: readonly string[]): Credentials<object> {
    return credentialsFromTokenResponse(this, response, nowMs, previous, requestedScopes);
  }

  /**
   * The absolute URL an API call goes to (see {@link resolveApiUrl}: parsed first, then checked
   * against the binding's origins).
   * @throws AuthManagerError `CONFIGURATION` | `INVALID_STORED_CREDENTIALS` | `UNSUPPORTED_FLOW`
   */
  apiUrl(path: string, credentials: Credentials<object>): URL {
    return resolveApiUrl(this, path, credentials);
  }

  /** The binding's extra headers for an API call. */
  apiHeaders(credentials: Credentials<object>): Readonly<Record<string, string>> {
    return apiRequestHeaders(this, credentials);
  }
}
