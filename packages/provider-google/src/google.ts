import {
  appField, defineProvider, oauthClientFields, z,
  type AccountInfo, type AppCredentialFields, type AppCredentialsOf, type AuthorizationServer, type Credentials,
  type OriginPattern, type ProviderDefinition,
} from '@authmanager/core/provider';
import { googleClient } from './client.js';
import {
  GOOGLE_API_BASE_URL, GOOGLE_AUTHORIZATION_URL, GOOGLE_CALENDAR_API_BASE_URL, GOOGLE_DOCS_API_BASE_URL,
  GOOGLE_DRIVE_API_BASE_URL, GOOGLE_GMAIL_API_BASE_URL, GOOGLE_ISSUER, GOOGLE_JWKS_URL, GOOGLE_REVOCATION_URL,
  GOOGLE_SHEETS_API_BASE_URL, GOOGLE_TOKEN_URL,
} from './endpoints.js';
import { GoogleServiceAccountFlow, serviceAccountKeySchema } from './serviceAccount.js';

/** `GOOGLE_<suffix>…` then `GOOGLE_OAUTH_<suffix>…`: the Python original's two prefixes. */
const env = (...suffixes: string[]) => [...suffixes.map((s) => `GOOGLE_${s}`), ...suffixes.map((s) => `GOOGLE_OAUTH_${s}`)];
const url = z.url().transform((u) => u.replace(/\/+$/, ''));
const scopeList = z.union([z.string(), z.array(z.string())])
  .transform((s) => (typeof s === 'string' ? s.split(/[\s,]+/).filter(Boolean) : s));
const flag = z.union([z.boolean(), z.stringbool()]);
/**
 * An app-credential field of the shape most of Google's share: a schema, env keys, a default
 * (`undefined`: none) and the docs line. Secrets are spelled out with `appField`.
 */
const field = <S extends z.ZodType>(schema: S, envKeys: readonly string[], fallback: z.input<S> | undefined, description: string) =>
  appField({ schema, env: envKeys, ...(fallback === undefined ? {} : { default: fallback }), description });
/** One of the API bases besides `apiBaseUrl` whose absolute URLs get the token. */
const apiBaseField = (api: string, envKey: string, fallback: string) =>
  field(url, [envKey], fallback, `${api} API base; absolute URLs under it get the token.`);

const appCredentials = {
  issuer: field(url, env('ISSUER'), GOOGLE_ISSUER,
    'OpenID Connect issuer: endpoints are discovered from it and ID tokens must carry it as `iss`.'),
  authorizationUrl: field(url.optional(), env('AUTHORIZATION_URL', 'AUTHORIZE_URL'), undefined,
    `Authorization endpoint. Unset: discovered (${GOOGLE_AUTHORIZATION_URL}); set (or \`tokenUrl\`) to skip discovery.`),
  tokenUrl: field(url.optional(), env('TOKEN_URL', 'ACCESS_TOKEN_URL'), undefined,
    `Token endpoint. Unset: discovered (${GOOGLE_TOKEN_URL}); set (or \`authorizationUrl\`) to skip discovery.`),
  revocationUrl: field(url, env('REVOCATION_URL', 'REVOKE_URL'), GOOGLE_REVOCATION_URL,
    'Revocation endpoint (`POST token=`).'),
  jwksUrl: field(url, env('JWKS_URL'), GOOGLE_JWKS_URL,
    'The keys ID-token signatures are checked against.'),
  ...oauthClientFields('GOOGLE', ['GOOGLE_OAUTH']),
  accessToken: appField({
    schema: z.string().min(1).optional(), env: env('ACCESS_TOKEN', 'TOKEN'), secret: true,
    description: 'A Google access token (`ya29.…`) used when a subject has no stored credential (static-token mode).',
  }),
  defaultScopes: field(scopeList, ['GOOGLE_SCOPES'], ['openid', 'email', 'profile'],
    'Scopes requested when `authorize` is given none (space or comma separated). Keep `openid`: the flow requires an ID token.'),
  accessType: field(z.enum(['offline', 'online']), env('ACCESS_TYPE'), 'offline',
    '`access_type`: `offline` asks for a refresh token.'),
  prompt: field(z.string(), env('PROMPT'), 'consent',
    '`prompt` (`consent`, `select_account`, `none`, space separated; empty to omit). `consent` makes Google issue a refresh token on every connect, not only the first.'),
  includeGrantedScopes: field(flag, env('INCLUDE_GRANTED_SCOPES'), true,
    '`include_granted_scopes=true`: incremental authorization (new tokens also cover earlier grants).'),
  apiBaseUrl: field(url, ['GOOGLE_API_BASE_URL'], GOOGLE_API_BASE_URL,
    'Base of relative `session.fetch` paths (`/oauth2/v3/userinfo`, `/calendar/v3/…`, `/drive/v3/…`).'),
  gmailBaseUrl: apiBaseField('Gmail', 'GOOGLE_GMAIL_BASE_URL', GOOGLE_GMAIL_API_BASE_URL),
  calendarBaseUrl: apiBaseField('Calendar', 'GOOGLE_CALENDAR_BASE_URL', GOOGLE_CALENDAR_API_BASE_URL),
  driveBaseUrl: apiBaseField('Drive', 'GOOGLE_DRIVE_BASE_URL', GOOGLE_DRIVE_API_BASE_URL),
  sheetsBaseUrl: apiBaseField('Sheets', 'GOOGLE_SHEETS_BASE_URL', GOOGLE_SHEETS_API_BASE_URL),
  docsBaseUrl: apiBaseField('Docs', 'GOOGLE_DOCS_BASE_URL', GOOGLE_DOCS_API_BASE_URL),
  quotaProjectId: field(z.string().min(1).optional(), ['GOOGLE_CLOUD_QUOTA_PROJECT'], undefined,
    'Sent as `x-goog-user-project` (the project billed for quota) on every API call.'),
  serviceAccountKey: appField({
    schema: serviceAccountKeySchema.optional(), env: ['GOOGLE_SERVICE_ACCOUNT_KEY'], secret: true,
    description: 'Service account key file contents (JSON text or object) for `auth.google.serviceAccount`.',
  }),
} satisfies AppCredentialFields;

