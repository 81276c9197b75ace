import {
  AuthManagerError, ErrorCode, appField, defineProvider, oauthClientFields, requireAppField, z,
  type AppCredentialFields, type AppCredentialsOf, type Credentials, type OAuth2Hooks, type ProviderDefinition, type RevokeHook,
} from '@authmanager/core/provider';
import type { Octokit } from '@octokit/rest';
import { apiError, apiHeaders } from './http.js';
import { installationFlow } from './installation.js';

/** GitHub's authorization endpoint. @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps */
export const GITHUB_AUTHORIZATION_URL = 'https://github.com/login/oauth/authorize';
/** GitHub's token endpoint (authorization code and refresh token grants). */
export const GITHUB_TOKEN_URL = 'https://github.com/login/oauth/access_token';
/** GitHub's REST API (GitHub Enterprise Server: `https://HOST/api/v3`). */
export const GITHUB_API_URL = 'https://api.github.com';
/** Where release assets are uploaded (same credential, other origin). */
const GITHUB_UPLOADS_URL = 'https://uploads.github.com';
/** The REST API version this package is written against. @see https://docs.github.com/en/rest/about-the-rest-api/api-versions */
export const GITHUB_API_VERSION = '2022-11-28';

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

const appCredentials = {
  authorizationUrl: appField({
    schema: z.url(), env: ['GITHUB_AUTHORIZATION_URL', 'GITHUB_AUTHORIZE_URL'], default: GITHUB_AUTHORIZATION_URL,
    description: 'OAuth authorization endpoint.',
  }),
  tokenUrl: appField({
    schema: z.url(), env: ['GITHUB_TOKEN_URL', 'GITHUB_ACCESS_TOKEN_URL'], default: GITHUB_TOKEN_URL,
    description: 'Token endpoint (code exchange and refresh).',
  }),
  apiUrl: appField({
    schema: z.url().transform(withoutTrailingSlash), env: ['GITHUB_API_URL'], default: GITHUB_API_URL,
    description: 'REST API base URL: API calls, revocation, installation tokens (GitHub Enterprise Server: `https://HOST/api/v3`).',
  }),
  ...oauthClientFields('GITHUB'),
  token: appField({
    schema: z.string().min(1).optional(), env: ['GITHUB_TOKEN', 'GITHUB_INTEGRATION_TOKEN', 'GITHUB_PAT'], secret: true,
    description: 'Personal access token (`ghp_…`, `github_pat_…`) used when a subject has no stored credential.',
  }),
  defaultScope: appField({
    schema: z.union([z.string(), z.array(z.string())]).optional()
      .transform((s) => (typeof s === 'string' ? s.split(/[\s,]+/).filter(Boolean) : s)),
    description: 'Scopes requested when `authorize` is given none (OAuth Apps; GitHub Apps use permissions instead).',
  }),
  version: appField({
    schema: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), env: ['GITHUB_VERSION', 'GITHUB_API_VERSION'], default: GITHUB_API_VERSION,
    description: '`X-GitHub-Api-Version` header sent on every API call.',
  }),
  appId: appField({
    schema: z.union([z.string().min(1), z.number().int().positive()]).transform(String).optional(), env: ['GITHUB_APP_ID'],
    description: 'GitHub App id or client id: the `iss` of app JWTs (installation tokens).',
  }),
  privateKey: appField({
    // Env values often carry the PEM with literal "\n"; restore the line breaks.
    schema: z.string().min(1).transform((pem) => pem.replace(/\\n/g, '\n')).optional(), env: ['GITHUB_APP_PRIVATE_KEY'], secret: true,
    description: 'GitHub App private key, PEM (PKCS#1 as downloaded, or PKCS#8): signs app JWTs.',
  }),
} satisfies AppCredentialFields;

/** Resolved GitHub app credentials. */
export type GithubAppCredentials = AppCredentialsOf<typeof appCredentials>;

/**
 * Extras of GitHub user credentials (wire names).
 *
 * `refresh_token_expires_in` comes from GitHub's token response. `user_id` and `user_login` do not:
 * GitHub's token response does not say who authorized, so after a successful code exchange this
 * package asks `GET /user` with the new token and records them (see {@link github}).
 */
export interface GithubExtras {
  /** GitHub App user tokens: seconds the refresh token lives, counted from `credentials.obtainedAt`. */
  readonly refresh_token_expires_in?: number;
  /** The GitHub user id who authorized (`GET /user` → `id`); stable across renames. */
  readonly user_id?: number;
  /** Their login at connect time (`GET /user` → `login`). */
  readonly user_login?: string;
}

/**
 * When a GitHub App user token's refresh token stops working (the user must connect again after it).
 * @returns `undefined` for OAuth App tokens and personal access tokens, which have none
 */
export function refreshTokenExpiresAt(credentials: Credentials<GithubExtras>): Date | undefined {
  const seconds = credentials.extras.refresh_token_expires_in;
  return credentials.refreshToken !== undefined && typeof seconds === 'number'
    ? new Date(credentials.obtainedAt.getTime() + seconds * 1000)
    : undefined;
}

