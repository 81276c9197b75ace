import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors as joseErrors, jwtVerify } from 'jose';
import { approve } from '../emulator/approve.js';
import { GrantStore, type Consent, type IssuedTokens } from '../emulator/GrantStore.js';
import { toLoopback } from '../emulator/loopbackLayout.js';
import { sendJson, startLoopbackServer } from '../emulator/loopbackServer.js';
import { verifyS256 } from '../emulator/pkce.js';
import { BodyTooLargeError, readBody } from '../emulator/readBody.js';
import { RequestLog, type EmulatorEndpoint, type EmulatorRequest, type InjectedFailure } from '../emulator/RequestLog.js';
import { safeEqual } from '../emulator/safeEqual.js';
import { EMULATOR_REDIRECT_URI } from '../emulator/startProviderEmulator.js';
import { flatHeaders, sendFailure } from '../emulator/httpAnswers.js';
import type { EmulatorControls } from '../emulator/startProviderEmulator.js';

/**
 * How the emulated app issues user tokens:
 * - `'oauth-app'`: an OAuth App; `gho_` tokens that never expire, no refresh token, `scope` echoed
 *   comma-separated;
 * - `'github-app'`: a GitHub App with expiring user tokens; `ghu_` tokens with `expires_in`,
 *   a `ghr_` refresh token with `refresh_token_expires_in`, `scope` empty (GitHub Apps use permissions).
 * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 */
export type GithubEmulatorMode = 'oauth-app' | 'github-app';

/**
 * The endpoints the request log names (the kit's names): `authorize` and `token` on github.com
 * (`token` also names `POST /app/installations/{id}/access_tokens`, the installation-token flow),
 * `identity` for `GET /user`, `revocation` for `DELETE /applications/{client_id}/grant|token`,
 * `api` for the rest of api.github.com (`GET /installation/repositories`; other paths 404).
 */
export type GithubEmulatorEndpoint = Extract<EmulatorEndpoint, 'authorize' | 'token' | 'identity' | 'revocation' | 'api' | 'unknown'>;

/** One request as the emulator received it, and the HTTP status it answered. */
export interface GithubEmulatorRequest extends EmulatorRequest {
  /** Set once the answer is sent. */
  readonly status: number | undefined;
}

/** A user who can authorize the app. */
export interface GithubEmulatorUser {
  /** Numeric user id (`GET /user` → `id`). */
  readonly id: number;
  /** Handle (`GET /user` → `login`). */
  readonly login: string;
}

/** Options of {@link startGithubEmulator}. */
export interface GithubEmulatorOptions {
  /** Token mode; switch later with {@link GithubEmulator.setMode}. @default 'oauth-app' */
  readonly mode?: GithubEmulatorMode;
  /** @default random `Iv1.…` */
  readonly clientId?: string;
  /** @default random 40 hex chars */
  readonly clientSecret?: string;
  /**
   * The registered callback URL. `redirect_uri` must have its host and port and a path at or under
   * its path (GitHub's rule), else the user is sent back here with `error=redirect_uri_mismatch`;
   * an authorization request without `redirect_uri` comes back here. @default {@link EMULATOR_REDIRECT_URI}
   */
  readonly redirectUri?: string;
  /** Users who can authorize; the first one does unless {@link GithubEmulator.setUser}. */
  readonly users?: readonly GithubEmulatorUser[];
  /** GitHub App user-token lifetime, seconds (`expires_in`). @default 28800 */
  readonly accessTokenLifetimeSeconds?: number;
  /** Refresh-token lifetime, seconds (`refresh_token_expires_in`). @default 15897600 */
  readonly refreshTokenLifetimeSeconds?: number;
  /** Installation access-token lifetime, seconds. @default 3600 */
  readonly installationTokenLifetimeSeconds?: number;
  /** GitHub App id (the JWT `iss`; the client id is accepted too, as GitHub does). @default '424242' */
  readonly appId?: string;
  /** PEM public key to verify app JWTs against. @default a new key pair, private half in {@link GithubEmulator.appPrivateKey} */
  readonly appPublicKey?: string;
  /** Installations of the app that exist. @default [4242] */
  readonly installationIds?: readonly number[];
  /**
   * Stricter than GitHub: `GET /user` and the API answer 400 unless the request carries
   * `X-GitHub-Api-Version` and an `Accept` naming `application/vnd.github` (GitHub falls back to
   * defaults), so a binding that forgets them fails its tests. @default true
   */
  readonly strictHeaders?: boolean;
  /** `X-GitHub-Api-Version` values the API accepts (others get 400, as GitHub). @default ['2022-11-28'] */
  readonly apiVersions?: readonly string[];
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** App credentials for `github(...)`: the client, and both hosts on the emulator. */
export interface GithubEmulatorAppCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  /** Stands for `https://api.github.com`: API calls, revocation, installation tokens. */
  readonly apiUrl: string;
}

