import {
  AuthManagerError, ErrorCode, appField, defineProvider, oauthClientFields, z,
  type AppCredentialFields, type AppCredentialsOf, type Credentials, type ProviderDefinition,
} from '@authmanager/core/provider';
import type { Octokit } from '@octokit/rest';
import { API_HEADERS } from './http.js';
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
 * `refresh_token_expires_in` comes from GitHub's token response. The account does not: GitHub's
 * token response does not say who authorized, so right after a successful code exchange core asks
 * `GET /user` with the new token (the definition's `identity`) and records `account_id` /
 * `account_label` (see {@link github}).
 */
export interface GithubExtras {
  /** GitHub App user tokens: seconds the refresh token lives, counted from `credentials.obtainedAt`. */
  readonly refresh_token_expires_in?: number;
  /** The GitHub user id who authorized (`GET /user` → `id`, as a string); stable across renames. */
  readonly account_id?: string;
  /** Their login at connect time (`GET /user` → `login`). */
  readonly account_label?: string;
  /**
   * The user id, as credentials stored by versions before the `identity` lookup recorded it
   * (`GET /user` → `id`). Still read by `account()`; no longer written.
   * @deprecated read `account_id`
   */
  readonly user_id?: number;
  /**
   * The login, as credentials stored by earlier versions recorded it. Still read by `account()`.
   * @deprecated read `account_label`
   */
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
    // (The token endpoint answers form-encoded unless asked for JSON; openid-client always sends
    // `Accept: application/json`.) Its errors (`bad_verification_code`, `incorrect_client_credentials`,
    // `redirect_uri_mismatch`, `bad_refresh_token`) come with HTTP 200; `bad_refresh_token` (wrong,
    // expired or already used) is what RFC 6749 calls `invalid_grant`: REAUTHORIZATION_REQUIRED.
    // https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
    tokenErrors: { sentWithHttp200: true, aliases: { bad_refresh_token: 'invalid_grant' } },
    // GitHub App user tokens: a refresh returns a new pair and the old refresh token dies.
    // https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
    refreshTokenRotation: 'rotates',
    // `DELETE {apiUrl}/applications/{client_id}/grant`, Basic `client_id:client_secret`, JSON
    // `{"access_token": …}` → 204: deletes the whole grant (every token of the app for that user).
    // GitHub needs a working access token, so an expired GitHub App user token is refreshed first;
    // 404 (already gone, e.g. the user revoked the app in their settings) counts as revoked.
    // https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
    revocation: {
      endpoint: (app) => `${app.apiUrl}/applications/{client_id}/grant`,
      method: 'DELETE',
      token: 'access_token',
      tokenParameter: 'access_token',
      bodyFormat: 'json',
      clientAuthentication: 'client_secret_basic',
      alreadyRevokedStatuses: [404],
      needsLiveAccessToken: true,
      headers: API_HEADERS,
    },
  },
  staticToken: (app) => (app.token ? { accessToken: app.token, tokenType: 'Bearer' } : undefined),
  userCredentials: { extras: ['refresh_token_expires_in'] },
  api: {
    baseUrl: ({ app }) => app.apiUrl,
    allowedOrigins: ({ app }) => (app.apiUrl === GITHUB_API_URL ? [GITHUB_UPLOADS_URL] : []),
    headers: API_HEADERS,
  },
  // https://docs.github.com/en/rest/users/users#get-the-authenticated-user
  identity: { endpoint: '/user', id: 'id', label: 'login' },
  documentation: {
    urls: [
      'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
      'https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
      'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens',
      'https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization',
      'https://docs.github.com/en/rest/users/users#get-the-authenticated-user',
      'https://docs.github.com/en/rest/about-the-rest-api/api-versions',
      'https://github.blog/changelog/2025-07-14-pkce-support-for-oauth-and-github-app-authentication',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'OAuth App tokens (`gho_…`) never expire and have no refresh token; GitHub App user tokens (`ghu_…`) live 8 hours with a six-month refresh token (`refresh_token_expires_in`).',
      '`scope` is space-delimited on the authorization request and comma-separated in token responses; GitHub App user tokens come back with an empty `scope` (GitHub Apps use permissions).',
      'Installation access tokens (`auth.github.installation`) are a second flow, not OAuth: an app JWT at `POST /app/installations/{id}/access_tokens`.',
    ],
  },
  // Credentials stored before the `identity` lookup carry `user_id` / `user_login` instead.
  account: (credentials) => {
    const { account_id, account_label, user_id, user_login } = credentials.extras;
    const id = account_id ?? (typeof user_id === 'number' ? String(user_id) : undefined);
    const label = account_id !== undefined ? account_label : user_login;
    return id ? { id, ...(label ? { label } : {}) } : undefined;
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
 * exchange (a failed lookup keeps the credential, without an account); it is `undefined` for
 * personal access tokens.
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
