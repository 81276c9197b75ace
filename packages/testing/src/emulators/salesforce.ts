import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/** The Salesforce endpoints the emulator answers; keys of its request counters and log. */
export type SalesforceEndpoint =
  | 'authorize'
  | 'token'
  | 'revoke'
  | 'introspect'
  | 'userinfo'
  | 'identity'
  | 'discovery'
  | 'jwks'
  | 'data'
  | 'unknown';

/** Who logs in at the emulated authorization page. */
export interface SalesforceEmulatorAccount {
  /** 18-character org id (`00D…`). */
  readonly orgId: string;
  /** 18-character user id (`005…`). */
  readonly userId: string;
  /** Salesforce username (an email-shaped login name). */
  readonly username: string;
  /** Display name. @default the username */
  readonly displayName?: string;
  /** Email address. @default the username */
  readonly email?: string;
}

/** Options of {@link startSalesforceEmulator}. */
export interface SalesforceEmulatorOptions {
  /** Connected app consumer key accepted. @default a random `3MVG9…` key */
  readonly clientId?: string;
  /** Connected app consumer secret accepted (and the HMAC key of `signature`). @default random */
  readonly clientSecret?: string;
  /** Callback URLs registered on the connected app. @default [`http://127.0.0.1:3000/salesforce/callback`] */
  readonly redirectUris?: readonly string[];
  /** Newest REST API version served (`/services/data/v<version>`); versions 31.0 up to it answer. @default '64.0' */
  readonly apiVersion?: string;
  /** The org's session timeout: access tokens die this many seconds after they are issued. @default 7200 */
  readonly sessionTimeoutSeconds?: number;
  /** Refresh-token rotation on the connected app: each refresh returns a new refresh token and kills the old one. @default false */
  readonly rotateRefreshTokens?: boolean;
  /** Scopes configured on the connected app; an authorization asking for another fails with `invalid_scope`. */
  readonly connectedAppScopes?: readonly string[];
  /** The user who approves authorizations. @default an emulator org and user */
  readonly account?: SalesforceEmulatorAccount;
  /** Clock in epoch milliseconds (share it with `AuthManager({ now })` to test expiry). @default Date.now */
  readonly now?: () => number;
}

/** One request as the emulator received it. */
export interface SalesforceRecordedRequest {
  readonly endpoint: SalesforceEndpoint;
  /** `login` for the login host, `instance-0` / `instance-1` for the two instance hosts. */
  readonly host: 'login' | 'instance-0' | 'instance-1';
  /** Origin of the host the request reached, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  readonly method: string;
  /** Path and query string as sent. */
  readonly path: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body, as received (empty string when none). */
  readonly body: string;
}

/** A token minted by {@link SalesforceEmulator.issueAccessToken} (what `sf org display` prints). */
export interface SalesforceIssuedToken {
  readonly accessToken: string;
  readonly instanceUrl: string;
  /** Identity URL of the user it belongs to. */
  readonly id: string;
}

/**
 * What {@link SalesforceEmulator.tamperNextTokenResponse} corrupts in the next successful token response:
 * - `'signature'`: signed with the wrong key, so it no longer matches;
 * - `'id'`: the identity URL names another user (the signature, computed before, no longer matches);
 * - `{ instance_url }`: the org's instance is replaced by this URL. The signature still matches:
 *   Salesforce signs only `id` + `issued_at`, so this is what anyone who can alter the response in
 *   transit could do to redirect the access token.
 */
export type SalesforceTamper = 'signature' | 'id' | { readonly instance_url: string };

/**
 * A running Salesforce emulator (see {@link startSalesforceEmulator}) with its test controls.
 *
 * @example
 * ```ts
 * const sf = await startSalesforceEmulator();
 * const auth = new AuthManager({ providers: [salesforce({
 *   loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret, redirectUri: sf.redirectUri,
 * })] });
 * // … authorize, follow sf's authorize redirect, exchange …
 * sf.requestCount('token'); // 1
 * await sf.close();
 * ```
 */