/** A running GitHub emulator (see {@link startGithubEmulator}). */
export interface GithubEmulator extends EmulatorControls<GithubEmulatorEndpoint, GithubEmulatorRequest, GithubEmulatorAppCredentials> {
  /** Endpoint URLs; `revocation` is the grant's, `api` is `GET /installation/repositories`. */
  readonly endpoints: Readonly<Record<Exclude<GithubEmulatorEndpoint, 'unknown'>, string>>;
  /** Who approves the next authorization (see {@link GithubEmulator.setUser}): id and login. */
  readonly account: { readonly id: string; readonly label: string };
  /** Personal access tokens issued so far ({@link GithubEmulator.issuePersonalAccessToken}). */
  readonly staticTokens: readonly string[];
  /** The GitHub App id (JWT `iss`). */
  readonly appId: string;
  /** The GitHub App's private key, PKCS#1 PEM as GitHub downloads it; `undefined` when `appPublicKey` was given. */
  readonly appPrivateKey: string | undefined;
  readonly installationIds: readonly number[];
  readonly users: readonly GithubEmulatorUser[];
  /** Switches between OAuth App tokens (never expire) and GitHub App user tokens (expire, refresh). */
  setMode(mode: GithubEmulatorMode): void;
  /** Who approves the next authorizations (by login; one of `users`). */
  setUser(login: string): void;
  /** The next authorization redirects back with `error=access_denied` (the user clicked Cancel). */
  denyNextAuthorization(): void;
  /** Every access token issued so far stops working (the API answers 401 Bad credentials). */
  expireAccessTokens(): void;
  /** Every refresh token issued so far stops working (`bad_refresh_token`); access tokens keep working. */
  expireRefreshTokens(): void;
  /** Whether a refresh issues a new refresh token (GitHub always does). */
  setRefreshTokenRotation(rotate: boolean): void;
  /** Issues a personal access token (`ghp_…`) for a user, as if made in Settings → Developer settings. */
  issuePersonalAccessToken(login: string): string;
  /** Whether a token the emulator issued (any kind) still works. */
  isTokenActive(token: string): boolean;
}

const DEFAULT_USERS: readonly GithubEmulatorUser[] = [{ id: 1001, login: 'octo-user' }, { id: 1002, login: 'other-user' }];
const AUTHORIZATION_URL = 'https://github.com/login/oauth/authorize';
const TOKEN_URL = 'https://github.com/login/oauth/access_token';
const API_URL = 'https://api.github.com';
const JWT_MAX_LIFETIME_SECONDS = 600;
const ERROR_URI = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';
/** OAuth App tokens do not expire: a lifetime no test outlives. */
const NEVER_SECONDS = 100 * 365 * 86400;

/** GitHub's REST error body: `{ message, documentation_url, status }`. */
function sendApiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
}

/**
 * GitHub's callback rule: same host and port, path at or under the registered path; a loopback
 * callback URL registered without a port matches any port ("Loopback redirect urls").
 */
function redirectAllowed(registered: string, given: string): boolean {
  let r: URL; let g: URL;
  try { r = new URL(registered); g = new URL(given); } catch { return false; }
  const base = r.pathname.endsWith('/') ? r.pathname : `${r.pathname}/`;
  const anyPort = r.port === '' && (r.hostname === '127.0.0.1' || r.hostname === 'localhost');
  const sameHost = anyPort ? r.hostname === g.hostname : r.host === g.host;
  return r.protocol === g.protocol && sameHost && (g.pathname === r.pathname || g.pathname.startsWith(base));
}

