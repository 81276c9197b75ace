import { createHash, createPublicKey, generateKeyPairSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, jwtVerify } from 'jose';

/**
 * How the emulated app issues user tokens:
 * - `'oauth-app'`: an OAuth App; `gho_` tokens that never expire, no refresh token, `scope` echoed
 *   comma-separated;
 * - `'github-app'`: a GitHub App with expiring user tokens; `ghu_` tokens with `expires_in`,
 *   a `ghr_` refresh token with `refresh_token_expires_in`, `scope` empty (GitHub Apps use permissions).
 * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 */
export type GithubEmulatorMode = 'oauth-app' | 'github-app';

/** The endpoints the emulator answers, as counted in {@link GithubEmulator.counts}. */
export type GithubEmulatorEndpoint =
  /** `GET /login/oauth/authorize` on the web host. */
  | 'authorize'
  /** `POST /login/oauth/access_token` on the web host (code and refresh grants). */
  | 'token'
  /** `GET /user` on the API host. */
  | 'user'
  /** `DELETE /applications/{client_id}/grant` on the API host. */
  | 'revokeGrant'
  /** `DELETE /applications/{client_id}/token` on the API host. */
  | 'revokeToken'
  /** `POST /app/installations/{installation_id}/access_tokens` on the API host. */
  | 'installationToken'
  /** `GET /installation/repositories` on the API host. */
  | 'installationRepositories'
  /** Anything else (answered 404). */
  | 'unknown';

