import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  AuthManagerError, ErrorCode, appField, defineProvider, oauthClientFields, z,
  type AppCredentialFields, type AppCredentialsOf, type Credentials, type CredentialsInit,
  type ProviderContext, type ProviderDefinition,
} from '@authmanager/core';
import { jsforceClient } from './client.js';
import type { SalesforceUserCredentialExtras } from './extras.js';
import { allowedInstanceOriginsSchema, configuredInstanceUrl, instanceOrigins, isSecureUrl } from './instanceUrl.js';

/** Production login host. */
export const SALESFORCE_PRODUCTION_LOGIN_URL = 'https://login.salesforce.com';
/** Sandbox login host (or use the sandbox's My Domain, `https://<domain>--<sandbox>.sandbox.my.salesforce.com`). */
export const SALESFORCE_SANDBOX_LOGIN_URL = 'https://test.salesforce.com';
/** REST API version used when `apiVersion` / `SALESFORCE_API_VERSION` is not set. */
export const SALESFORCE_DEFAULT_API_VERSION = '64.0';
/**
 * Access-token lifetime assumed when none is configured, seconds. Salesforce sends no `expires_in`:
 * a token lives as long as the org's session timeout, which is 2 hours unless an admin changed it.
 */
export const SALESFORCE_DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS = 7200;
/** Scopes requested when `authorize` is given none: the REST API, and a refresh token. */
export const SALESFORCE_DEFAULT_SCOPES: readonly string[] = ['api', 'refresh_token'];

// Paths on the login host (production, sandbox or My Domain).
// https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_endpoints.htm
const AUTHORIZE_PATH = '/services/oauth2/authorize';
const TOKEN_PATH = '/services/oauth2/token';
const REVOKE_PATH = '/services/oauth2/revoke';
const INTROSPECT_PATH = '/services/oauth2/introspect';
const USERINFO_PATH = '/services/oauth2/userinfo';
const JWKS_PATH = '/id/keys';
/** REST API base on the org's instance: `{instance_url}/services/data/v{apiVersion}`. */
const DATA_PATH = '/services/data/v';

const hostUrl = z.url()
  .refine(isSecureUrl, { message: 'must be an https URL (http only on 127.0.0.1 / localhost)' })
  .transform((v) => v.replace(/\/+$/, ''));

/** An OAuth endpoint that defaults to a path on the login host. */
const endpointOverride = (name: string, path: string, ...env: string[]) =>
  appField({ schema: hostUrl.optional(), env, description: `${name} endpoint override. Default: {loginUrl}${path}.` });

const appCredentials = {
  ...oauthClientFields('SALESFORCE'),
  loginUrl: appField({
    schema: hostUrl,
    env: ['SALESFORCE_LOGIN_URL'],
    default: SALESFORCE_PRODUCTION_LOGIN_URL,
    description: 'Login host: https://login.salesforce.com (production), https://test.salesforce.com (sandbox) or the org\'s My Domain. Every OAuth endpoint is derived from it.',
  }),
  authorizationUrl: endpointOverride('Authorization', AUTHORIZE_PATH, 'SALESFORCE_AUTHORIZATION_URL', 'SALESFORCE_AUTHORIZE_URL'),
  tokenUrl: endpointOverride('Token', TOKEN_PATH, 'SALESFORCE_TOKEN_URL', 'SALESFORCE_ACCESS_TOKEN_URL'),
  apiVersion: appField({
    schema: z.string().transform((v) => v.replace(/^v/i, '')).pipe(z.string().regex(/^\d+\.\d$/, 'must look like "64.0"')),
    env: ['SALESFORCE_API_VERSION', 'SALESFORCE_VERSION'],
    default: SALESFORCE_DEFAULT_API_VERSION,
    description: 'REST API version: API calls go to {instance_url}/services/data/v{apiVersion}.',
  }),
  accessTokenLifetimeSeconds: appField({
    schema: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().positive()),
    env: ['SALESFORCE_ACCESS_TOKEN_LIFETIME_SECONDS'],
    default: SALESFORCE_DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
    description: 'Assumed access-token lifetime (Salesforce sends no expires_in); set it to the org\'s session timeout.',
  }),
  defaultScopes: appField({
    schema: z.union([z.string(), z.array(z.string())]).transform((v) => (typeof v === 'string' ? v.split(/[\s,]+/) : v).filter(Boolean)),
    default: [...SALESFORCE_DEFAULT_SCOPES],
    description: 'Scopes requested when authorize() is given none. A refresh token needs refresh_token (or offline_access).',
  }),
  accessToken: appField({
    schema: z.string().min(1).optional(),
    env: ['SALESFORCE_ACCESS_TOKEN', 'SALESFORCE_TOKEN'],
    secret: true,
    description: 'Static access token (session id) used when a subject has no stored credential; needs instanceUrl.',
  }),
  instanceUrl: appField({
    schema: hostUrl.optional(),
    env: ['SALESFORCE_INSTANCE_URL'],
    description: 'Instance URL of the static access token (https://<domain>.my.salesforce.com). Configuring it allows its origin as an instance.',
  }),
  allowedInstanceOrigins: appField({
    schema: allowedInstanceOriginsSchema,
    env: ['SALESFORCE_ALLOWED_INSTANCE_ORIGINS'],
    default: [],
    description: 'Origins besides Salesforce\'s documented https://*.salesforce.com that an instance_url may name (the access token is sent there): https://host[:port] or https://*.suffix, a list or a space/comma string; http only for an exact loopback host (emulators).',
  }),
} satisfies AppCredentialFields;