/**
 * Starts a GitHub emulator on 127.0.0.1, built on the emulator kit: github.com
 * (`/login/oauth/authorize`, `/login/oauth/access_token`) and api.github.com (`GET /user`,
 * `DELETE /applications/{client_id}/grant|token`, `POST /app/installations/{id}/access_tokens`,
 * `GET /installation/repositories`), each below a path named after its host.
 *
 * Wire behaviour reproduced (docs.github.com, "Authorizing OAuth apps", "Refreshing user access
 * tokens", "Generating a JSON Web Token (JWT) for a GitHub App", REST "OAuth authorizations"):
 * - authorization auto-approves as the current user and redirects (302) with `code` and `state`;
 *   PKCE `code_challenge` optional, `S256` only;
 * - the token endpoint takes the client secret in the body (a Basic header is ignored), answers
 *   `application/x-www-form-urlencoded` unless `Accept: application/json`, and sends errors
 *   (`incorrect_client_credentials`, `bad_verification_code`, `bad_refresh_token`,
 *   `redirect_uri_mismatch`) with **HTTP 200** and an `error_uri`; codes are single-use, 10 minutes;
 * - refresh rotates: the used refresh token and the old access token stop working;
 * - the API requires a `User-Agent` (403 without, as GitHub) and a live token (401 `Bad credentials`);
 * - revocation needs Basic `client_id:client_secret` and a JSON body `{"access_token"}` → 204;
 * - installation tokens need an RS256 app JWT (`iss` = app id or client id, `exp` at most 10 minutes
 *   ahead) → 201 `{ token, expires_at, permissions, repository_selection }`.
 *
 * Assumptions (GitHub does not document them): a code dies at its first redemption, even a failed
 * one; a wrong PKCE `code_verifier` gets `bad_verification_code`; revoking an unknown token answers
 * 404; a wrong Basic credential on revocation answers 401.
 *
 * Tokens are the kit's grant-store tokens behind GitHub's prefixes (`gho_`, `ghu_`, `ghr_`, `ghs_`).
 *
 * @param options - see {@link GithubEmulatorOptions}
 * @returns the running emulator; `close()` it when done
 * @example
 * ```ts
 * const gh = await startGithubEmulator({ mode: 'github-app' });
 * const auth = new AuthManager({ providers: [github(gh.appCredentials)] });
 * const { url } = await auth.github.oauth2.authorize({ subject: 'user-1' });
 * await auth.github.oauth2.complete({ callbackUrl: await gh.approve(url) });
 * gh.requestCount('token'); // 1
 * await gh.close();
 * ```
 */