export interface SalesforceEmulator {
  /** Login host base URL (`http://127.0.0.1:<port>`): pass it as the provider's `loginUrl`. */
  readonly loginUrl: string;
  /** The two instance hosts an org can live on (`instance_url` values). */
  readonly instanceUrls: readonly [string, string];
  /** The instance the org lives on now: what the next token response carries as `instance_url`. */
  readonly instanceUrl: string;
  /** The consumer key accepted. */
  readonly clientId: string;
  /** The consumer secret accepted. */
  readonly clientSecret: string;
  /** The first registered callback URL. */
  readonly redirectUri: string;
  /** Newest API version served. */
  readonly apiVersion: string;
  /** The user who approves the next authorization. */
  readonly account: SalesforceEmulatorAccount;
  /** Makes later authorizations log in as another user (tests of re-connect account mismatch). */
  setAccount(account: SalesforceEmulatorAccount): void;
  /** Turns refresh-token rotation on or off. */
  setRefreshTokenRotation(enabled: boolean): void;
  /**
   * Moves the org to the other instance host: later token responses carry the new `instance_url`,
   * and every access token works only on the instance it was issued for (HTTP 401 elsewhere).
   * @returns the new instance URL
   */
  moveOrgToOtherInstance(): string;
  /**
   * Ends every live access token now, as a session timeout or an admin's "end session" does.
   * Refresh tokens keep working.
   * @returns how many tokens were ended
   */
  expireAccessTokens(): number;
  /** Mints an access token (no refresh token) for the current account and instance, for static-token tests. */
  issueAccessToken(): SalesforceIssuedToken;
  /** The next authorization redirects back with `error` (default `access_denied`) instead of a code. */
  denyNextAuthorization(error?: string, description?: string): void;
  /** Corrupts the next successful token response (see {@link SalesforceTamper}). */
  tamperNextTokenResponse(what: SalesforceTamper): void;
  /** The next request to `endpoint` answers `status` with `body` (JSON) before any other processing. */
  failNext(endpoint: SalesforceEndpoint, status: number, body?: unknown): void;
  /** Whether an access token is live (issued, not expired, not revoked). */
  isAccessTokenActive(token: string): boolean;
  /** Whether a refresh token is live (issued, not revoked, not rotated away). */
  isRefreshTokenActive(token: string): boolean;
  /** Requests received for `endpoint` (failed ones included), optionally only on one host. */
  requestCount(endpoint: SalesforceEndpoint, host?: SalesforceRecordedRequest['host']): number;
  /** The request log, oldest first; only `endpoint`'s when given. */
  requests(endpoint?: SalesforceEndpoint): readonly SalesforceRecordedRequest[];
  /** Clears the request log and counters (tokens and settings stay). */
  resetRequests(): void;
  /** Stops all three listeners. */
  close(): Promise<void>;
}

/** Callback URL registered on the emulated connected app unless `redirectUris` is given. */
export const SALESFORCE_EMULATOR_REDIRECT_URI = 'http://127.0.0.1:3000/salesforce/callback';

const DEFAULT_ACCOUNT: SalesforceEmulatorAccount = {
  orgId: '00D5g000004EmuLAT',
  userId: '0055g00000EmuUsER',
  username: 'ada@emulator.example',
  displayName: 'Ada Emulator',
};

const DEFAULT_SCOPES = ['api', 'id', 'openid', 'profile', 'email', 'address', 'phone', 'web', 'full', 'refresh_token', 'offline_access', 'chatter_api'];
const AUTHORIZATION_CODE_TTL_MS = 15 * 60 * 1000;
const OLDEST_API_VERSION = 31;

interface Code {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly account: SalesforceEmulatorAccount;
  readonly codeChallenge: string | undefined;
  readonly nonce: string | undefined;
  readonly expiresAtMs: number;
}

interface RefreshToken {
  readonly scopes: readonly string[];
  readonly account: SalesforceEmulatorAccount;
  readonly clientId: string;
  active: boolean;
}

interface AccessToken {
  readonly scopes: readonly string[];
  readonly account: SalesforceEmulatorAccount;
  readonly clientId: string | undefined;
  readonly instance: 0 | 1;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly refreshToken: string | undefined;
  active: boolean;
}

type Host = SalesforceRecordedRequest['host'];

