import { z } from 'zod';
import { appField, oauthClientFields } from './AppCredentials.js';
import { defineProvider, type ProviderFactory } from './defineProvider.js';
import type { OriginPattern } from './OriginPattern.js';
import type {
  AnyAppCredentials, AppCredentialField, AppCredentialFields, ClientAuthenticationMethod, ClientCredentialsSpec, ConnectionConfig, CredentialPlacement,
  IdentitySpec, OAuth2Spec, ProviderDefinition, ProviderDocumentation, RateLimitHeaders, RefreshTokenRotation, RevocationSpec,
  TokenErrorSpec, TokenRequestSpec, TokenResponseSpec, UrlVariable,
} from './ProviderDefinition.js';
import { connectionConfigOf, fillUrlTemplate } from './UrlTemplate.js';

/** The API binding of a config-built provider (data only). */
export interface ApiConfig {
  /** Base URL of API calls; may be a template (`https://{subdomain}.zendesk.com/api/v2`). */
  readonly baseUrl: string;
  /** Headers sent with every API call (an API version). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Further origins absolute URLs may point at and still get the token. */
  readonly allowedOrigins?: readonly string[];
  /** A token-response field with the API base URL (Salesforce `instance_url`, Pipedrive `api_domain`). */
  readonly baseUrlFromTokenResponse?: string;
  /** A path (with `{appField}` placeholders) appended to that base URL: `/services/data/v{apiVersion}`. */
  readonly baseUrlPath?: string;
  /** Where that base URL may point; required with `baseUrlFromTokenResponse`. */
  readonly baseUrlOrigins?: readonly OriginPattern[];
  /** API answers that mean the token was refused. @default `{ statuses: [401] }` */
  readonly tokenRejected?: { readonly statuses: readonly number[]; readonly bodyIncludes?: string };
  /** @default `Authorization: <token_type> <token>` */
  readonly credentialPlacement?: CredentialPlacement;
  readonly rateLimitHeaders?: RateLimitHeaders;
}

/**
 * An OAuth 2.0 provider as plain data: what {@link oauth2} takes. Everything Notion Workers'
 * `worker.oauth()` takes maps onto it (see docs/coming-from-worker-oauth.md): `name` → `id` and
 * `displayName`, `authorizationEndpoint`, `tokenEndpoint`, `clientId`, `clientSecret`, `scope` →
 * `scopes`, `authorizationParams`, `accessTokenExpireMs` → `accessTokenLifetimeSeconds` (÷ 1000).
 *
 * URLs may be templates with `{name}` variables declared in `variables` (per-tenant hosts).
 */