export async function startGithubEmulator(options: GithubEmulatorOptions = {}): Promise<GithubEmulator> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = options.clientSecret ?? randomBytes(20).toString('hex');
  const redirectUri = options.redirectUri ?? EMULATOR_REDIRECT_URI;
  const appId = options.appId ?? '424242';
  const users = [...(options.users ?? DEFAULT_USERS)];
  const accessLifetime = options.accessTokenLifetimeSeconds ?? 28_800;
  const refreshLifetime = options.refreshTokenLifetimeSeconds ?? 15_897_600;
  const installationIds = [...(options.installationIds ?? [4242])];
  const strictHeaders = options.strictHeaders ?? true;
  const apiVersions = new Set(options.apiVersions ?? ['2022-11-28']);

  let appPrivateKey: string | undefined;
  let appPublicKey: KeyObject;
  if (options.appPublicKey) {
    appPublicKey = createPublicKey(options.appPublicKey);
  } else {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
    appPrivateKey = pair.privateKey;
    appPublicKey = createPublicKey(pair.publicKey);
  }

  let mode: GithubEmulatorMode = options.mode ?? 'oauth-app';
  let currentUser: GithubEmulatorUser = users[0] ?? DEFAULT_USERS[0]!;
  let denyNext = false;
  let rotate = true;
  const log = new RequestLog();
  // One grant store per kind of token; a prefix says which store a token is from.
  const stores = {
    gho: new GrantStore({ accessTokenSeconds: NEVER_SECONDS, codeSeconds: 600 }, now),
    ghu: new GrantStore({ accessTokenSeconds: accessLifetime, refreshTokenSeconds: refreshLifetime, codeSeconds: 600 }, now),
    ghs: new GrantStore({ accessTokenSeconds: options.installationTokenLifetimeSeconds ?? 3600, codeSeconds: 600 }, now),
  };
  const codes = stores.gho;
  const userOf = new WeakMap<Consent, GithubEmulatorUser>();
  const installationOf = new WeakMap<Consent, number>();
  const accessTokenOf = new WeakMap<object, string>();
  const liveAccessTokens = new Set<string>();
  const refreshTokens = new Set<string>();
  const deadRefreshTokens = new Set<string>();
  const pats = new Map<string, GithubEmulatorUser>();
  const deadPats = new Set<string>();

  /** A presented token, split into its GitHub prefix and the grant-store token behind it. */
  const parse = (token: string | undefined) => {
    const m = /^(gho|ghu|ghr|ghs|ghp)_(.+)$/.exec(token ?? '');
    return m ? { kind: m[1] as 'gho' | 'ghu' | 'ghr' | 'ghs' | 'ghp', inner: m[2]! } : undefined;
  };
  /** The grant of a live access token (`gho_`, `ghu_`, `ghs_`). */
  const accessGrant = (token: string | undefined) => {
    const t = parse(token);
    return t && t.kind !== 'ghr' && t.kind !== 'ghp' ? stores[t.kind].accessGrant(t.inner) : undefined;
  };
  /** The user a live user token (`gho_`, `ghu_`, `ghp_`) acts as. */
  const userBehind = (token: string | undefined) => {
    if (token !== undefined && pats.has(token)) return deadPats.has(token) ? undefined : pats.get(token);
    const grant = accessGrant(token);
    return grant?.user ? userOf.get(grant.consent) : undefined;
  };

  /** Names the store's tokens with GitHub's prefixes; the grant's previous access token dies. */
  const named = (kind: 'gho' | 'ghu' | 'ghs', tokens: IssuedTokens) => {
    const previous = accessTokenOf.get(tokens.grant);
    if (previous !== undefined) { stores[kind].revoke(parse(previous)!.inner, 'access_token'); liveAccessTokens.delete(previous); }
    const accessToken = `${kind}_${tokens.accessToken}`;
    accessTokenOf.set(tokens.grant, accessToken);
    liveAccessTokens.add(accessToken);
    const refreshToken = tokens.grant.refreshToken === undefined ? undefined : `ghr_${tokens.grant.refreshToken}`;
    if (refreshToken) refreshTokens.add(refreshToken);
    return { accessToken, refreshToken };
  };

  const userTokens = (consent: Consent): Record<string, unknown> => {
    if (mode === 'oauth-app') {
      const { accessToken } = named('gho', stores.gho.open(consent, true, false));
      return { access_token: accessToken, token_type: 'bearer', scope: consent.scopes.join(',') };
    }
    return appUserTokens(stores.ghu.open(consent, true, true));
  };
  const appUserTokens = (issued: IssuedTokens): Record<string, unknown> => {
    const { accessToken, refreshToken } = named('ghu', issued);
    return {
      access_token: accessToken, expires_in: issued.expiresInSeconds, refresh_token: refreshToken,
      refresh_token_expires_in: refreshLifetime, token_type: 'bearer', scope: '',
    };
  };

  const server = await startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const { endpoint, match } = route(method, url.pathname);
    let body;
    try { body = await readBody(req); } catch (err) {
      if (err instanceof BodyTooLargeError) return sendApiError(res, 413, err.message);
      throw err;
    }
    // GitHub reads the token endpoint's parameters from the query and from a form or JSON body.
    const fromBody = body.format === 'other' ? Object.fromEntries(new URLSearchParams(body.raw)) : body.params;
    const params = method === 'GET' ? Object.fromEntries(url.searchParams) : { ...Object.fromEntries(url.searchParams), ...fromBody };
    const entry: { -readonly [K in keyof GithubEmulatorRequest]: GithubEmulatorRequest[K] } = {
      endpoint, method, path: req.url ?? '/', headers: flatHeaders(req), body: body.raw, params, status: undefined,
    };
    log.record(entry);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => { entry.status = args[0] as number; return writeHead(...args); }) as typeof res.writeHead;
    const failure = log.takeFailure(endpoint);
    if (failure) return sendFailure(res, failure);
    switch (match) {
      case 'authorize': return authorize(params, res);
      case 'token': return token(req, params, res);
      case 'user': return getUser(req, res);
      case 'revokeGrant': case 'revokeToken': return revoke(req, decodeURIComponent(routeArg(url.pathname)), match === 'revokeGrant', body, res);
      case 'installationToken': return installationToken(req, Number(routeArg(url.pathname)), res);
      case 'installationRepositories': return installationRepositories(req, res);
      default: return sendApiError(res, 404, 'Not Found');
    }
  });

  const loopback = (real: string) => toLoopback(real, server.origin)!;
  const appCredentials: GithubEmulatorAppCredentials = {
    clientId, clientSecret, redirectUri,
    authorizationUrl: loopback(AUTHORIZATION_URL), tokenUrl: loopback(TOKEN_URL), apiUrl: loopback(API_URL),
  };
  const webPath = new URL(appCredentials.authorizationUrl).pathname.replace(/\/login\/oauth\/authorize$/, '');
  const apiPath = new URL(appCredentials.apiUrl).pathname;
  const routeArg = (pathname: string) => /^\/(?:applications|app\/installations)\/([^/]+)/.exec(pathname.slice(apiPath.length))![1]!;

  type Match = 'authorize' | 'token' | 'user' | 'revokeGrant' | 'revokeToken' | 'installationToken' | 'installationRepositories' | 'none';
  function route(method: string, pathname: string): { endpoint: GithubEmulatorEndpoint; match: Match } {
    if (pathname === `${webPath}/login/oauth/authorize`) return { endpoint: 'authorize', match: method === 'GET' ? 'authorize' : 'none' };
    if (pathname === `${webPath}/login/oauth/access_token`) return { endpoint: 'token', match: method === 'POST' ? 'token' : 'none' };
    if (!pathname.startsWith(`${apiPath}/`)) return { endpoint: 'unknown', match: 'none' };
    const path = pathname.slice(apiPath.length);
    if (path === '/user') return { endpoint: 'identity', match: method === 'GET' ? 'user' : 'none' };
    const revocation = /^\/applications\/[^/]+\/(grant|token)$/.exec(path);
    if (revocation) return { endpoint: 'revocation', match: method !== 'DELETE' ? 'none' : revocation[1] === 'grant' ? 'revokeGrant' : 'revokeToken' };
    if (/^\/app\/installations\/\d+\/access_tokens$/.test(path)) return { endpoint: 'token', match: method === 'POST' ? 'installationToken' : 'none' };
    return { endpoint: 'api', match: method === 'GET' && path === '/installation/repositories' ? 'installationRepositories' : 'none' };
  }

  // ---- github.com ---------------------------------------------------------------------------------

  function authorize(q: Readonly<Record<string, string>>, res: ServerResponse): void {
    if (q.client_id !== clientId) return void res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>404</h1><p>Not Found (unknown client_id)</p>');
    const back = (target: string, answer: Record<string, string>) => {
      const to = new URL(target);
      for (const [k, v] of Object.entries({ ...answer, ...(q.state !== undefined ? { state: q.state } : {}) })) to.searchParams.set(k, v);
      res.writeHead(302, { location: to.href }).end();
    };
    const given = q.redirect_uri;
    if (given !== undefined && !redirectAllowed(redirectUri, given)) {
      return back(redirectUri, {
        error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
        error_uri: `${ERROR_URI}#redirect-uri-mismatch`,
      });
    }
    const redirectTo = given ?? redirectUri;
    if (q.code_challenge !== undefined && q.code_challenge_method !== 'S256') {
      return back(redirectTo, { error: 'invalid_request', error_description: 'Only the S256 code_challenge_method is supported.' });
    }
    if (denyNext) {
      denyNext = false;
      return back(redirectTo, {
        error: 'access_denied', error_description: 'The user has denied your application access.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
      });
    }
    const consent: Consent = {
      clientId, scopes: (q.scope ?? '').split(/[\s,]+/).filter(Boolean),
      ...(given !== undefined ? { redirectUri: given } : {}), ...(q.code_challenge !== undefined ? { codeChallenge: q.code_challenge } : {}),
    };
    userOf.set(consent, currentUser);
    back(redirectTo, { code: codes.issueCode(consent) });
  }

  function token(req: IncomingMessage, p: Readonly<Record<string, string>>, res: ServerResponse): void {
    const reply = (payload: Record<string, unknown>) => {
      if ((req.headers.accept ?? '').includes('application/json')) return sendJson(res, 200, payload);
      const form = new URLSearchParams(Object.entries(payload).map(([k, v]) => [k, String(v)]));
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(form.toString());
    };
    const fail = (error: string, description: string) => reply({ error, error_description: description, error_uri: `${ERROR_URI}#${error.replace(/_/g, '-')}` });
    // The secret is read from the parameters only (PROVIDERS.md: "Secret in the form body").
    if (p.client_id !== clientId || !safeEqual(p.client_secret, clientSecret)) {
      return fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    }
    if (p.grant_type === 'refresh_token') {
      const presented = parse(p.refresh_token);
      // "Once you use a refresh token, that refresh token and the old user access token will no longer work."
      const issued = presented?.kind === 'ghr' && !deadRefreshTokens.has(p.refresh_token!)
        ? stores.ghu.refresh(presented.inner, rotate ? 'rotates' : 'reuses') : undefined;
      return issued ? reply(appUserTokens(issued)) : fail('bad_refresh_token', 'The refresh token passed is incorrect or expired.');
    }
    const consent = codes.redeemCode(p.code);
    if (!consent) return fail('bad_verification_code', 'The code passed is incorrect or expired.');
    if (p.redirect_uri !== undefined && consent.redirectUri !== undefined && p.redirect_uri !== consent.redirectUri) {
      return fail('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    }
    if (consent.codeChallenge !== undefined && !verifyS256(p.code_verifier, consent.codeChallenge)) {
      return fail('bad_verification_code', 'The code passed is incorrect or expired.');
    }
    reply(userTokens(consent));
  }

  // ---- api.github.com -----------------------------------------------------------------------------

  const bearer = (req: IncomingMessage) => /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];

  /** GitHub rejects API calls without a User-Agent; the emulator, when strict, also wants the documented headers. */
  function checkApiHeaders(req: IncomingMessage, res: ServerResponse): boolean {
    const refuse = (status: number, message: string) => { sendApiError(res, status, message); return false; };
    if (!req.headers['user-agent']) return refuse(403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.');
    const version = req.headers['x-github-api-version'];
    if (typeof version === 'string' && !apiVersions.has(version)) return refuse(400, `API version '${version}' is not supported.`);
    if (strictHeaders && version === undefined) return refuse(400, 'emulator (strict): send X-GitHub-Api-Version (GitHub would assume 2022-11-28)');
    if (strictHeaders && !(req.headers.accept ?? '').includes('application/vnd.github')) return refuse(400, 'emulator (strict): send Accept: application/vnd.github+json');
    return true;
  }

  function getUser(req: IncomingMessage, res: ServerResponse): void {
    if (!checkApiHeaders(req, res)) return;
    const presented = bearer(req);
    if (parse(presented)?.kind === 'ghs' && accessGrant(presented)) return sendApiError(res, 403, 'Resource not accessible by integration');
    const user = userBehind(presented);
    if (!user) return sendApiError(res, 401, 'Bad credentials');
    const grant = parse(presented)?.kind === 'gho' ? accessGrant(presented) : undefined;
    sendJson(res, 200, { login: user.login, id: user.id, type: 'User', site_admin: false, name: user.login }, grant ? { 'x-oauth-scopes': grant.consent.scopes.join(', ') } : {});
  }

  function revoke(req: IncomingMessage, pathClientId: string, wholeGrant: boolean, body: { format: string; params: Readonly<Record<string, string>> }, res: ServerResponse): void {
    const basic = /^basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (pathClientId !== clientId || !safeEqual(basic && Buffer.from(basic, 'base64').toString('utf8'), `${clientId}:${clientSecret}`)) {
      return sendApiError(res, 401, 'Bad credentials');
    }
    if (body.format !== 'json') return sendApiError(res, 400, 'Problems parsing JSON');
    const presented = body.params.access_token;
    if (!presented) return sendApiError(res, 422, 'Invalid request.\n\n"access_token" wasn\'t supplied.');
    const t = parse(presented);
    if (!accessGrant(presented) || (t!.kind !== 'gho' && t!.kind !== 'ghu')) return sendApiError(res, 404, 'Not Found');
    stores[t!.kind as 'gho' | 'ghu'].revoke(t!.inner, 'access_token', wholeGrant);
    res.writeHead(204).end();
  }

  async function installationToken(req: IncomingMessage, installationId: number, res: ServerResponse): Promise<void> {
    const jwt = bearer(req);
    if (!jwt || jwt.split('.').length !== 3) return sendApiError(res, 401, 'A JSON web token could not be decoded');
    let payload: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      ({ payload } = await jwtVerify(jwt, appPublicKey, { algorithms: ['RS256'], currentDate: new Date(now()) }));
    } catch (err) {
      return sendApiError(res, 401, err instanceof joseErrors.JWTExpired
        ? "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        : 'A JSON web token could not be decoded');
    }
    const nowSeconds = Math.floor(now() / 1000);
    if (payload.iss !== appId && payload.iss !== clientId) return sendApiError(res, 401, "'Issuer' claim ('iss') must be an Integer or the app's client ID");
    if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + 60) {
      return sendApiError(res, 401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    }
    if (typeof payload.exp !== 'number' || payload.exp > nowSeconds + JWT_MAX_LIFETIME_SECONDS) return sendApiError(res, 401, "'Expiration time' claim ('exp') is too far in the future");
    if (!installationIds.includes(installationId)) return sendApiError(res, 404, 'Not Found');
    const consent: Consent = { clientId: appId, scopes: [] };
    installationOf.set(consent, installationId);
    const issued = stores.ghs.open(consent, false, false);
    const { accessToken } = named('ghs', issued);
    sendJson(res, 201, {
      token: accessToken, expires_at: new Date(stores.ghs.accessExpiresAtSeconds(issued.accessToken)! * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions: { contents: 'read', metadata: 'read' }, repository_selection: 'all',
    });
  }

  function installationRepositories(req: IncomingMessage, res: ServerResponse): void {
    if (!checkApiHeaders(req, res)) return;
    const presented = bearer(req);
    const grant = accessGrant(presented);
    if (!grant && !userBehind(presented)) return sendApiError(res, 401, 'Bad credentials');
    if (!grant || parse(presented)!.kind !== 'ghs') {
      return sendApiError(res, 403, 'You must authenticate with an installation access token in order to list repositories for an installation.');
    }
    sendJson(res, 200, {
      total_count: 1, repository_selection: 'all',
      repositories: [{ id: 9001, name: 'hello-world', full_name: `installation-${installationOf.get(grant.consent)}/hello-world`, private: false }],
    });
  }

  const findUser = (login: string) => {
    const user = users.find((u) => u.login === login);
    if (!user) throw new Error(`github emulator: no user "${login}"`);
    return user;
  };
  return {
    origin: server.origin,
    appCredentials,
    connectionConfig: {},
    clientId,
    clientSecret,
    redirectUri,
    endpoints: {
      authorize: appCredentials.authorizationUrl, token: appCredentials.tokenUrl, identity: `${appCredentials.apiUrl}/user`,
      revocation: `${appCredentials.apiUrl}/applications/${clientId}/grant`, api: `${appCredentials.apiUrl}/installation/repositories`,
    },
    get account() { return { id: String(currentUser.id), label: currentUser.login }; },
    get staticTokens() { return [...pats.keys()]; },
    appId,
    appPrivateKey,
    installationIds,
    users,
    requests: (endpoint) => log.requests(endpoint) as GithubEmulatorRequest[],
    requestCount: (endpoint) => log.requestCount(endpoint),
    clearRequests: () => log.clearRequests(),
    failNext: (endpoint, failure) => log.failNext(endpoint, failure),
    approve,
    setMode: (m) => { mode = m; },
    setUser: (login) => { currentUser = findUser(login); },
    denyNextAuthorization: () => { denyNext = true; },
    expireAccessTokens: () => {
      for (const t of liveAccessTokens) { const p = parse(t)!; stores[p.kind as 'gho' | 'ghu' | 'ghs'].revoke(p.inner, 'access_token'); }
      liveAccessTokens.clear();
      for (const t of pats.keys()) deadPats.add(t);
    },
    expireRefreshTokens: () => { for (const t of refreshTokens) deadRefreshTokens.add(t); },
    setRefreshTokenRotation: (r) => { rotate = r; },
    issuePersonalAccessToken: (login) => {
      const pat = `ghp_${randomBytes(27).toString('base64url')}`;
      pats.set(pat, findUser(login));
      return pat;
    },
    isTokenActive: (t) => {
      const p = parse(t);
      if (p?.kind === 'ghr') return !deadRefreshTokens.has(t) && stores.ghu.refreshGrant(p.inner) !== undefined;
      return accessGrant(t) !== undefined || (pats.has(t) && !deadPats.has(t));
    },
    close: () => server.close(),
  };
}