/**
 * Starts a Salesforce emulator on 127.0.0.1: a login host (OAuth endpoints, identity URL,
 * OpenID configuration, JWKS) and two instance hosts (REST API, UserInfo), reproducing what
 * Salesforce does on the wire:
 *
 * - `GET /services/oauth2/authorize` checks `client_id`, the registered `redirect_uri`, the scopes
 *   and PKCE `code_challenge_method=S256`, then approves at once and answers 302 to the callback
 *   with `code` (which, like Salesforce's, ends in `==` and so must be URL-decoded) and `state`.
 * - `POST /services/oauth2/token` (form body only) takes the client secret in the body or in HTTP
 *   Basic; `authorization_code` checks the code (single use, 15 minutes), `redirect_uri` and
 *   `code_verifier`; `refresh_token` answers without `refresh_token` unless rotation is on. The JSON
 *   has no `expires_in`; it carries `instance_url`, `id` (identity URL), `issued_at` (epoch
 *   milliseconds, a string), `signature` (Base64 HMAC-SHA256 of `id + issued_at` keyed with the
 *   consumer secret), `scope`, `token_type: "Bearer"`, `refresh_token` only when the `refresh_token`
 *   or `offline_access` scope was granted, `id_token` with `openid`. Errors are HTTP 400
 *   `{"error","error_description"}` (`invalid_client_id`, `invalid_client`, `invalid_grant`…).
 * - `POST /services/oauth2/revoke` (`token=`, form; or `GET ?token=`): a refresh token takes its
 *   access tokens with it; an unknown or dead token answers 400 `invalid_token`.
 * - `POST /services/oauth2/introspect` (client authentication required): RFC 7662 JSON.
 * - `/services/oauth2/userinfo` and the identity URL `/id/<org>/<user>` take the token as Bearer or
 *   `oauth_token` query parameter and answer a bad one with 403 and the plain text `Bad_OAuth_Token`.
 * - `/services/data/v<version>/…` on the instance hosts (`/`, `limits`) needs `Authorization:
 *   Bearer`; a missing, expired, revoked or other-instance token gets 401
 *   `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`.
 *
 * @see https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 * @see https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
 * @see https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm
 * @param options - client credentials, callback URLs, API version, session timeout, rotation, clock
 * @returns the running emulator and its controls
 */