export interface OAuth2ProviderConfig<Id extends string = string> {
  readonly id: Id;
  readonly displayName: string;
  /**
   * Prefix of the env keys app credentials are read from: `<PREFIX>_CLIENT_ID`, `<PREFIX>_CLIENT_SECRET`,
   * `<PREFIX>_REDIRECT_URI`, `<PREFIX>_TOKEN_URL`… @default the id in upper snake case (`my-app` → `MY_APP`)
   */
  readonly envPrefix?: string;
  /** RFC 6749 §2.2 client id, when given in code (else `<PREFIX>_CLIENT_ID`). */
  readonly clientId?: string;
  /** RFC 6749 §2.3.1 client secret, when given in code (else `<PREFIX>_CLIENT_SECRET`). */
  readonly clientSecret?: string;
  /** RFC 6749 §3.1.2 redirect URI, when given in code (else `<PREFIX>_REDIRECT_URI`). */
  readonly redirectUri?: string;
  /** Issuer identifier (RFC 9207 `iss` checks), when the provider has one. */
  readonly issuer?: string;
  /** RFC 6749 §3.1 authorization endpoint. */
  readonly authorizationEndpoint: string;
  /** RFC 6749 §3.2 token endpoint. */
  readonly tokenEndpoint: string;
  /** RFC 8628 §3.1 device authorization endpoint: enables `oauth2.deviceAuthorization`. */
  readonly deviceAuthorizationEndpoint?: string;
  /** RFC 7662 introspection endpoint: enables `oauth2.introspect`. */
  readonly introspectionEndpoint?: string;
  /** Revocation: an RFC 7009 endpoint (URL), or the provider's own way as data. Absent = no `revoke`. */
  readonly revocation?: { readonly rfc7009: string } | RevocationSpec<Readonly<Record<string, unknown>>>;
  /** Scopes requested when `authorize` is given none (a string is split on spaces and commas). */
  readonly scopes?: readonly string[] | string;
  /** Joins scopes in the authorization request. @default ' ' (RFC 6749 §3.3) */
  readonly scopeSeparator?: string;
  /** RFC 6749 §2.3 client authentication at the token endpoint. @default 'client_secret_basic' (RFC 6749 §2.3.1: servers MUST support it) */
  readonly clientAuthentication?: ClientAuthenticationMethod;
  /** RFC 7636 PKCE. @default 'S256' */
  readonly pkce?: 'S256' | 'none';
  /** Extra authorization request parameters (`access_type=offline`, `owner=user`). */
  readonly authorizationParams?: Readonly<Record<string, string>>;
  readonly tokenRequest?: TokenRequestSpec;
  readonly tokenResponse?: TokenResponseSpec;
  readonly tokenErrors?: TokenErrorSpec;
  /** Access-token lifetime, seconds, when a token response has no `expires_in`. Absent: never expires. */
  readonly accessTokenLifetimeSeconds?: number;
  /** @default 'undocumented' */
  readonly refreshTokenRotation?: RefreshTokenRotation;
  /** How long an unused refresh token lives, seconds, when the provider documents it. */
  readonly refreshTokenIdleLifetimeSeconds?: number;
  /** How long a refresh-token chain lives at most from the authorization, seconds (see {@link OAuth2Spec.refreshTokenMaxLifetimeSeconds}). */
  readonly refreshTokenMaxLifetimeSeconds?: number;
  /** Variables of templated URLs, each from app credentials or the connection. */
  readonly variables?: Readonly<Record<string, UrlVariable>>;
  /** Origins templated OAuth URLs may resolve to. @default what each template's host gives */
  readonly hosts?: readonly OriginPattern[];
  /** RFC 6749 §4.4 client credentials grant (`true`: no default scopes or parameters). */
  readonly clientCredentials?: ClientCredentialsSpec | true;
  /** Who a credential belongs to. */
  readonly identity?: IdentitySpec;
  readonly api?: ApiConfig;
  /** Token-response fields kept as typed extras (wire names: `team`, `workspace_id`). */
  readonly extras?: readonly string[];
  /** Where these facts come from. */
  readonly documentation?: ProviderDocumentation;
  /** OpenID Connect on explicit endpoints (ID token required and verified). Use {@link oidc} for discovery. */
  readonly openid?: boolean;
  /** JWKS of ID-token signatures, with `openid`. */
  readonly jwksUri?: string;
  /** OpenID Connect UserInfo endpoint. */
  readonly userinfoEndpoint?: string;
}

/** `my-app` → `MY_APP`. */
export function envPrefixOf(id: string): string {
  return id.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toUpperCase();
}

/** An app-credential field overriding one endpoint (pointed at an emulator, a proxy, a sovereign cloud). */
function urlField(prefix: string, suffix: string, value: string | undefined, description: string): AppCredentialField<z.ZodOptional<z.ZodString>> {
  return appField({
    schema: z.string().min(1).optional(), env: [`${prefix}_${suffix}`], ...(value !== undefined ? { default: value } : {}),
    description: `${description} May use the provider's \`{name}\` variables.`,
  });
}

