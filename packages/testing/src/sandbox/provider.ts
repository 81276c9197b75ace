import { appField, defineProvider, oauthClientFields, z, type AppCredentialFields, type AuthorizationParamsRequest, type ProviderDefinition } from '@authmanager/core';

/** Credential extras of the sandbox provider: none beyond the OIDC ID token. */
export type SandboxExtras = Record<string, never>;

const appCredentials = {
  issuer: appField({
    schema: z.url(),
    env: ['SANDBOX_ISSUER'],
    description: 'Issuer URL printed by startSandboxProvider(); metadata is discovered from it.',
  }),
  ...oauthClientFields('SANDBOX'),
  clientId: appField({ schema: z.string().min(1), env: ['SANDBOX_CLIENT_ID'], default: 'sandbox-client', description: 'OAuth client ID (RFC 6749 §2.2).' }),
  clientSecret: appField({ schema: z.string().min(1), env: ['SANDBOX_CLIENT_SECRET'], default: 'sandbox-secret', secret: true, description: 'OAuth client secret (RFC 6749 §2.3.1).' }),
} satisfies AppCredentialFields;

/**
 * What a standard OpenID Connect server needs to issue a refresh token: with `offline_access`
 * requested, the `prompt` parameter must contain `consent` (OpenID Connect Core §11; oidc-provider
 * ignores the scope otherwise, and so does the sandbox).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
function offlineAccessParams(_app: unknown, request: AuthorizationParamsRequest): Record<string, string> {
  return request.scopes.includes('offline_access') ? { prompt: 'consent' } : {};
}

const sandboxDefinition = {
  id: 'sandbox',
  displayName: 'Sandbox',
  appCredentials,
  oauth2: {
    server: (app) => ({ issuer: app.issuer, discovery: true }),
    clientAuthentication: 'client_secret_basic',
    defaultScopes: ['openid', 'profile', 'offline_access', 'api:read'],
    authorizationParams: offlineAccessParams,
    pkce: true,
    openid: true,
    revocation: 'rfc7009',
    introspection: 'rfc7662',
  },
  api: {
    baseUrl: ({ app }) => app.issuer,
  },
  account: (credentials) => {
    const sub = credentials.idTokenClaims()?.sub;
    return typeof sub === 'string' ? { id: sub, label: sub } : undefined;
  },
} satisfies ProviderDefinition<'sandbox', typeof appCredentials, SandboxExtras>;

/**
 * The sandbox provider: a real OpenID Connect authorization server started by
 * `startSandboxProvider()` on loopback. Works with no setup; `GET /api/me` is its protected API.
 *
 * App credentials: `issuer` (`SANDBOX_ISSUER`), `clientId` (`SANDBOX_CLIENT_ID`, default
 * `sandbox-client`), `clientSecret` (`SANDBOX_CLIENT_SECRET`, default `sandbox-secret`),
 * `redirectUri` (`SANDBOX_REDIRECT_URI`).
 *
 * @example
 * ```ts
 * const server = await startSandboxProvider({ redirectUris: ['http://127.0.0.1:3000/callback'] });
 * const auth = new AuthManager({ providers: [sandbox({ issuer: server.issuer, redirectUri: 'http://127.0.0.1:3000/callback' })] });
 * ```
 */
export const sandbox = defineProvider(sandboxDefinition);