type Hooks = OAuth2Hooks<GithubAppCredentials>;

/**
 * Quirk: the token endpoint answers `application/x-www-form-urlencoded` unless asked for JSON.
 * (openid-client already asks; this keeps the request right whatever sends it.)
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
 */
const acceptJson: NonNullable<Hooks['prepareRequest']> = (request) => {
  request.init.headers.set('accept', 'application/json');
  return request;
};

/**
 * Quirk: token-endpoint errors (`bad_verification_code`, `incorrect_client_credentials`,
 * `redirect_uri_mismatch`, `bad_refresh_token`) come with HTTP 200 and an `error` field. Re-sent as
 * HTTP 400 so openid-client raises them as RFC 6749 §5.2 errors. `bad_refresh_token` (the refresh
 * token is wrong, expired or already used) is what RFC 6749 calls `invalid_grant`, so it is renamed,
 * keeping GitHub's code in `error_description`: a refresh then fails with `REAUTHORIZATION_REQUIRED`.
 * @see https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 */
async function errorsSentWithHttp200(response: Response): Promise<Response> {
  if (response.status !== 200 || !(response.headers.get('content-type') ?? '').includes('json')) return response;
  const body = await response.clone().json().catch(() => undefined) as Record<string, unknown> | undefined;
  if (typeof body?.error !== 'string') return response;
  const rewritten = body.error === 'bad_refresh_token'
    ? { ...body, error: 'invalid_grant', error_description: `bad_refresh_token: ${String(body.error_description ?? 'the refresh token is incorrect or expired')}` }
    : body;
  return jsonResponse(rewritten, 400, response.headers);
}

/**
 * Quirk: the token response does not say which user authorized. After a successful code exchange,
 * `GET /user` with the new token (core's `afterExchange` hook); its `id` and `login` become the
 * extras `user_id` and `user_login` (so `account()` works and a re-connect to another GitHub account
 * is caught). If `GET /user` fails the credential is kept without them.
 * @see https://docs.github.com/en/rest/users/users#get-the-authenticated-user
 */
async function identifyUser(credentials: Credentials<object>, ctx: { readonly app: GithubAppCredentials; readonly fetch: typeof fetch }): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await ctx.fetch(`${ctx.app.apiUrl}/user`, { headers: { ...apiHeaders(ctx.app), authorization: `Bearer ${credentials.accessToken}` } });
    const user = res.ok ? await res.json() as { id?: unknown; login?: unknown } : undefined;
    if (typeof user?.id !== 'number') return undefined;
    return { user_id: user.id, ...(typeof user.login === 'string' ? { user_login: user.login } : {}) };
  } catch {
    return undefined;
  }
}


/**
 * Revocation: `DELETE {apiUrl}/applications/{client_id}/grant` with Basic `client_id:client_secret`
 * and the JSON body `{"access_token": …}` → 204; this deletes the whole grant (every token of the
 * app for that user). GitHub needs a working access token for it, so an expired GitHub App user
 * token is refreshed first. 404 (the token or grant is already gone, e.g. the user revoked the app
 * in their settings) counts as revoked.
 * @see https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
 */
const revokeGrant: RevokeHook<GithubAppCredentials> = async (ctx) => {
  const { app, provider } = ctx;
  const clientId = requireAppField(provider, appCredentials, 'clientId', app.clientId);
  const clientSecret = requireAppField(provider, appCredentials, 'clientSecret', app.clientSecret);
  const accessToken = await workingAccessToken(ctx, clientId, clientSecret);
  if (accessToken === undefined) return; // the refresh token is dead too: nothing left to revoke
  const response = await ctx.fetch(`${app.apiUrl}/applications/${encodeURIComponent(clientId)}/grant`, {
    method: 'DELETE',
    headers: {
      ...apiHeaders(app),
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ access_token: accessToken }),
  });
  if (response.status === 204 || response.status === 404) return;
  throw await apiError(response, provider, 'revoke', ErrorCode.REVOCATION_FAILED);
};

/** Refresh before revoking when the access token expires within this margin. */
const REVOCATION_EXPIRY_MARGIN_MS = 60_000;