/** Resolved Google app credentials. */
export type GoogleAppCredentials = AppCredentialsOf<typeof appCredentials>;

/** Extras of Google user credentials (wire names, from the token response). */
export interface GoogleExtras {
  /**
   * Seconds the refresh token lives, counted from `credentials.obtainedAt`: sent only when the user
   * granted time-based access. Otherwise refresh tokens live until revoked, unused for 6 months,
   * the password changes (Gmail scopes), or the per-client cap drops them.
   * @see https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
   */
  readonly refresh_token_expires_in?: number;
}

/** Claims of a Google ID token (`credentials.idTokenClaims()`), as far as this package reads them. */
export interface GoogleIdTokenClaims {
  readonly iss: string;
  /** The Google account id: stable, unlike the email. */
  readonly sub: string;
  readonly aud: string;
  readonly azp?: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly name?: string;
  /** Google Workspace domain of the account. */
  readonly hd?: string;
  readonly iat: number;
  readonly exp: number;
  readonly [claim: string]: unknown;
}

/**
 * Where the endpoints of Google's discovery document live besides the issuer's origin
 * (`accounts.google.com`, authorization): `*.googleapis.com` (token, revocation, device
 * authorization, UserInfo, JWKS).
 * @see https://accounts.google.com/.well-known/openid-configuration
 * @see https://developers.google.com/identity/openid-connect/openid-connect#discovery
 */
const GOOGLE_ENDPOINT_ORIGINS: readonly OriginPattern[] = ['https://*.googleapis.com'];

/**
 * Endpoints: discovered from `issuer` (Google publishes them in its discovery document), unless
 * `authorizationUrl` or `tokenUrl` is set, as the Python original's settings allowed. The discovery
 * document is a provider response that decides where the client secret, codes and tokens go and
 * which ID tokens are trusted, so core refuses it (`PROVIDER_UNAVAILABLE`, nothing sent) when an
 * endpoint it names is off the issuer's origin, or, for Google's own issuer, off `*.googleapis.com`.
 */
function authorizationServer(app: GoogleAppCredentials): AuthorizationServer {
  if (app.authorizationUrl === undefined && app.tokenUrl === undefined) {
    return { issuer: app.issuer, discovery: true, endpointOrigins: app.issuer === GOOGLE_ISSUER ? GOOGLE_ENDPOINT_ORIGINS : [] };
  }
  return {
    issuer: app.issuer,
    authorizationEndpoint: app.authorizationUrl ?? GOOGLE_AUTHORIZATION_URL,
    tokenEndpoint: app.tokenUrl ?? GOOGLE_TOKEN_URL,
    revocationEndpoint: app.revocationUrl,
    jwksUri: app.jwksUrl,
  };
}

/**
 * Quirk: Google returns a refresh token only for `access_type=offline`, and only when the consent
 * screen was shown (first consent, or `prompt=consent`). Both are app credentials; `authorize({ params })`
 * overrides them per call, and adds `login_hint` and the like.
 * @see https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient
 */
function offlineAccessParams(app: GoogleAppCredentials): Record<string, string> {
  return {
    access_type: app.accessType,
    ...(app.prompt.trim() ? { prompt: app.prompt.trim() } : {}),
    ...(app.includeGrantedScopes ? { include_granted_scopes: 'true' } : {}),
  };
}