/** Resolved Salesforce app credentials. */
export type SalesforceAppCredentials = AppCredentialsOf<typeof appCredentials>;

function invalid(message: string): AuthManagerError {
  return new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `salesforce: ${message}`, { provider: 'salesforce' });
}

/**
 * Quirk: Salesforce signs its token response instead of sending `expires_in`-style metadata.
 * `signature` is Base64(HMAC-SHA256(key = consumer secret, message = `id` + `issued_at`)); checking it
 * proves the identity URL (and so the account) came from Salesforce unmodified. The signature does
 * not cover `instance_url`, which becomes the destination of the access token: core checks it
 * against `api.baseUrlOrigins` (see `instanceOrigins`) after this hook, and nothing is stored.
 * @see https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 * @throws AuthManagerError `INVALID_TOKEN_RESPONSE`
 */
function verifyTokenResponseSignature(raw: Readonly<Record<string, unknown>>, ctx: ProviderContext<SalesforceAppCredentials>): void {
  const { id, issued_at: issuedAt, signature, instance_url: instanceUrl } = raw;
  if (typeof id !== 'string' || typeof issuedAt !== 'string' || typeof signature !== 'string') {
    throw invalid('token response lacks id, issued_at or signature');
  }
  const secret = ctx.app.clientSecret;
  if (!secret) throw invalid('cannot check the token response signature without clientSecret');
  const expected = createHmac('sha256', secret).update(id + issuedAt).digest();
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid('token response signature does not match id + issued_at (tampered response or wrong client secret)');
  }
  if (typeof instanceUrl !== 'string') throw invalid('token response has no instance_url');
}

/** Static-token mode: an access token (session id) plus the instance it belongs to. */
function staticCredentials(app: SalesforceAppCredentials): CredentialsInit<SalesforceUserCredentialExtras> | undefined {
  if (!app.accessToken) return undefined;
  if (!app.instanceUrl) {
    throw new AuthManagerError(ErrorCode.CONFIGURATION, 'salesforce: a static access token needs its instance URL; pass instanceUrl or set SALESFORCE_INSTANCE_URL', { provider: 'salesforce' });
  }
  return { accessToken: app.accessToken, tokenType: 'Bearer', extras: { instance_url: app.instanceUrl } };
}

/** Org id + user id from the identity URL `…/id/<orgId>/<userId>`. */
function accountOf(credentials: Credentials<SalesforceUserCredentialExtras>) {
  const id = credentials.extras.id;
  if (!id || !URL.canParse(id)) return undefined;
  const [, kind, orgId, userId] = new URL(id).pathname.split('/');
  if (kind !== 'id' || !orgId || !userId) return undefined;
  return { id: `${orgId}/${userId}`, label: `user ${userId} in org ${orgId}` };
}