export async function startSalesforceEmulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? `3MVG9${randomBytes(24).toString('base64url')}`;
  const clientSecret = options.clientSecret ?? randomBytes(32).toString('hex').toUpperCase();
  const redirectUris = options.redirectUris ?? [SALESFORCE_EMULATOR_REDIRECT_URI];
  const apiVersion = options.apiVersion ?? '64.0';
  const sessionTimeoutMs = (options.sessionTimeoutSeconds ?? 7200) * 1000;
  const appScopes = new Set(options.connectedAppScopes ?? DEFAULT_SCOPES);
  let rotate = options.rotateRefreshTokens ?? false;
  let account = options.account ?? DEFAULT_ACCOUNT;
  let orgInstance: 0 | 1 = 0;
  let denial: { error: string; description: string } | undefined;
  let tamper: SalesforceTamper | undefined;
  const failures = new Map<SalesforceEndpoint, { status: number; body: unknown }>();

  const codes = new Map<string, Code>();
  const refreshTokens = new Map<string, RefreshToken>();
  const accessTokens = new Map<string, AccessToken>();
  const log: SalesforceRecordedRequest[] = [];

  const { privateKey, publicJwk, kid } = await signingKey();

  const origins: Record<Host, string> = { login: '', 'instance-0': '', 'instance-1': '' };
  const servers: Server[] = [];
  for (const host of ['login', 'instance-0', 'instance-1'] as const) {
    const server = createServer((req, res) => { void handle(host, req, res); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origins[host] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
  }
  const loginUrl = origins.login;
  const instanceUrls = [origins['instance-0'], origins['instance-1']] as const;
  const identityUrl = (a: SalesforceEmulatorAccount) => `${loginUrl}/id/${a.orgId}/${a.userId}`;

  async function handle(host: Host, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', origins[host]);
    const endpoint = classify(host, url.pathname);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    log.push({ endpoint, host, origin: origins[host], method: req.method ?? 'GET', path: req.url ?? '/', headers, body });
    const failure = failures.get(endpoint);
    if (failure) {
      failures.delete(endpoint);
      return send(res, failure.status, failure.body ?? { error: 'server_error', error_description: 'injected failure' });
    }
    try {
      switch (endpoint) {
        case 'authorize': return authorize(req, url, body, res);
        case 'token': return await token(req, body, res);
        case 'revoke': return revoke(req, url, body, res);
        case 'introspect': return introspect(req, body, res);
        case 'userinfo': return userinfo(req, url, res, host);
        case 'identity': return identity(req, url, res);
        case 'discovery': return send(res, 200, discoveryDocument());
        case 'jwks': return send(res, 200, { keys: [publicJwk] });
        case 'data': return data(req, url, res, host);
        default: return send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
      }
    } catch (err) {
      return send(res, 500, { error: 'server_error', error_description: String(err) });
    }
  }

  function classify(host: Host, path: string): SalesforceEndpoint {
    if (path.startsWith('/services/data')) return host === 'login' ? 'unknown' : 'data';
    if (path === '/services/oauth2/userinfo') return 'userinfo';
    if (host !== 'login') return 'unknown';
    switch (path) {
      case '/services/oauth2/authorize': return 'authorize';
      case '/services/oauth2/token': return 'token';
      case '/services/oauth2/revoke': return 'revoke';
      case '/services/oauth2/introspect': return 'introspect';
      case '/.well-known/openid-configuration': return 'discovery';
      case '/id/keys': return 'jwks';
      default: return /^\/id\/[^/]+\/[^/]+$/.test(path) ? 'identity' : 'unknown';
    }
  }

  // ── Authorization endpoint ────────────────────────────────────────────────────────────────────
  function authorize(req: IncomingMessage, url: URL, body: string, res: ServerResponse): void {
    const params = req.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
    const redirectUri = params.get('redirect_uri') ?? '';
    // Salesforce shows an error page (no redirect) for an unknown client or unregistered callback.
    if (params.get('client_id') !== clientId) return page(res, 400, 'error=invalid_client_id&error_description=client%20identifier%20invalid');
    if (!redirectUris.includes(redirectUri)) return page(res, 400, 'error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration');
    const state = params.get('state');
    const back = (query: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString() }).end();
    };
    if (params.get('response_type') !== 'code') return back({ error: 'unsupported_response_type', error_description: 'response type not supported' });
    const requested = (params.get('scope') ?? '').split(' ').filter(Boolean);
    const scopes = requested.length > 0 ? requested : [...appScopes].filter((s) => s !== 'offline_access');
    if (scopes.some((s) => !appScopes.has(s))) return back({ error: 'invalid_scope', error_description: 'the requested scope is not allowed' });
    const challenge = params.get('code_challenge') ?? undefined;
    const method = params.get('code_challenge_method');
    if (challenge !== undefined && method !== null && method !== 'S256') return back({ error: 'invalid_request', error_description: 'invalid code_challenge_method' });
    if (denial) {
      const { error, description } = denial;
      denial = undefined;
      return back({ error, error_description: description });
    }
    // Salesforce codes are base64 and end in "==": a client that does not URL-decode them fails.
    const code = `aPrx${randomBytes(31).toString('base64')}`;
    codes.set(code, {
      clientId, redirectUri, scopes, account, codeChallenge: challenge,
      nonce: params.get('nonce') ?? undefined, expiresAtMs: now() + AUTHORIZATION_CODE_TTL_MS,
    });
    back({ code });
  }

  // ── Token endpoint ────────────────────────────────────────────────────────────────────────────
  async function token(req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, { error: 'invalid_request', error_description: 'must use HTTP POST' });
    if (!isForm(req)) return send(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    const form = new URLSearchParams(body);
    const client = authenticateClient(req, form);
    if (client !== 'ok') return send(res, 400, client);
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const entry = codes.get(code);
      codes.delete(code); // single use
      if (!entry || entry.clientId !== clientId) return send(res, 400, { error: 'invalid_grant', error_description: 'invalid authorization code' });
      if (entry.expiresAtMs <= now()) return send(res, 400, { error: 'invalid_grant', error_description: 'expired authorization code' });
      if (form.get('redirect_uri') !== entry.redirectUri) return send(res, 400, { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' });
      if (entry.codeChallenge !== undefined) {
        const verifier = form.get('code_verifier');
        if (!verifier) return send(res, 400, { error: 'invalid_grant', error_description: 'invalid code verifier' });
        if (createHash('sha256').update(verifier).digest('base64url') !== entry.codeChallenge) {
          return send(res, 400, { error: 'invalid_request', error_description: 'invalid code verifier' });
        }
      }
      const offline = entry.scopes.includes('refresh_token') || entry.scopes.includes('offline_access');
      let refresh: string | undefined;
      if (offline) {
        refresh = newRefreshToken();
        refreshTokens.set(refresh, { scopes: entry.scopes, account: entry.account, clientId, active: true });
      }
      return send(res, 200, await tokenResponse(entry.account, entry.scopes, refresh, true, entry.nonce));
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const entry = refreshTokens.get(presented);
      if (!entry || !entry.active || entry.clientId !== clientId) {
        return send(res, 400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
      }
      let refresh = presented;
      if (rotate) {
        entry.active = false;
        refresh = newRefreshToken();
        refreshTokens.set(refresh, { scopes: entry.scopes, account: entry.account, clientId, active: true });
      }
      return send(res, 200, await tokenResponse(entry.account, entry.scopes, refresh, rotate, undefined));
    }
    return send(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
  }

  function authenticateClient(req: IncomingMessage, form: URLSearchParams): 'ok' | { error: string; error_description: string } {
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (id !== clientId) return { error: 'invalid_client_id', error_description: 'client identifier invalid' };
    if (secret === null || !safeEqual(secret, clientSecret)) return { error: 'invalid_client', error_description: 'invalid client credentials' };
    return 'ok';
  }

  async function tokenResponse(
    who: SalesforceEmulatorAccount, scopes: readonly string[], refresh: string | undefined, includeRefresh: boolean, nonce: string | undefined,
  ): Promise<Record<string, unknown>> {
    const issuedAtMs = now();
    const access = `${who.orgId}!AR${randomBytes(48).toString('base64url')}`;
    accessTokens.set(access, {
      scopes, account: who, clientId, instance: orgInstance, issuedAtMs,
      expiresAtMs: issuedAtMs + sessionTimeoutMs, refreshToken: refresh, active: true,
    });
    const id = identityUrl(who);
    const issuedAt = String(issuedAtMs);
    let signature = sign(id, issuedAt);
    const response: Record<string, unknown> = {
      access_token: access,
      ...(includeRefresh && refresh !== undefined ? { refresh_token: refresh } : {}),
      signature,
      scope: scopes.join(' '),
      instance_url: instanceUrls[orgInstance],
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
    if (scopes.includes('openid')) response.id_token = await idToken(who, issuedAtMs, nonce);
    if (tamper === 'signature') {
      signature = sign(id, issuedAt, `${clientSecret}-wrong`);
      response.signature = signature;
    } else if (tamper === 'id') {
      response.id = `${loginUrl}/id/${who.orgId}/005000000000000AAA`;
    } else if (tamper !== undefined) {
      response.instance_url = tamper.instance_url;
    }
    tamper = undefined;
    return response;
  }

  function sign(id: string, issuedAt: string, key = clientSecret): string {
    return createHmac('sha256', key).update(id + issuedAt).digest('base64');
  }

  async function idToken(who: SalesforceEmulatorAccount, issuedAtMs: number, nonce: string | undefined): Promise<string> {
    const iat = Math.floor(issuedAtMs / 1000);
    return new SignJWT({
      ...(nonce ? { nonce } : {}),
      preferred_username: who.username, name: who.displayName ?? who.username, email: who.email ?? who.username,
      user_id: who.userId, organization_id: who.orgId,
    })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(loginUrl)
      .setSubject(identityUrl(who))
      .setAudience(clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .sign(privateKey);
  }

  // ── Revocation and introspection ──────────────────────────────────────────────────────────────
  function revoke(req: IncomingMessage, url: URL, body: string, res: ServerResponse): void {
    const value = req.method === 'POST' ? (isForm(req) ? new URLSearchParams(body).get('token') : null) : url.searchParams.get('token');
    if (!value) return send(res, 400, { error: 'unsupported_token_type', error_description: 'unsupported token type' });
    const refresh = refreshTokens.get(value);
    if (refresh?.active) {
      refresh.active = false;
      for (const t of accessTokens.values()) if (t.refreshToken === value) t.active = false;
      return void res.writeHead(200).end();
    }
    const access = accessTokens.get(value);
    if (access && liveAccess(access)) {
      access.active = false;
      return void res.writeHead(200).end();
    }
    send(res, 400, { error: 'invalid_token', error_description: 'invalid token' });
  }

  function introspect(req: IncomingMessage, body: string, res: ServerResponse): void {
    if (req.method !== 'POST' || !isForm(req)) return send(res, 400, { error: 'invalid_request', error_description: 'must be a form POST' });
    const form = new URLSearchParams(body);
    if (authenticateClient(req, form) !== 'ok') return send(res, 401, { error: 'invalid_client', error_description: 'invalid client credentials' });
    const value = form.get('token') ?? '';
    const access = accessTokens.get(value);
    if (access && liveAccess(access)) {
      return send(res, 200, {
        active: true, scope: access.scopes.join(' '), client_id: clientId, username: access.account.username,
        sub: identityUrl(access.account), token_type: 'access_token',
        exp: Math.floor(access.expiresAtMs / 1000), iat: Math.floor(access.issuedAtMs / 1000), nbf: Math.floor(access.issuedAtMs / 1000),
      });
    }
    const refresh = refreshTokens.get(value);
    if (refresh?.active) {
      return send(res, 200, {
        active: true, scope: refresh.scopes.join(' '), client_id: clientId, username: refresh.account.username,
        sub: identityUrl(refresh.account), token_type: 'refresh_token',
      });
    }
    send(res, 200, { active: false });
  }

  // ── Identity, UserInfo, REST API ──────────────────────────────────────────────────────────────
  /** Identity service: Bearer or `oauth_token`; a bad token is 403 with one word of plain text. */
  function identityCaller(req: IncomingMessage, url: URL, res: ServerResponse): AccessToken | undefined {
    const presented = bearer(req) ?? url.searchParams.get('oauth_token') ?? undefined;
    if (presented === undefined) { text(res, 403, 'Missing_OAuth_Token'); return undefined; }
    const entry = accessTokens.get(presented);
    if (!entry || !liveAccess(entry)) { text(res, 403, 'Bad_OAuth_Token'); return undefined; }
    return entry;
  }

  function userinfo(req: IncomingMessage, url: URL, res: ServerResponse, host: Host): void {
    const caller = identityCaller(req, url, res);
    if (!caller) return;
    const who = caller.account;
    const instance = host === 'login' ? instanceUrls[caller.instance] : origins[host];
    send(res, 200, {
      sub: identityUrl(who), user_id: who.userId, organization_id: who.orgId,
      preferred_username: who.username, nickname: who.username.split('@')[0], name: who.displayName ?? who.username,
      email: who.email ?? who.username, email_verified: true, active: true, user_type: 'STANDARD',
      urls: { rest: `${instance}/services/data/v{version}/`, sobjects: `${instance}/services/data/v{version}/sobjects/` },
    });
  }

  function identity(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const caller = identityCaller(req, url, res);
    if (!caller) return;
    const [, , orgId, userId] = url.pathname.split('/');
    if (orgId !== caller.account.orgId) return text(res, 403, 'Wrong_Org');
    if (userId !== caller.account.userId) return text(res, 404, 'Bad_Id');
    const who = caller.account;
    const instance = instanceUrls[caller.instance];
    send(res, 200, {
      id: identityUrl(who), asserted_user: true, user_id: who.userId, organization_id: who.orgId,
      username: who.username, nick_name: who.username.split('@')[0], display_name: who.displayName ?? who.username,
      email: who.email ?? who.username, active: true, user_type: 'STANDARD',
      urls: { rest: `${instance}/services/data/v{version}/`, sobjects: `${instance}/services/data/v{version}/sobjects/` },
    });
  }

  function data(req: IncomingMessage, url: URL, res: ServerResponse, host: Host): void {
    const instance: 0 | 1 = host === 'instance-1' ? 1 : 0;
    if (url.pathname === '/services/data' || url.pathname === '/services/data/') {
      const versions = [];
      for (let v = OLDEST_API_VERSION; v <= Number(apiVersion); v++) versions.push({ label: `v${v}.0`, url: `/services/data/v${v}.0`, version: `${v}.0` });
      return send(res, 200, versions);
    }
    const match = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
    const version = match?.[1];
    if (!version || Number(version) < OLDEST_API_VERSION || Number(version) > Number(apiVersion)) {
      return send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    }
    const presented = bearer(req);
    const entry = presented === undefined ? undefined : accessTokens.get(presented);
    if (!entry || !liveAccess(entry) || entry.instance !== instance) {
      res.setHeader('www-authenticate', 'Token');
      return send(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    if (req.method !== 'GET') return send(res, 405, [{ errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${req.method}' not allowed. Allowed are GET` }]);
    const base = `/services/data/v${version}`;
    const rest = match?.[2] ?? '';
    if (rest === '' || rest === '/') {
      return send(res, 200, {
        identity: identityUrl(entry.account), limits: `${base}/limits`, query: `${base}/query`, sobjects: `${base}/sobjects`,
      });
    }
    if (rest === '/limits' || rest === '/limits/') {
      const used = log.filter((r) => r.endpoint === 'data').length;
      return send(res, 200, { DailyApiRequests: { Max: 15000, Remaining: Math.max(0, 15000 - used) } });
    }
    send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
  }

  function discoveryDocument(): Record<string, unknown> {
    return {
      issuer: loginUrl,
      authorization_endpoint: `${loginUrl}/services/oauth2/authorize`,
      token_endpoint: `${loginUrl}/services/oauth2/token`,
      revocation_endpoint: `${loginUrl}/services/oauth2/revoke`,
      introspection_endpoint: `${loginUrl}/services/oauth2/introspect`,
      userinfo_endpoint: `${loginUrl}/services/oauth2/userinfo`,
      jwks_uri: `${loginUrl}/id/keys`,
      scopes_supported: [...appScopes],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
    };
  }

  // ── Helpers ───────────────────────────────────────────────────────────────────────────────────
  function liveAccess(entry: AccessToken): boolean {
    return entry.active && entry.expiresAtMs > now();
  }

  function newRefreshToken(): string {
    return `5Aep${randomBytes(40).toString('base64url')}`;
  }

  return {
    loginUrl,
    instanceUrls,
    get instanceUrl() { return instanceUrls[orgInstance]; },
    clientId,
    clientSecret,
    redirectUri: redirectUris[0] ?? SALESFORCE_EMULATOR_REDIRECT_URI,
    apiVersion,
    get account() { return account; },
    setAccount(next) { account = next; },
    setRefreshTokenRotation(enabled) { rotate = enabled; },
    moveOrgToOtherInstance() {
      orgInstance = orgInstance === 0 ? 1 : 0;
      return instanceUrls[orgInstance];
    },
    expireAccessTokens() {
      let ended = 0;
      for (const t of accessTokens.values()) if (liveAccess(t)) { t.active = false; ended++; }
      return ended;
    },
    issueAccessToken() {
      const issuedAtMs = now();
      const access = `${account.orgId}!AQ${randomBytes(48).toString('base64url')}`;
      accessTokens.set(access, {
        scopes: ['api', 'web'], account, clientId: undefined, instance: orgInstance, issuedAtMs,
        expiresAtMs: issuedAtMs + sessionTimeoutMs, refreshToken: undefined, active: true,
      });
      return { accessToken: access, instanceUrl: instanceUrls[orgInstance], id: identityUrl(account) };
    },
    denyNextAuthorization(error = 'access_denied', description = 'end-user denied authorization') {
      denial = { error, description };
    },
    tamperNextTokenResponse(what) { tamper = what; },
    failNext(endpoint, status, body) { failures.set(endpoint, { status, body }); },
    isAccessTokenActive(value) {
      const entry = accessTokens.get(value);
      return entry !== undefined && liveAccess(entry);
    },
    isRefreshTokenActive(value) { return refreshTokens.get(value)?.active === true; },
    requestCount(endpoint, host) {
      return log.filter((r) => r.endpoint === endpoint && (host === undefined || r.host === host)).length;
    },
    requests(endpoint) { return endpoint === undefined ? [...log] : log.filter((r) => r.endpoint === endpoint); },
    resetRequests() { log.length = 0; },
    async close() {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      })));
    },
  };
}

let signingKeyPromise: Promise<{ privateKey: CryptoKey; publicJwk: JWK; kid: string }> | undefined;

/** One RS256 key for every emulator in the process (RSA key generation is slow). */
function signingKey(): Promise<{ privateKey: CryptoKey; publicJwk: JWK; kid: string }> {
  signingKeyPromise ??= (async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = randomBytes(8).toString('hex');
    return { privateKey, kid, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  })();
  return signingKeyPromise;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function bearer(req: IncomingMessage): string | undefined {
  return /^(?:Bearer|OAuth) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-cache,must-revalidate,max-age=0,no-store,private' });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain;charset=UTF-8' });
  res.end(body);
}

function page(res: ServerResponse, status: number, query: string): void {
  res.writeHead(status, { 'content-type': 'text/html;charset=UTF-8' });
  res.end(`<!DOCTYPE html><html><body><p>OAuth Error</p><p>${query}</p></body></html>`);
}
