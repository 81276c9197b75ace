import { z } from 'zod';
import { appField, oauthClientFields } from './AppCredentials.js';
import { defineProvider, type ProviderFactory } from './defineProvider.js';
import { envPrefixOf, variableFields, type DeclaredFlows, type OAuth2ProviderConfig } from './oauth2Provider.js';
import type { OriginPattern } from './OriginPattern.js';
import type { AnyAppCredentials, AppCredentialFields, OAuth2Spec, ProviderDefinition } from './ProviderDefinition.js';
import { connectionConfigOf, fillUrlTemplate } from './UrlTemplate.js';

/** An OpenID Connect provider as plain data: what {@link oidc} takes (the shared fields mean what they mean for {@link oauth2}). */
export interface OidcProviderConfig<Id extends string = string> extends Pick<OAuth2ProviderConfig<Id>,
  'id' | 'displayName' | 'envPrefix' | 'clientId' | 'clientSecret' | 'redirectUri' | 'clientAuthentication' | 'pkce' | 'authorizationParams'
  | 'clientCredentials' | 'refreshTokenRotation' | 'refreshTokenIdleLifetimeSeconds' | 'variables' | 'hosts' | 'api' | 'documentation'> {
  /**
   * The issuer; its metadata comes from `<issuer>/.well-known/openid-configuration` (OpenID Connect
   * Discovery 1.0 §4). May be a template (`https://{domain}/realms/{realm}`).
   */
  readonly issuer: string;
  /** @default ['openid', 'profile', 'email'] plus `offline_access` when `offlineAccess` */
  readonly scopes?: readonly string[];
  /**
   * Ask for a refresh token the way OpenID Connect Core §11 says: the `offline_access` scope, and
   * `prompt=consent` whenever it is requested. @default true
   */
  readonly offlineAccess?: boolean;
  /** RFC 7009 at the metadata's `revocation_endpoint`. @default false */
  readonly revocation?: boolean;
  /** RFC 7662 at the metadata's `introspection_endpoint`. @default false */
  readonly introspection?: boolean;
  /** Claim shown as the account label (from UserInfo). @default 'email' */
  readonly accountLabelClaim?: string;
  /** Origins the discovered endpoints may have besides the issuer's (see `AuthorizationServer.endpointOrigins`). Absent: not checked. */
  readonly endpointOrigins?: readonly OriginPattern[];
}

/**
 * An OpenID Connect provider from plain config: discovery, the code flow with PKCE and a nonce, ID
 * tokens verified against the issuer's JWKS (`iss`, `aud`, `azp`, `exp`, `nonce`, signature),
 * UserInfo as the account (`sub`, and `email` as label), and what a standard server needs for a
 * refresh token (`offline_access` + `prompt=consent`, OpenID Connect Core §11).
 *
 * @param config - {@link OidcProviderConfig}
 * @returns a provider factory (`keycloak({ clientId, … })` is a registration)
 * @see https://openid.net/specs/openid-connect-core-1_0.html
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html
 * @example
 * ```ts
 * const corp = oidc({ id: 'corp', displayName: 'Corp SSO', issuer: 'https://sso.corp.example' });
 * const auth = new AuthManager({ providers: [corp()] }); // CORP_CLIENT_ID, CORP_CLIENT_SECRET, CORP_REDIRECT_URI
 * ```
 */
export function oidc<const C extends OidcProviderConfig>(config: C): ProviderFactory<ReturnType<typeof oidcDefinition<C>>> {
  return defineProvider(oidcDefinition(config));
}