/** App-credential fields of every variable that comes from the app: `<PREFIX>_<NAME>` (`accountsServer` → `ZOHO_ACCOUNTS_SERVER`). */
export function variableFields(prefix: string, variables: Readonly<Record<string, UrlVariable>>): AppCredentialFields {
  const out: Record<string, AppCredentialField> = {};
  for (const [name, v] of Object.entries(variables)) {
    if (v.from !== 'app') continue;
    out[name] = appField({
      schema: z.string().min(1).optional(), env: [`${prefix}_${envPrefixOf(name.replace(/([a-z])([A-Z])/g, '$1_$2'))}`],
      ...(v.default !== undefined ? { default: v.default } : {}),
      description: `${v.description}${v.example ? ` (e.g. \`${v.example}\`)` : ''}`,
    });
  }
  return out;
}

const splitScopes = (s: readonly string[] | string | undefined) => (typeof s === 'string' ? s.split(/[\s,]+/).filter(Boolean) : s);

/** The app-credential fields {@link oauth2} gives a provider (exported for the docs generator). */
function oauth2Fields(config: OAuth2ProviderConfig, prefix: string) {
  const client = oauthClientFields(prefix);
  const withDefault = <F extends AppCredentialField>(f: F, value: string | undefined): F => (value === undefined ? f : { ...f, default: value });
  const revocationUrl = config.revocation === undefined ? undefined
    : 'rfc7009' in config.revocation ? config.revocation.rfc7009
      : typeof config.revocation.endpoint === 'string' ? config.revocation.endpoint : undefined;
  const identityEndpoint = config.identity && 'endpoint' in config.identity && typeof config.identity.endpoint === 'string' ? config.identity.endpoint : undefined;
  return {
    clientId: withDefault(client.clientId, config.clientId),
    clientSecret: withDefault(client.clientSecret, config.clientSecret),
    redirectUri: withDefault(client.redirectUri, config.redirectUri),
    scopes: appField({
      schema: z.union([z.string(), z.array(z.string())]).optional().transform(splitScopes),
      env: [`${prefix}_SCOPES`], ...(config.scopes !== undefined ? { default: config.scopes as string | string[] } : {}),
      description: 'Scopes requested when `authorize` is given none (space- or comma-separated).',
    }),
    authorizationUrl: urlField(prefix, 'AUTHORIZATION_URL', config.authorizationEndpoint, 'Authorization endpoint (RFC 6749 §3.1).'),
    tokenUrl: urlField(prefix, 'TOKEN_URL', config.tokenEndpoint, 'Token endpoint (RFC 6749 §3.2).'),
    ...(revocationUrl !== undefined ? { revocationUrl: urlField(prefix, 'REVOCATION_URL', revocationUrl, 'Revocation endpoint.') } : {}),
    ...(config.introspectionEndpoint !== undefined ? { introspectionUrl: urlField(prefix, 'INTROSPECTION_URL', config.introspectionEndpoint, 'Introspection endpoint (RFC 7662).') } : {}),
    ...(config.deviceAuthorizationEndpoint !== undefined ? { deviceAuthorizationUrl: urlField(prefix, 'DEVICE_AUTHORIZATION_URL', config.deviceAuthorizationEndpoint, 'Device authorization endpoint (RFC 8628 §3.1).') } : {}),
    ...(config.userinfoEndpoint !== undefined ? { userinfoUrl: urlField(prefix, 'USERINFO_URL', config.userinfoEndpoint, 'OpenID Connect UserInfo endpoint.') } : {}),
    ...(config.jwksUri !== undefined ? { jwksUrl: urlField(prefix, 'JWKS_URL', config.jwksUri, 'JWKS of ID-token signatures.') } : {}),
    ...(identityEndpoint !== undefined && /^https?:/.test(identityEndpoint)
      ? { identityUrl: urlField(prefix, 'IDENTITY_URL', identityEndpoint, 'Endpoint that says who a token belongs to.') } : {}),
    ...(config.api ? { apiBaseUrl: urlField(prefix, 'API_BASE_URL', config.api.baseUrl, 'API base URL.') } : {}),
    ...variableFields(prefix, config.variables ?? {}),
  } satisfies AppCredentialFields;
}

/** App credentials as {@link oauth2}'s fields resolve them (read by name below). */
type GenericApp = AnyAppCredentials;

/**
 * A provider's data as a {@link ProviderDefinition}: the vocabulary core interprets (body format,
 * client authentication, scope separator, PKCE, token-response paths, error aliases, revocation,
 * identity, API binding, templated per-tenant URLs), with an app-credential field for every endpoint
 * so each can be pointed elsewhere (an emulator, a proxy) by code or env.
 * @throws Error at definition time when `baseUrlFromTokenResponse` has no `baseUrlOrigins` (a token
 *   response must not choose where the token goes unchecked)
 */
export function oauth2Definition<const C extends OAuth2ProviderConfig>(config: C) {
  const prefix = config.envPrefix ?? envPrefixOf(config.id);
  const fields = oauth2Fields(config, prefix);
  const variables = config.variables ?? {};
  const connectionVariables = Object.fromEntries(Object.entries(variables).filter(([, v]) => v.from === 'connection'));
  // Declared hosts bound the provider's own URLs; a URL the application configured instead (an
  // emulator, a proxy) is bounded by what its own host gives (see fillUrlTemplate).
  const defaults = new Set(Object.values(fields).map((f) => ('default' in f ? f.default : undefined)).filter((d): d is string => typeof d === 'string'));
  const fill = (template: string | undefined, app: Readonly<Record<string, unknown>>, connection: ConnectionConfig, clientIdInPath = false) =>
    template === undefined ? undefined
      : fillUrlTemplate(config.id, clientIdInPath ? template.replaceAll('{client_id}', encodeURIComponent(String(app.clientId ?? ''))) : template,
        { ...app, ...connection }, variables, defaults.has(template) ? config.hosts : undefined);
  if (config.api?.baseUrlFromTokenResponse !== undefined && !config.api.baseUrlOrigins?.length) {
    throw new Error(`${config.id}: api.baseUrlFromTokenResponse needs api.baseUrlOrigins`);
  }
  const revocation: OAuth2Spec<GenericApp>['revocation'] = config.revocation === undefined ? undefined
    : 'rfc7009' in config.revocation ? 'rfc7009'
      // `{client_id}` is the client's own id, not a tenant variable: filled before the template check.
      : { ...config.revocation, endpoint: (app, connection) => fill(app.revocationUrl as string, app, connection, true)! };
  const server: OAuth2Spec<GenericApp>['server'] = (app, connection) => ({
    ...(config.issuer !== undefined ? { issuer: fill(config.issuer, app, connection)! } : {}),
    authorizationEndpoint: fill(app.authorizationUrl as string, app, connection)!,
    tokenEndpoint: fill(app.tokenUrl as string, app, connection)!,
    ...(revocation === 'rfc7009' ? { revocationEndpoint: fill(app.revocationUrl as string, app, connection)! } : {}),
    ...(app.introspectionUrl !== undefined ? { introspectionEndpoint: fill(app.introspectionUrl as string, app, connection)! } : {}),
    ...(app.deviceAuthorizationUrl !== undefined ? { deviceAuthorizationEndpoint: fill(app.deviceAuthorizationUrl as string, app, connection)! } : {}),
    ...(app.userinfoUrl !== undefined ? { userinfoEndpoint: fill(app.userinfoUrl as string, app, connection)! } : {}),
    ...(app.jwksUrl !== undefined ? { jwksUri: fill(app.jwksUrl as string, app, connection)! } : {}),
  });
  const clientCredentials = config.clientCredentials === true ? {} : config.clientCredentials;
  const oauth2Spec = {
    server,
    clientAuthentication: config.clientAuthentication ?? 'client_secret_basic',
    ...(Object.keys(connectionVariables).length > 0 ? { connectionConfig: connectionVariables } : {}),
    ...(config.scopeSeparator !== undefined ? { scopeSeparator: config.scopeSeparator } : {}),
    defaultScopes: (app: GenericApp) => app.scopes as string[] | undefined,
    ...(config.authorizationParams ? { authorizationParams: config.authorizationParams } : {}),
    ...(config.accessTokenLifetimeSeconds !== undefined ? { defaultAccessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds } : {}),
    ...(config.refreshTokenIdleLifetimeSeconds !== undefined ? { refreshTokenIdleLifetimeSeconds: config.refreshTokenIdleLifetimeSeconds } : {}),
    ...(config.refreshTokenRotation !== undefined ? { refreshTokenRotation: config.refreshTokenRotation } : {}),
    ...(config.refreshTokenMaxLifetimeSeconds !== undefined ? { refreshTokenMaxLifetimeSeconds: config.refreshTokenMaxLifetimeSeconds } : {}),
    pkce: config.pkce !== 'none',
    ...(config.openid ? { openid: true } : {}),
    ...(revocation ? { revocation } : {}),
    ...(config.introspectionEndpoint !== undefined ? { introspection: 'rfc7662' as const } : {}),
    ...(config.tokenRequest ? { tokenRequest: config.tokenRequest } : {}),
    ...(config.tokenResponse ? { tokenResponse: config.tokenResponse } : {}),
    ...(config.tokenErrors ? { tokenErrors: config.tokenErrors } : {}),
    ...(clientCredentials ? { clientCredentials } : {}),
  } satisfies OAuth2Spec<GenericApp>;
  const api = config.api;
  const extras = [...(config.extras ?? []), ...(api?.baseUrlFromTokenResponse ? [api.baseUrlFromTokenResponse] : [])];
  return {
    id: config.id as C['id'],
    displayName: config.displayName,
    appCredentials: fields,
    oauth2: oauth2Spec as typeof oauth2Spec & DeclaredFlows<C>,
    ...(extras.length > 0 ? { userCredentials: { extras } } : {}),
    ...(Object.keys(variables).length > 0 ? { variables } : {}),
    ...(config.identity ? { identity: identityWithOverride(config.identity) } : {}),
    ...(config.documentation ? { documentation: config.documentation } : {}),
    ...(api ? {
      api: {
        baseUrl: ({ app, credentials }: { app: GenericApp; credentials: { readonly extras: object } }) =>
          fill(app.apiBaseUrl as string, app, connectionConfigOf(credentials.extras))!,
        ...(api.headers ? { headers: api.headers } : {}),
        ...(api.allowedOrigins ? { allowedOrigins: api.allowedOrigins } : {}),
        ...(api.baseUrlFromTokenResponse ? { baseUrlFromTokenResponse: api.baseUrlFromTokenResponse } : {}),
        ...(api.baseUrlPath ? { baseUrlPath: api.baseUrlPath } : {}),
        ...(api.baseUrlOrigins ? { baseUrlOrigins: api.baseUrlOrigins } : {}),
        ...(api.tokenRejected ? { tokenRejected: api.tokenRejected } : {}),
        ...(api.credentialPlacement ? { credentialPlacement: api.credentialPlacement } : {}),
        ...(api.rateLimitHeaders ? { rateLimitHeaders: api.rateLimitHeaders } : {}),
      },
    } : {}),
  } satisfies ProviderDefinition<C['id'], typeof fields>;
}

/**
 * What a config declares, in the spec's type, so `auth.<id>` has exactly the flows the config gives:
 * `oauth2.revoke` with a revocation, `oauth2.introspect` with an introspection endpoint,
 * `auth.<id>.clientCredentials` with the client credentials grant.
 */
export type DeclaredFlows<C> =
  & (C extends { readonly revocation: object | true } ? { readonly revocation: 'rfc7009' | RevocationSpec<AnyAppCredentials> } : unknown)
  & (C extends { readonly introspectionEndpoint: string } | { readonly introspection: true } ? { readonly introspection: 'rfc7662' } : unknown)
  & (C extends { readonly clientCredentials: object | true } ? { readonly clientCredentials: ClientCredentialsSpec } : unknown);

/** An identity endpoint given as an absolute URL is read from the `identityUrl` field (overridable). */
function identityWithOverride(identity: IdentitySpec): IdentitySpec {
  return 'endpoint' in identity && typeof identity.endpoint === 'string' && /^https?:/.test(identity.endpoint)
    ? { ...identity, endpoint: (app) => app.identityUrl as string }
    : identity;
}

/**
 * Any OAuth 2.0 provider from plain config, no code: the authorization code flow with PKCE, refresh,
 * and what the config declares (revocation, introspection, device and client credentials grants, an
 * API binding, identity). App credentials come from the config, the factory's argument, or env keys
 * under `envPrefix` (`MY_OAUTH_CLIENT_ID`).
 *
 * @param config - the provider's data ({@link OAuth2ProviderConfig})
 * @returns a provider factory: `acme(appCredentials?)` is a registration for `new AuthManager({ providers })`
 * @throws Error when the config is contradictory (see {@link oauth2Definition})
 * @see RFC 6749 §4.1, RFC 7636, RFC 7009, RFC 8628
 * @example
 * ```ts
 * const acme = oauth2({
 *   id: 'acme', displayName: 'Acme', envPrefix: 'MY_OAUTH',
 *   authorizationEndpoint: 'https://acme.example/oauth/authorize',
 *   tokenEndpoint: 'https://acme.example/oauth/token',
 *   scopes: ['read'], api: { baseUrl: 'https://api.acme.example/v1' },
 * });
 * const auth = new AuthManager({ providers: [acme()] }); // MY_OAUTH_CLIENT_ID, MY_OAUTH_CLIENT_SECRET, MY_OAUTH_REDIRECT_URI
 * ```
 */
export function oauth2<const C extends OAuth2ProviderConfig>(config: C): ProviderFactory<ReturnType<typeof oauth2Definition<C>>> {
  return defineProvider(oauth2Definition(config));
}