/** The stored access token, or for an expired GitHub App user token a fresh one (`undefined`: grant already dead). */
async function workingAccessToken(
  ctx: Parameters<RevokeHook<GithubAppCredentials>>[0], clientId: string, clientSecret: string,
): Promise<string | undefined> {
  const { credentials } = ctx;
  if (!credentials.expiresWithin(REVOCATION_EXPIRY_MARGIN_MS) || credentials.refreshToken === undefined) return credentials.accessToken;
  const response = await ctx.fetch(ctx.app.tokenUrl, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: 'refresh_token', refresh_token: credentials.refreshToken }),
  });
  const body = await response.json().catch(() => undefined) as { access_token?: unknown; error?: unknown } | undefined;
  if (typeof body?.access_token === 'string') return body.access_token;
  if (body?.error === 'bad_refresh_token') return undefined;
  throw new AuthManagerError(response.status >= 500 ? ErrorCode.PROVIDER_UNAVAILABLE : ErrorCode.REVOCATION_FAILED,
    `${ctx.provider} revoke: could not refresh the expired token first (${typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`})`,
    { provider: ctx.provider, status: response.status });
}

function jsonResponse(body: unknown, status: number, original: Headers): Response {
  const headers = new Headers(original);
  headers.delete('content-length');
  headers.delete('content-encoding');
  headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers });
}

const githubDefinition = {
  id: 'github',
  displayName: 'GitHub',
  appCredentials,
  oauth2: {
    server: (app) => ({ authorizationEndpoint: app.authorizationUrl, tokenEndpoint: app.tokenUrl }),
    // The client secret goes in the form body (the docs list it among the POST parameters).
    clientAuthentication: 'client_secret_post',
    // The docs call `scope` "a space-delimited list"; the token response answers comma-separated
    // (`repo,read:user`), which core splits on commas and spaces.
    scopeSeparator: ' ',
    defaultScopes: (app) => app.defaultScope,
    // S256 only. @see https://github.blog/changelog/2025-07-14-pkce-support-for-oauth-and-github-app-authentication
    pkce: true,
    revocation: revokeGrant,
    hooks: { prepareRequest: acceptJson, processResponse: errorsSentWithHttp200, afterExchange: identifyUser },
  },
  staticToken: (app) => (app.token ? { accessToken: app.token, tokenType: 'Bearer' } : undefined),
  userCredentials: { extras: ['refresh_token_expires_in', 'user_id', 'user_login'] },
  api: {
    baseUrl: ({ app }) => app.apiUrl,
    allowedOrigins: ({ app }) => (app.apiUrl === GITHUB_API_URL ? [GITHUB_UPLOADS_URL] : []),
    headers: ({ app }) => apiHeaders(app),
  },
  account: (credentials) => {
    const { user_id: id, user_login: login } = credentials.extras;
    return typeof id === 'number' ? { id: String(id), ...(login ? { label: login } : {}) } : undefined;
  },
  client: async (ctx): Promise<Octokit> => {
    let OctokitClass: typeof import('@octokit/rest').Octokit;
    try {
      ({ Octokit: OctokitClass } = await import('@octokit/rest'));
    } catch (cause) {
      throw new AuthManagerError(ErrorCode.CONFIGURATION, 'github: session.github.client() needs the optional peer dependency @octokit/rest; install it', { provider: 'github', cause });
    }
    // Every Octokit request goes through the session: base URL, headers, Authorization, and one
    // refresh-and-retry on 401.
    return new OctokitClass({
      baseUrl: ctx.app.apiUrl,
      request: {
        fetch: (input: string | URL | Request, init?: RequestInit) =>
          ctx.fetch(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, init),
      },
    });
  },
  flows: {
    installation: (ctx) => installationFlow(ctx, appCredentials),
  },
} satisfies ProviderDefinition<'github', typeof appCredentials, GithubExtras>;

/**
 * The GitHub provider: OAuth Apps and GitHub Apps (user access tokens, authorization code + PKCE,
 * refresh with rotation for expiring GitHub App tokens, grant revocation), personal access tokens,
 * GitHub App installation tokens (`auth.github.installation`), `session.fetch('github', path)` on
 * the REST API and `session.github.client()` (Octokit, optional peer dependency `@octokit/rest`).
 *
 * App credentials (constructor value, else env, else default): `clientId` (`GITHUB_CLIENT_ID`),
 * `clientSecret` (`GITHUB_CLIENT_SECRET`), `redirectUri` (`GITHUB_REDIRECT_URI`), `token`
 * (`GITHUB_TOKEN`, `GITHUB_INTEGRATION_TOKEN`, `GITHUB_PAT`), `defaultScope`, `version`
 * (`GITHUB_VERSION`, `GITHUB_API_VERSION`; default `2022-11-28`), `authorizationUrl`
 * (`GITHUB_AUTHORIZATION_URL`, `GITHUB_AUTHORIZE_URL`), `tokenUrl` (`GITHUB_TOKEN_URL`,
 * `GITHUB_ACCESS_TOKEN_URL`), `apiUrl` (`GITHUB_API_URL`; default `https://api.github.com`),
 * `appId` (`GITHUB_APP_ID`), `privateKey` (`GITHUB_APP_PRIVATE_KEY`).
 *
 * `account()` is the GitHub user id and login, looked up with `GET /user` right after the code
 * exchange; it is `undefined` for personal access tokens.
 *
 * @example
 * ```ts
 * const auth = new AuthManager({ providers: [github({ clientId, clientSecret, redirectUri })] });
 * const { url } = await auth.github.oauth2.authorize({ subject: 'user-1', scopes: ['repo', 'read:user'] });
 * // … GitHub redirects the user back to redirectUri …
 * await auth.github.oauth2.complete({ callbackUrl });
 * await using session = await auth.session('user-1');
 * const me = await (await session.fetch('github', '/user')).json();
 * ```
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 */
export const github = defineProvider(githubDefinition);