/** The {@link ProviderDefinition} {@link oidc} registers. */
export function oidcDefinition<const C extends OidcProviderConfig>(config: C) {
  const prefix = config.envPrefix ?? envPrefixOf(config.id);
  const offline = config.offlineAccess !== false;
  const scopes = config.scopes ?? ['openid', 'profile', 'email', ...(offline ? ['offline_access'] : [])];
  const variables = config.variables ?? {};
  const client = oauthClientFields(prefix);
  const fields = {
    clientId: config.clientId !== undefined ? { ...client.clientId, default: config.clientId } : client.clientId,
    clientSecret: config.clientSecret !== undefined ? { ...client.clientSecret, default: config.clientSecret } : client.clientSecret,
    redirectUri: config.redirectUri !== undefined ? { ...client.redirectUri, default: config.redirectUri } : client.redirectUri,
    issuer: appField({ schema: z.string().min(1), env: [`${prefix}_ISSUER`], default: config.issuer, description: 'OpenID Connect issuer (its discovery document is read).' }),
    ...(config.api ? { apiBaseUrl: appField({ schema: z.string().min(1), env: [`${prefix}_API_BASE_URL`], default: config.api.baseUrl, description: 'API base URL.' }) } : {}),
    ...variableFields(prefix, variables),
  } satisfies AppCredentialFields;
  type App = AnyAppCredentials;
  const connectionVariables = Object.fromEntries(Object.entries(variables).filter(([, v]) => v.from === 'connection'));
  const clientCredentials = config.clientCredentials === true ? {} : config.clientCredentials;
  const spec = {
    // Declared hosts bound the provider's own issuer; one the application configured is bounded by its own host.
    server: (app: App, connection) => ({
      issuer: fillUrlTemplate(config.id, app.issuer as string, { ...app, ...connection }, variables, app.issuer === config.issuer ? config.hosts : undefined),
      discovery: true as const,
      ...(config.endpointOrigins ? { endpointOrigins: config.endpointOrigins } : {}),
    }),
    clientAuthentication: config.clientAuthentication ?? 'client_secret_basic',
    ...(Object.keys(connectionVariables).length > 0 ? { connectionConfig: connectionVariables } : {}),
    defaultScopes: scopes,
    authorizationParams: (_app: App, request) => ({
      ...(config.authorizationParams ?? {}),
      ...(request.scopes.includes('offline_access') ? { prompt: 'consent' } : {}),
    }),
    pkce: config.pkce !== 'none',
    openid: true,
    ...(config.revocation ? { revocation: 'rfc7009' as const } : {}),
    ...(config.introspection ? { introspection: 'rfc7662' as const } : {}),
    ...(clientCredentials ? { clientCredentials } : {}),
    ...(config.refreshTokenRotation !== undefined ? { refreshTokenRotation: config.refreshTokenRotation } : {}),
    ...(config.refreshTokenIdleLifetimeSeconds !== undefined ? { refreshTokenIdleLifetimeSeconds: config.refreshTokenIdleLifetimeSeconds } : {}),
  } satisfies OAuth2Spec<App>;
  const api = config.api;
  return {
    id: config.id as C['id'],
    displayName: config.displayName,
    appCredentials: fields,
    oauth2: spec as typeof spec & DeclaredFlows<C>,
    identity: { userinfo: { id: 'sub', label: config.accountLabelClaim ?? 'email' } },
    ...(Object.keys(variables).length > 0 ? { variables } : {}),
    ...(config.documentation ? { documentation: config.documentation } : {}),
    ...(api ? {
      api: {
        // Per-tenant API bases take the connection's config, kept with the credential, as the issuer does.
        baseUrl: ({ app, credentials }: { app: App; credentials: { readonly extras: object } }) => fillUrlTemplate(
          config.id, app.apiBaseUrl as string, { ...app, ...connectionConfigOf(credentials.extras) }, variables,
          app.apiBaseUrl === api.baseUrl ? config.hosts : undefined),
        ...(api.headers ? { headers: api.headers } : {}),
        ...(api.allowedOrigins ? { allowedOrigins: api.allowedOrigins } : {}),
        ...(api.tokenRejected ? { tokenRejected: api.tokenRejected } : {}),
        ...(api.credentialPlacement ? { credentialPlacement: api.credentialPlacement } : {}),
        ...(api.rateLimitHeaders ? { rateLimitHeaders: api.rateLimitHeaders } : {}),
      },
    } : {}),
  } satisfies ProviderDefinition<C['id'], typeof fields>;
}