/** "Connected as": the ID token's `sub` (stable account id) and `email`. */
function accountFromIdToken(credentials: Credentials<GoogleExtras>): AccountInfo | undefined {
  const claims = credentials.idTokenClaims() as Partial<GoogleIdTokenClaims> | undefined;
  if (typeof claims?.sub !== 'string') return undefined;
  return { id: claims.sub, ...(typeof claims.email === 'string' ? { label: claims.email } : {}) };
}

const googleDefinition = {
  id: 'google',
  displayName: 'Google',
  appCredentials,
  oauth2: {
    server: authorizationServer,
    // Google's token endpoint takes both; its guides send client_id/client_secret in the body.
    clientAuthentication: 'client_secret_post',
    defaultScopes: (app) => app.defaultScopes,
    authorizationParams: offlineAccessParams,
    openid: true,
    // A refresh returns no refresh token: the one from the code exchange stays (core keeps it).
    refreshTokenRotation: 'reuses',
    // A refresh token unused for six months stops working; `auth.refreshDue()` refreshes before then.
    // https://developers.google.com/identity/protocols/oauth2#expiration
    refreshTokenIdleLifetimeSeconds: 182 * 24 * 60 * 60,
    // One `POST /revoke` with only `token=` (form, no client authentication) revokes the whole
    // grant: the refresh token when there is one, else the access token. A token already expired
    // or revoked gets 400 `invalid_token` (RFC 7009 §2.2 would say 200): nothing is left, so done.
    // https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
    revocation: { endpoint: (app) => app.revocationUrl, anonymous: true, alreadyRevokedErrors: ['invalid_token'] },
  },
  staticToken: (app) => (app.accessToken ? { accessToken: app.accessToken, tokenType: 'Bearer' } : undefined),
  userCredentials: { extras: ['refresh_token_expires_in'] },
  api: {
    baseUrl: ({ app }) => app.apiBaseUrl,
    allowedOrigins: ({ app }) => [app.gmailBaseUrl, app.calendarBaseUrl, app.driveBaseUrl, app.sheetsBaseUrl, app.docsBaseUrl],
    // The project billed for quota, when one is configured (else no header).
    headers: { 'x-goog-user-project': '{quotaProjectId?}' },
  },
  account: accountFromIdToken,
  client: (ctx) => googleClient(ctx),
  flows: { serviceAccount: (ctx) => new GoogleServiceAccountFlow(ctx) },
  documentation: {
    urls: [
      'https://developers.google.com/identity/protocols/oauth2/web-server',
      'https://developers.google.com/identity/openid-connect/openid-connect',
      'https://developers.google.com/identity/protocols/oauth2/service-account',
      'https://developers.google.com/identity/protocols/oauth2#expiration',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'A refresh token comes back only with `access_type=offline` and when the consent screen was shown (first consent or `prompt=consent`); refreshes return none.',
      'Refresh tokens also die on a password change (Gmail scopes), when the user revokes, past a per-client-per-account cap (oldest dropped silently), and after 7 days while the app is in "Testing".',
      '`/revoke` answers 400 `invalid_token` for a token already expired or revoked.',
    ],
  },
} satisfies ProviderDefinition<'google', typeof appCredentials, GoogleExtras>;

/**
 * The Google provider: OpenID Connect sign-in plus offline access to Google APIs (Gmail, Calendar,
 * Drive, Sheets, Docs) with one credential, and service-account tokens.
 *
 * - OAuth 2.0 authorization code + PKCE with `access_type=offline`, `prompt=consent` and
 *   `include_granted_scopes=true` by default; the ID token is validated (signature against the
 *   issuer's JWKS, `iss`, `aud`, `exp`, `nonce`); refresh keeps the refresh token (Google sends none)
 *   and takes a new ID token when sent; `oauth2.revoke` revokes the grant at Google.
 * - `session.fetch('google', '/oauth2/v3/userinfo')` (relative to `apiBaseUrl`) or an absolute URL on
 *   a Gmail/Calendar/Drive/Sheets/Docs base; any other origin is refused.
 * - `session.google.client()`: google-auth-library's `OAuth2Client` (optional peer dependency).
 * - `auth.google.serviceAccount`: RFC 7523 JWT bearer tokens for a service account.
 * - Static-token mode: `accessToken` (`GOOGLE_ACCESS_TOKEN`).
 *
 * @see https://developers.google.com/identity/protocols/oauth2/web-server
 * @see https://developers.google.com/identity/openid-connect/openid-connect
 * @example
 * ```ts
 * const auth = new AuthManager({ providers: [google({ clientId, clientSecret, redirectUri })] });
 * const { url } = await auth.google.oauth2.authorize({ subject: 'user-1', params: { login_hint: 'alice@example.com' } });
 * // … Google redirects back …
 * await auth.google.oauth2.complete({ callbackUrl });
 * await using session = await auth.session('user-1');
 * const me = await (await session.fetch('google', '/oauth2/v3/userinfo')).json();
 * ```
 */
export const google = defineProvider(googleDefinition);