const salesforceDefinition = {
  id: 'salesforce',
  displayName: 'Salesforce',
  appCredentials,
  oauth2: {
    server: (app) => ({
      issuer: app.loginUrl,
      authorizationEndpoint: app.authorizationUrl ?? `${app.loginUrl}${AUTHORIZE_PATH}`,
      tokenEndpoint: app.tokenUrl ?? `${app.loginUrl}${TOKEN_PATH}`,
      revocationEndpoint: `${app.loginUrl}${REVOKE_PATH}`,
      introspectionEndpoint: `${app.loginUrl}${INTROSPECT_PATH}`,
      userinfoEndpoint: `${app.loginUrl}${USERINFO_PATH}`,
      jwksUri: `${app.loginUrl}${JWKS_PATH}`,
    }),
    clientAuthentication: 'client_secret_post',
    defaultScopes: (app) => app.defaultScopes,
    defaultAccessTokenLifetimeSeconds: (app) => app.accessTokenLifetimeSeconds,
    pkce: true,
    // Revoking a refresh token revokes its access tokens too: one `token=` POST (the refresh token,
    // else the access token), no client authentication, ends the grant. A token already dead gets
    // HTTP 400 `invalid_token` (RFC 7009 §2.2 says 200): nothing is left, so it counts as revoked.
    // https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm
    revocation: { endpoint: (app) => `${app.loginUrl}${REVOKE_PATH}`, anonymous: true, alreadyRevokedErrors: ['invalid_token'] },
    introspection: 'rfc7662',
    hooks: { validateTokenResponse: verifyTokenResponseSignature },
  },
  staticToken: staticCredentials,
  userCredentials: { extras: ['instance_url', 'id', 'issued_at', 'sfdc_community_url', 'sfdc_community_id'] },
  api: {
    // The credential's instance_url plus the REST path; without one, the configured instanceUrl.
    // Checked on arrival and on every call: off the allowed origins, the token is not sent.
    baseUrlFromTokenResponse: 'instance_url',
    baseUrlPath: `${DATA_PATH}{apiVersion}`,
    baseUrlOrigins: ({ app }) => instanceOrigins(app),
    baseUrl: ({ app }) => `${configuredInstanceUrl(app)}${DATA_PATH}${app.apiVersion}`,
    // The identity URL (`extras.id`) lives on the login host. The token goes to an absolute URL only
    // through `session.fetch`, which core confines to these origins and the instance's.
    allowedOrigins: ({ app }) => [app.loginUrl],
    headers: { accept: 'application/json' },
    // The REST API refuses an expired token with 401 `INVALID_SESSION_ID`, the identity service
    // (`/id/…`, `/services/oauth2/userinfo`) with 403 and the text `Bad_OAuth_Token`: both mean
    // "refresh and retry"; other 403s (`Wrong_Org`, permissions) do not.
    tokenRejected: { statuses: [403], bodyIncludes: 'Bad_OAuth_Token' },
  },
  account: accountOf,
  client: (ctx) => jsforceClient(ctx),
  documentation: {
    urls: [
      'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
      'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm',
      'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm',
      'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_endpoints.htm',
      'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest.htm',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'No `expires_in`: a token lives for the org\'s session timeout (2 hours unless an admin changed it), hence `accessTokenLifetimeSeconds` and refresh-once on 401.',
      'Refresh-token rotation is a per-connected-app setting, and refresh tokens may expire by policy (e.g. idle days); neither is visible to the client, so neither is declared.',
      '`issued_at` is epoch milliseconds as a string; `signature` covers only `id` + `issued_at`, not `instance_url`.',
    ],
  },
} satisfies ProviderDefinition<'salesforce', typeof appCredentials, SalesforceUserCredentialExtras>;

/**
 * The Salesforce provider: OAuth 2.0 web server flow with PKCE (production, sandbox or My Domain),
 * refresh, revocation, introspection, a static-token mode, the REST API on the org's instance, and
 * a jsforce `Connection` from `session.salesforce.client()`.
 *
 * App credentials (constructor, else env, else default): `clientId` (`SALESFORCE_CLIENT_ID`),
 * `clientSecret` (`SALESFORCE_CLIENT_SECRET`), `redirectUri` (`SALESFORCE_REDIRECT_URI`), `loginUrl`
 * (`SALESFORCE_LOGIN_URL`, default production), `authorizationUrl` / `tokenUrl` overrides,
 * `apiVersion` (`SALESFORCE_API_VERSION`), `accessTokenLifetimeSeconds`, `defaultScopes`,
 * `allowedInstanceOrigins` (`SALESFORCE_ALLOWED_INSTANCE_ORIGINS`), and for static-token mode
 * `accessToken` (`SALESFORCE_ACCESS_TOKEN`) + `instanceUrl` (`SALESFORCE_INSTANCE_URL`).
 *
 * The access token only ever goes to the org's `instance_url` (which must be on
 * `https://*.salesforce.com` or an `allowedInstanceOrigins` entry, checked when a token response
 * arrives and again before every call) and to the login host.
 *
 * @see https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 * @example
 * ```ts
 * const auth = new AuthManager({ providers: [salesforce({ clientId, clientSecret, redirectUri, loginUrl: SALESFORCE_SANDBOX_LOGIN_URL })] });
 * const { url } = await auth.salesforce.oauth2.authorize({ subject: 'user-1' });
 * // … the user approves; Salesforce redirects to redirectUri …
 * await auth.salesforce.oauth2.complete({ callbackUrl });
 * await using session = await auth.session('user-1');
 * const limits = await (await session.fetch('salesforce', 'limits')).json();
 * ```
 */
export const salesforce = defineProvider(salesforceDefinition);