/** One request as the emulator received it. */
export interface GithubEmulatorRequest {
  /** Which host: `web` stands for github.com, `api` for api.github.com. */
  readonly host: 'web' | 'api';
  readonly endpoint: GithubEmulatorEndpoint;
  readonly method: string;
  /** Path and query string, as sent. */
  readonly path: string;
  /** Request headers, names lower-cased (Node's `IncomingMessage.headers`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body exactly as received (`''` when there was none). */
  readonly body: string;
  /** The HTTP status the emulator answered (set once the answer is sent). */
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
  /** Token mode; switch later with {@link GithubEmulatorControls.setMode}. @default 'oauth-app' */
  readonly mode?: GithubEmulatorMode;
  /** Client id the app is registered with. @default random `Iv1.…` */
  readonly clientId?: string;
  /** Client secret the app is registered with. @default random 40 hex chars */
  readonly clientSecret?: string;
  /**
   * The registered callback URL. When set, `redirect_uri` must have its host and port and a path
   * under its path (GitHub's rule), else the user is sent back with `error=redirect_uri_mismatch`;
   * when `redirect_uri` is omitted this URL is used. When unset, any `redirect_uri` is accepted.
   */
  readonly callbackUrl?: string;
  /** Users who can authorize; the first one does unless {@link GithubEmulatorControls.setUser}. */
  readonly users?: readonly GithubEmulatorUser[];
  /** GitHub App user-token lifetime, seconds (`expires_in`). @default 28800 */
  readonly accessTokenLifetimeSeconds?: number;
  /** Refresh-token lifetime, seconds (`refresh_token_expires_in`). @default 15897600 */
  readonly refreshTokenLifetimeSeconds?: number;
  /** Installation access-token lifetime, seconds. @default 3600 */
  readonly installationTokenLifetimeSeconds?: number;
  /** GitHub App id (the JWT `iss`; the client id is accepted too, as GitHub does). @default '424242' */
  readonly appId?: string;
  /**
   * PEM public key of the GitHub App, to verify app JWTs against. When omitted the emulator makes an
   * RSA key pair and hands out the private key as {@link GithubEmulator.appPrivateKey}.
   */
  readonly appPublicKey?: string;
  /** Installations of the app that exist. @default [4242] */
  readonly installationIds?: readonly number[];
  /**
   * Stricter than GitHub: `GET /user` answers 400 unless the request carries
   * `X-GitHub-Api-Version` and an `Accept` naming `application/vnd.github` (GitHub falls back to
   * defaults), so a binding that forgets them fails its tests. @default true
   */
  readonly strictHeaders?: boolean;
  /** `X-GitHub-Api-Version` values the API accepts (others get 400, as GitHub). @default ['2022-11-28'] */
  readonly apiVersions?: readonly string[];
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Switches and probes of a running emulator. */
export interface GithubEmulatorControls {
  /** Switches between OAuth App tokens (never expire) and GitHub App user tokens (expire, refresh). */
  setMode(mode: GithubEmulatorMode): void;
  /** Who approves the next authorizations (by login; must be one of the configured users). */
  setUser(login: string): void;
  /** The next authorization redirects back with `error=access_denied` (the user clicked Cancel). */
  denyNextAuthorization(): void;
  /** Every access token issued so far stops working (the API answers 401 Bad credentials). */
  expireAccessTokens(): void;
  /** Every refresh token issued so far stops working (the token endpoint answers `bad_refresh_token`). */
  expireRefreshTokens(): void;
  /** Whether a refresh issues a new refresh token (GitHub always does). @default true */
  setRefreshTokenRotation(rotate: boolean): void;
  /**
   * The next request to `endpoint` gets this HTTP status with a GitHub-style error body
   * (for 5xx and network-fault tests), or with `rawBody` exactly as given, labelled
   * `application/json; charset=utf-8` whatever it holds (for malformed-response tests, e.g. a 201
   * from the installation-token endpoint whose body is not JSON).
   */
  failNext(endpoint: GithubEmulatorEndpoint, status: number, rawBody?: string): void;
  /** Issues a personal access token (`ghp_…`) for a user, as if made in Settings → Developer settings. */
  issuePersonalAccessToken(login: string): string;
  /** State of any token the emulator issued. */
  tokenStatus(token: string): 'active' | 'expired' | 'revoked' | 'unknown';
  /** Clears the request log and the counters. */
  resetLog(): void;
}

/**
 * A running GitHub emulator (see {@link startGithubEmulator}).
 */
export interface GithubEmulator {
  /** Stands for `https://github.com` (authorization and token endpoints). */
  readonly webUrl: string;
  /** Stands for `https://api.github.com` (REST API, revocation, installation tokens). */
  readonly apiUrl: string;
  /**
   * Endpoint overrides for the provider factory:
   * `github({ ...emulator.endpoints, clientId: emulator.clientId, clientSecret: emulator.clientSecret })`.
   */
  readonly endpoints: { readonly authorizationUrl: string; readonly tokenUrl: string; readonly apiUrl: string };
  /** The client id the emulator accepts. */
  readonly clientId: string;
  /** The client secret the emulator accepts. */
  readonly clientSecret: string;
  /** The GitHub App id (JWT `iss`). */
  readonly appId: string;
  /**
   * The GitHub App's private key, PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`, the format GitHub
   * downloads); `undefined` when `appPublicKey` was given.
   */
  readonly appPrivateKey: string | undefined;
  /** The installations that exist. */
  readonly installationIds: readonly number[];
  /** Users who can authorize. */
  readonly users: readonly GithubEmulatorUser[];
  /** Requests received per endpoint. */
  readonly counts: Readonly<Record<GithubEmulatorEndpoint, number>>;
  /** Every request received, in order. */
  readonly requests: readonly GithubEmulatorRequest[];
  readonly controls: GithubEmulatorControls;
  /**
   * Plays the user's browser: requests the authorization URL without following redirects and
   * returns where GitHub sends the user back (the callback URL with `code` and `state`, or `error`).
   * @throws Error when the emulator does not redirect (e.g. unknown `client_id`)
   */
  approve(authorizationUrl: string | URL): Promise<string>;
  /** Stops both listeners. */
  close(): Promise<void>;
}

interface CodeRecord {
  readonly userId: number;
  readonly redirectUri: string | undefined;
  readonly scope: string;
  readonly codeChallenge: string | undefined;
  readonly expiresAtMs: number;
  used: boolean;
}

interface GrantRecord { readonly userId: number; readonly scope: string }

interface TokenRecord {
  readonly kind: 'gho' | 'ghu' | 'ghr' | 'ghp' | 'ghs';
  readonly userId?: number;
  readonly grant?: GrantRecord;
  readonly installationId?: number;
  expiresAtMs: number | undefined;
  revoked: boolean;
}

const DEFAULT_USERS: readonly GithubEmulatorUser[] = [
  { id: 1001, login: 'octo-user' },
  { id: 1002, login: 'other-user' },
];

const ENDPOINTS: readonly GithubEmulatorEndpoint[] = [
  'authorize', 'token', 'user', 'revokeGrant', 'revokeToken', 'installationToken', 'installationRepositories', 'unknown',
];

const CODE_LIFETIME_MS = 10 * 60_000;
const JWT_MAX_LIFETIME_SECONDS = 600;
const ERROR_URI = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `prefix_` + 36 random base62 chars (the shape of GitHub's 40-char tokens). */
function newToken(prefix: string): string {
  const bytes = randomBytes(36);
  let out = `${prefix}_`;
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** GitHub REST error body: `{ message, documentation_url, status }`. */
function sendApiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** RFC 7636 S256: BASE64URL(SHA256(verifier)). */
function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** GitHub's callback rule: same host and port, path at or under the registered path. */
function redirectAllowed(registered: string, given: string): boolean {
  let r: URL; let g: URL;
  try { r = new URL(registered); g = new URL(given); } catch { return false; }
  const base = r.pathname.endsWith('/') ? r.pathname : `${r.pathname}/`;
  return r.protocol === g.protocol && r.host === g.host && (g.pathname === r.pathname || g.pathname.startsWith(base));
}

/**
 * Starts a GitHub emulator on 127.0.0.1: two listeners, one for the web host (`github.com`:
 * `/login/oauth/authorize`, `/login/oauth/access_token`) and one for the API host
 * (`api.github.com`: `GET /user`, `DELETE /applications/{client_id}/grant|token`,
 * `POST /app/installations/{id}/access_tokens`, `GET /installation/repositories`).
 *
 * Wire behaviour reproduced (docs.github.com, "Authorizing OAuth apps", "Refreshing user access
 * tokens", "Generating a JSON Web Token (JWT) for a GitHub App", REST "OAuth authorizations"):
 * - authorization auto-approves as the current user and redirects (302) with `code` and `state`;
 *   PKCE `code_challenge` accepted with `S256` only;
 * - the token endpoint takes the client secret in the body (a Basic header is ignored), answers
 *   `application/x-www-form-urlencoded` unless `Accept: application/json`, and sends errors
 *   (`incorrect_client_credentials`, `bad_verification_code`, `bad_refresh_token`,
 *   `redirect_uri_mismatch`) with **HTTP 200**; codes are single-use and live 10 minutes;
 * - refresh rotates: the used refresh token and the old access token stop working;
 * - the API requires a `User-Agent` (403 without, as GitHub) and a valid token (401 `Bad credentials`);
 * - revocation needs Basic `client_id:client_secret` and a JSON body `{"access_token"}` → 204;
 * - installation tokens need an RS256 app JWT (`iss` = app id or client id, `exp` at most 10 minutes
 *   ahead) → 201 `{ token, expires_at, permissions, repository_selection }`.
 *
 * Assumptions (GitHub does not document them): a wrong PKCE `code_verifier` gets `bad_verification_code`;
 * revoking an unknown token answers 404; a wrong Basic credential on revocation answers 401.
 *
 * @param options - see {@link GithubEmulatorOptions}
 * @returns the running emulator; `close()` it when done
 * @example
 * ```ts
 * const gh = await startGithubEmulator({ mode: 'github-app' });
 * const auth = new AuthManager({ providers: [github({ ...gh.endpoints, clientId: gh.clientId, clientSecret: gh.clientSecret, redirectUri })] });
 * const { url } = await auth.github.oauth2.authorize({ subject: 'user-1' });
 * await auth.github.oauth2.complete({ callbackUrl: await gh.approve(url) });
 * gh.counts.token; // 1
 * await gh.close();
 * ```
 */
export async function startGithubEmulator(options: GithubEmulatorOptions = {}): Promise<GithubEmulator> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = options.clientSecret ?? randomBytes(20).toString('hex');
  const appId = options.appId ?? '424242';
  const users = [...(options.users ?? DEFAULT_USERS)];
  const accessLifetime = options.accessTokenLifetimeSeconds ?? 28_800;
  const refreshLifetime = options.refreshTokenLifetimeSeconds ?? 15_897_600;
  const installationLifetime = options.installationTokenLifetimeSeconds ?? 3600;
  const installationIds = [...(options.installationIds ?? [4242])];
  const strictHeaders = options.strictHeaders ?? true;
  const apiVersions = new Set(options.apiVersions ?? ['2022-11-28']);

  let appPrivateKey: string | undefined;
  let appPublicKey: KeyObject;
  if (options.appPublicKey) {
    appPublicKey = createPublicKey(options.appPublicKey);
  } else {
    const pair = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    appPrivateKey = pair.privateKey;
    appPublicKey = createPublicKey(pair.publicKey);
  }

  let mode: GithubEmulatorMode = options.mode ?? 'oauth-app';
  let currentUser: GithubEmulatorUser = users[0] ?? DEFAULT_USERS[0]!;
  let denyNext = false;
  let rotate = true;
  const failures = new Map<GithubEmulatorEndpoint, { readonly status: number; readonly rawBody: string | undefined }>();
  const codes = new Map<string, CodeRecord>();
  const tokens = new Map<string, TokenRecord>();
  const counts = Object.fromEntries(ENDPOINTS.map((e) => [e, 0])) as Record<GithubEmulatorEndpoint, number>;
  const requests: GithubEmulatorRequest[] = [];

  const userById = (id: number | undefined) => users.find((u) => u.id === id);
  const isActive = (t: TokenRecord | undefined): t is TokenRecord =>
    t !== undefined && !t.revoked && (t.expiresAtMs === undefined || t.expiresAtMs > now());

  // ---- web host: github.com -------------------------------------------------------------------

  const authorize = (url: URL, res: ServerResponse) => {
    const q = url.searchParams;
    if (q.get('client_id') !== clientId) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<h1>404</h1><p>Not Found (unknown client_id)</p>');
      return;
    }
    const given = q.get('redirect_uri') ?? undefined;
    const state = q.get('state');
    const back = (target: string, params: Record<string, string>) => {
      const to = new URL(target);
      for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
      if (state !== null) to.searchParams.set('state', state);
      res.writeHead(302, { location: to.href });
      res.end();
    };
    if (given === undefined && options.callbackUrl === undefined) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<p>No redirect_uri and no registered callback URL</p>');
      return;
    }
    if (given !== undefined && options.callbackUrl !== undefined && !redirectAllowed(options.callbackUrl, given)) {
      back(options.callbackUrl, {
        error: 'redirect_uri_mismatch',
        error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
        error_uri: `${ERROR_URI}#redirect-uri-mismatch`,
      });
      return;
    }
    const redirectTo = given ?? options.callbackUrl!;
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge !== undefined && q.get('code_challenge_method') !== 'S256') {
      back(redirectTo, { error: 'invalid_request', error_description: 'Only the S256 code_challenge_method is supported.' });
      return;
    }
    if (denyNext) {
      denyNext = false;
      back(redirectTo, {
        error: 'access_denied',
        error_description: 'The user has denied your application access.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
      });
      return;
    }
    const code = randomBytes(10).toString('hex');
    const requested = (q.get('scope') ?? '').split(/[\s,]+/).filter(Boolean);
    codes.set(code, {
      userId: currentUser.id, redirectUri: given, scope: requested.join(','), codeChallenge: challenge,
      expiresAtMs: now() + CODE_LIFETIME_MS, used: false,
    });
    back(redirectTo, { code });
  };

  const issueUserTokens = (grant: GrantRecord): Record<string, unknown> => {
    if (mode === 'oauth-app') {
      const accessToken = newToken('gho');
      tokens.set(accessToken, { kind: 'gho', userId: grant.userId, grant, expiresAtMs: undefined, revoked: false });
      return { access_token: accessToken, token_type: 'bearer', scope: grant.scope };
    }
    const accessToken = newToken('ghu');
    const refreshToken = newToken('ghr');
    tokens.set(accessToken, { kind: 'ghu', userId: grant.userId, grant, expiresAtMs: now() + accessLifetime * 1000, revoked: false });
    tokens.set(refreshToken, { kind: 'ghr', userId: grant.userId, grant, expiresAtMs: now() + refreshLifetime * 1000, revoked: false });
    return {
      access_token: accessToken, expires_in: accessLifetime, refresh_token: refreshToken,
      refresh_token_expires_in: refreshLifetime, token_type: 'bearer', scope: '',
    };
  };

  const tokenEndpoint = (req: IncomingMessage, url: URL, body: string, res: ServerResponse) => {
    const params = new URLSearchParams(url.search);
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('application/json')) {
      try {
        for (const [k, v] of Object.entries(JSON.parse(body || '{}') as Record<string, unknown>)) params.set(k, String(v));
      } catch { /* GitHub ignores an unreadable body; the checks below fail */ }
    } else {
      for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    }
    const wantsJson = String(req.headers.accept ?? '').includes('application/json');
    const reply = (payload: Record<string, unknown>) => {
      if (wantsJson) { sendJson(res, 200, payload); return; }
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(payload)) form.set(k, String(v));
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
      res.end(form.toString());
    };
    const fail = (error: string, description: string) =>
      reply({ error, error_description: description, error_uri: `${ERROR_URI}#${error.replace(/_/g, '-')}` });

    // GitHub takes the secret from the parameters only (PROVIDERS.md: "Secret in the form body").
    const id = params.get('client_id');
    const secret = params.get('client_secret');
    if (id !== clientId || secret === null || !safeEqual(secret, clientSecret)) {
      fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
      return;
    }
    if (params.get('grant_type') === 'refresh_token') {
      const presented = params.get('refresh_token') ?? '';
      const record = tokens.get(presented);
      if (mode !== 'github-app' || record?.kind !== 'ghr' || !isActive(record) || !record.grant) {
        fail('bad_refresh_token', 'The refresh token passed is incorrect or expired.');
        return;
      }
      const grant = record.grant;
      // "Once you use a refresh token, that refresh token and the old user access token will no longer work."
      for (const t of tokens.values()) if (t.grant === grant && t.kind === 'ghu') t.revoked = true;
      if (rotate) record.revoked = true;
      const issued = issueUserTokens(grant);
      if (!rotate) {
        tokens.delete(issued.refresh_token as string);
        issued.refresh_token = presented;
      }
      reply(issued);
      return;
    }
    const code = codes.get(params.get('code') ?? '');
    if (!code || code.used || code.expiresAtMs <= now()) {
      fail('bad_verification_code', 'The code passed is incorrect or expired.');
      return;
    }
    const redirectUri = params.get('redirect_uri');
    if (redirectUri !== null && code.redirectUri !== undefined && redirectUri !== code.redirectUri) {
      fail('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
      return;
    }
    if (code.codeChallenge !== undefined) {
      const verifier = params.get('code_verifier');
      if (verifier === null || s256(verifier) !== code.codeChallenge) {
        fail('bad_verification_code', 'The code passed is incorrect or expired.');
        return;
      }
    }
    code.used = true;
    reply(issueUserTokens({ userId: code.userId, scope: code.scope }));
  };

  // ---- API host: api.github.com ---------------------------------------------------------------

  const bearer = (req: IncomingMessage): string | undefined => {
    const m = /^(?:bearer|token)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    return m?.[1];
  };

  /** GitHub rejects API calls without a User-Agent; the emulator, when strict, also wants the documented headers. */
  const checkApiHeaders = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (!req.headers['user-agent']) {
      sendApiError(res, 403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.');
      return false;
    }
    const version = req.headers['x-github-api-version'];
    if (typeof version === 'string' && !apiVersions.has(version)) {
      sendApiError(res, 400, `API version '${version}' is not supported.`);
      return false;
    }
    if (strictHeaders) {
      if (version === undefined) {
        sendApiError(res, 400, 'emulator (strict): send X-GitHub-Api-Version (GitHub would assume 2022-11-28)');
        return false;
      }
      if (!String(req.headers.accept ?? '').includes('application/vnd.github')) {
        sendApiError(res, 400, 'emulator (strict): send Accept: application/vnd.github+json');
        return false;
      }
    }
    return true;
  };

  const getUser = (req: IncomingMessage, res: ServerResponse) => {
    if (!checkApiHeaders(req, res)) return;
    const record = tokens.get(bearer(req) ?? '');
    if (!isActive(record) || record.kind === 'ghr') { sendApiError(res, 401, 'Bad credentials'); return; }
    if (record.kind === 'ghs') { sendApiError(res, 403, 'Resource not accessible by integration'); return; }
    const user = userById(record.userId);
    if (!user) { sendApiError(res, 401, 'Bad credentials'); return; }
    const headers: Record<string, string> = record.kind === 'gho' ? { 'x-oauth-scopes': (record.grant?.scope ?? '').split(',').filter(Boolean).join(', ') } : {};
    sendJson(res, 200, { login: user.login, id: user.id, type: 'User', site_admin: false, name: user.login }, headers);
  };

  const basicClient = (req: IncomingMessage): { id: string; secret: string } | undefined => {
    const m = /^basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) return undefined;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i < 0 ? undefined : { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
  };

  const revoke = (req: IncomingMessage, pathClientId: string, whole: boolean, body: string, res: ServerResponse) => {
    const basic = basicClient(req);
    if (!basic || basic.id !== clientId || !safeEqual(basic.secret, clientSecret) || pathClientId !== clientId) {
      sendApiError(res, 401, 'Bad credentials');
      return;
    }
    let parsed: unknown;
    try { parsed = JSON.parse(body); } catch { sendApiError(res, 400, 'Problems parsing JSON'); return; }
    const accessToken = (parsed as { access_token?: unknown } | null)?.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
      sendApiError(res, 422, 'Invalid request.\n\n"access_token" wasn\'t supplied.');
      return;
    }
    const record = tokens.get(accessToken);
    if (!isActive(record) || (record.kind !== 'gho' && record.kind !== 'ghu')) { sendApiError(res, 404, 'Not Found'); return; }
    if (whole) {
      for (const t of tokens.values()) if (t.grant === record.grant) t.revoked = true;
    } else {
      record.revoked = true;
    }
    res.writeHead(204);
    res.end();
  };

  const installationToken = async (req: IncomingMessage, installationId: number, res: ServerResponse) => {
    const jwt = bearer(req);
    if (!jwt || jwt.split('.').length !== 3) { sendApiError(res, 401, 'A JSON web token could not be decoded'); return; }
    let payload: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      ({ payload } = await jwtVerify(jwt, appPublicKey, { algorithms: ['RS256'], currentDate: new Date(now()) }));
    } catch (err) {
      sendApiError(res, 401, err instanceof joseErrors.JWTExpired
        ? "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        : 'A JSON web token could not be decoded');
      return;
    }
    const nowSeconds = Math.floor(now() / 1000);
    if (payload.iss !== appId && payload.iss !== clientId) {
      sendApiError(res, 401, "'Issuer' claim ('iss') must be an Integer or the app's client ID");
      return;
    }
    if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + 60) {
      sendApiError(res, 401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
      return;
    }
    if (typeof payload.exp !== 'number' || payload.exp > nowSeconds + JWT_MAX_LIFETIME_SECONDS) {
      sendApiError(res, 401, "'Expiration time' claim ('exp') is too far in the future");
      return;
    }
    if (!installationIds.includes(installationId)) { sendApiError(res, 404, 'Not Found'); return; }
    const token = newToken('ghs');
    const expiresAtMs = Math.floor((now() + installationLifetime * 1000) / 1000) * 1000;
    tokens.set(token, { kind: 'ghs', installationId, expiresAtMs, revoked: false });
    sendJson(res, 201, {
      token,
      expires_at: new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions: { contents: 'read', metadata: 'read' },
      repository_selection: 'all',
    });
  };

  const installationRepositories = (req: IncomingMessage, res: ServerResponse) => {
    if (!checkApiHeaders(req, res)) return;
    const record = tokens.get(bearer(req) ?? '');
    if (!isActive(record)) { sendApiError(res, 401, 'Bad credentials'); return; }
    if (record.kind !== 'ghs') { sendApiError(res, 403, 'You must authenticate with an installation access token in order to list repositories for an installation.'); return; }
    sendJson(res, 200, {
      total_count: 1, repository_selection: 'all',
      repositories: [{ id: 9001, name: 'hello-world', full_name: `installation-${record.installationId}/hello-world`, private: false }],
    });
  };

  // ---- routing -----------------------------------------------------------------------------------

  const route = (host: 'web' | 'api', method: string, pathname: string): { endpoint: GithubEmulatorEndpoint; match?: RegExpExecArray } => {
    if (host === 'web') {
      if (method === 'GET' && pathname === '/login/oauth/authorize') return { endpoint: 'authorize' };
      if (method === 'POST' && pathname === '/login/oauth/access_token') return { endpoint: 'token' };
      return { endpoint: 'unknown' };
    }
    if (method === 'GET' && pathname === '/user') return { endpoint: 'user' };
    if (method === 'GET' && pathname === '/installation/repositories') return { endpoint: 'installationRepositories' };
    let m = /^\/applications\/([^/]+)\/(grant|token)$/.exec(pathname);
    if (method === 'DELETE' && m) return { endpoint: m[2] === 'grant' ? 'revokeGrant' : 'revokeToken', match: m };
    m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(pathname);
    if (method === 'POST' && m) return { endpoint: 'installationToken', match: m };
    return { endpoint: 'unknown' };
  };

  const handler = (host: 'web' | 'api') => async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const { endpoint, match } = route(host, method, url.pathname);
      counts[endpoint] += 1;
      const record: { -readonly [K in keyof GithubEmulatorRequest]: GithubEmulatorRequest[K] } = {
        host, endpoint, method, path: req.url ?? '/', headers: { ...req.headers }, body, status: undefined,
      };
      requests.push(record);
      // Every answer goes through writeHead: note its status before the client can see it.
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      res.writeHead = ((...args: unknown[]) => { record.status = args[0] as number; return writeHead(...args); }) as typeof res.writeHead;
      const injected = failures.get(endpoint);
      if (injected !== undefined) {
        failures.delete(endpoint);
        if (injected.rawBody !== undefined) {
          res.writeHead(injected.status, { 'content-type': 'application/json; charset=utf-8' });
          res.end(injected.rawBody);
        } else {
          sendApiError(res, injected.status, injected.status >= 500 ? 'Server Error' : 'Injected failure');
        }
        return;
      }
      switch (endpoint) {
        case 'authorize': authorize(url, res); return;
        case 'token': tokenEndpoint(req, url, body, res); return;
        case 'user': getUser(req, res); return;
        case 'revokeGrant': revoke(req, decodeURIComponent(match![1]!), true, body, res); return;
        case 'revokeToken': revoke(req, decodeURIComponent(match![1]!), false, body, res); return;
        case 'installationToken': await installationToken(req, Number(match![1]), res); return;
        case 'installationRepositories': installationRepositories(req, res); return;
        default: sendApiError(res, 404, 'Not Found');
      }
    } catch (err) {
      if (!res.headersSent) sendApiError(res, 500, `emulator error: ${(err as Error).message}`);
      else res.end();
    }
  };

  const web = createServer(handler('web'));
  const api = createServer(handler('api'));
  const webUrl = await listen(web);
  const apiUrl = await listen(api);

  const controls: GithubEmulatorControls = {
    setMode: (m) => { mode = m; },
    setUser: (login) => {
      const user = users.find((u) => u.login === login);
      if (!user) throw new Error(`github emulator: no user "${login}"`);
      currentUser = user;
    },
    denyNextAuthorization: () => { denyNext = true; },
    expireAccessTokens: () => {
      const t = now() - 1;
      for (const r of tokens.values()) if (r.kind !== 'ghr') r.expiresAtMs = t;
    },
    expireRefreshTokens: () => {
      const t = now() - 1;
      for (const r of tokens.values()) if (r.kind === 'ghr') r.expiresAtMs = t;
    },
    setRefreshTokenRotation: (r) => { rotate = r; },
    failNext: (endpoint, status, rawBody) => { failures.set(endpoint, { status, rawBody }); },
    issuePersonalAccessToken: (login) => {
      const user = users.find((u) => u.login === login);
      if (!user) throw new Error(`github emulator: no user "${login}"`);
      const token = newToken('ghp');
      tokens.set(token, { kind: 'ghp', userId: user.id, expiresAtMs: undefined, revoked: false });
      return token;
    },
    tokenStatus: (token) => {
      const r = tokens.get(token);
      if (!r) return 'unknown';
      if (r.revoked) return 'revoked';
      return r.expiresAtMs !== undefined && r.expiresAtMs <= now() ? 'expired' : 'active';
    },
    resetLog: () => {
      requests.length = 0;
      for (const e of ENDPOINTS) counts[e] = 0;
    },
  };

  return {
    webUrl,
    apiUrl,
    endpoints: { authorizationUrl: `${webUrl}/login/oauth/authorize`, tokenUrl: `${webUrl}/login/oauth/access_token`, apiUrl },
    clientId,
    clientSecret,
    appId,
    appPrivateKey,
    installationIds,
    users,
    counts,
    requests,
    controls,
    async approve(authorizationUrl) {
      const res = await fetch(authorizationUrl, { redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status !== 302 || !location) throw new Error(`github emulator: authorization answered HTTP ${res.status}, not a redirect`);
      return location;
    },
    close: () => Promise.all([web, api].map((s) => new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    }))).then(() => undefined),
  };
}
