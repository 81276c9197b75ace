import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { approve } from '../emulator/approve.js';
import { GrantStore, type Consent, type IssuedTokens } from '../emulator/GrantStore.js';
import { IdTokenSigner } from '../emulator/idTokens.js';
import { sendJson, startLoopbackServer, type LoopbackServer } from '../emulator/loopbackServer.js';
import { verifyS256 } from '../emulator/pkce.js';
import { BodyTooLargeError, readBody, type RequestBody } from '../emulator/readBody.js';
import { RequestLog, type EmulatorEndpoint, type EmulatorRequest, type InjectedFailure } from '../emulator/RequestLog.js';
import { safeEqual } from '../emulator/safeEqual.js';
import { flatHeaders, sendFailure } from '../emulator/httpAnswers.js';

/** The Salesforce endpoints the emulator answers, as its request log names them (`api`: the REST API, `/services/data`). */
export type SalesforceEndpoint = EmulatorEndpoint;

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

/** One request as the emulator received it: the kit's {@link EmulatorRequest}, and which host it reached. */
export interface SalesforceRecordedRequest extends EmulatorRequest {
  /** `login` for the login host, `instance-0` / `instance-1` for the two instance hosts. */
  readonly host: 'login' | 'instance-0' | 'instance-1';
  /** Origin of the host the request reached, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
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
 * A running Salesforce emulator (see {@link startSalesforceEmulator}): the kit's controls
 * (`requests`, `requestCount`, `clearRequests`, `failNext`, `approve`, `close`) and Salesforce's own.
 *
 * @example
 * ```ts
 * const sf = await startSalesforceEmulator();
 * const auth = new AuthManager({ providers: [salesforce({
 *   loginUrl: sf.loginUrl, allowedInstanceOrigins: sf.instanceUrls, clientId: sf.clientId, clientSecret: sf.clientSecret, redirectUri: sf.redirectUri,
 * })] });
 * const { url } = await auth.salesforce.oauth2.authorize({ subject: 'u1' });
 * await auth.salesforce.oauth2.complete({ callbackUrl: await sf.approve(url) });
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
  /** Whether an access token is live (issued, not expired, not revoked). */
  isAccessTokenActive(token: string): boolean;
  /** Whether a refresh token is live (issued, not revoked, not rotated away). */
  isRefreshTokenActive(token: string): boolean;
  /** The requests received on any host (by one endpoint, when given), oldest first; failed ones included. */
  requests(endpoint?: SalesforceEndpoint): SalesforceRecordedRequest[];
  requestCount(endpoint?: SalesforceEndpoint): number;
  /** Empties the request log (tokens, settings and queued failures stay). */
  clearRequests(): void;
  /** The next request to `endpoint` gets this answer instead (queued in order). */
  failNext(endpoint: SalesforceEndpoint, failure: InjectedFailure): void;
  /** Plays the browser and the approval page: returns the callback URL the authorize endpoint redirects to. */
  approve(authorizationUrl: URL | string): Promise<string>;
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
const OLDEST_API_VERSION = 31;
const JSON_HEADERS = { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-cache,must-revalidate,max-age=0,no-store,private' };
const NOT_FOUND = [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }];

type Host = SalesforceRecordedRequest['host'];

/** The kit's consent, and who approved it. */
interface SalesforceConsent extends Consent {
  readonly account: SalesforceEmulatorAccount;
}

/**
 * Salesforce's token shapes around the kit's opaque values: codes `aPrx…==` (so a client that does
 * not URL-decode them fails), access tokens `<orgId>!AR…` (`!AQ…` minted outside a flow), refresh
 * tokens `5Aep…`.
 */
const wire = {
  code: (raw: string) => `aPrx${raw}==`,
  access: (raw: string, orgId: string, minted = false) => `${orgId}!A${minted ? 'Q' : 'R'}${raw}`,
  refresh: (raw: string) => `5Aep${raw}`,
};
const unwire = {
  code: (v: string | undefined) => /^aPrx(.+)==$/.exec(v ?? '')?.[1],
  access: (v: string | undefined) => /^[^!]+!A[QR](.+)$/.exec(v ?? '')?.[1],
  refresh: (v: string | undefined) => /^5Aep(.+)$/.exec(v ?? '')?.[1],
};

let signerPromise: Promise<IdTokenSigner> | undefined;

/**
 * Starts a Salesforce emulator on 127.0.0.1 on the emulator kit (loopback servers, body reader,
 * grant store, request log, ID-token signer, PKCE): a login host (OAuth endpoints, identity URL,
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
  const appScopes = new Set(options.connectedAppScopes ?? DEFAULT_SCOPES);
  let rotate = options.rotateRefreshTokens ?? false;
  let account = options.account ?? DEFAULT_ACCOUNT;
  let orgInstance: 0 | 1 = 0;
  let denial: { error: string; description: string } | undefined;
  let tamper: SalesforceTamper | undefined;

  // One RS256 key for every emulator in the process (RSA key generation is slow).
  const signer = await (signerPromise ??= IdTokenSigner.create());
  const grants = new GrantStore({ accessTokenSeconds: options.sessionTimeoutSeconds ?? 7200, codeSeconds: 15 * 60 }, now);
  const log = new RequestLog();
  /** What Salesforce keeps per access token beyond the grant store: the instance it works on, when it was issued. */
  const issuedAccess = new Map<string, { readonly instance: 0 | 1; readonly issuedAtMs: number }>();

  const servers: LoopbackServer[] = [];
  const origins = {} as Record<Host, string>;
  for (const host of ['login', 'instance-0', 'instance-1'] as const) {
    const server = await startLoopbackServer((req, res) => handle(host, req, res));
    servers.push(server);
    origins[host] = server.origin;
  }
  const loginUrl = origins.login;
  const instanceUrls = [origins['instance-0'], origins['instance-1']] as const;
  const identityUrl = (a: SalesforceEmulatorAccount) => `${loginUrl}/id/${a.orgId}/${a.userId}`;

  async function handle(host: Host, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origins[host]);
    const endpoint = classify(host, url.pathname);
    let body: RequestBody;
    try { body = await readBody(req); } catch (err) {
      if (err instanceof BodyTooLargeError) return send(res, 413, { error: 'invalid_request', error_description: err.message });
      throw err;
    }
    const params = req.method === 'GET' ? Object.fromEntries(url.searchParams) : body.params;
    const request: SalesforceRecordedRequest = {
      endpoint, host, origin: origins[host], method: req.method ?? 'GET', path: req.url ?? '/', headers: flatHeaders(req), body: body.raw, params,
    };
    log.record(request);
    const failure = log.takeFailure(endpoint);
    if (failure) return sendFailure(res, failure);
    const form = isForm(req) ? body.params : {};
    switch (endpoint) {
      case 'authorize': return authorize(req.method === 'POST' ? form : params, res);
      case 'token': return token(req, form, res);
      case 'revocation': return revoke(req, url, form, res);
      case 'introspection': return introspect(req, form, res);
      case 'userinfo': return userinfo(req, url, res, host);
      case 'identity': return identity(req, url, res);
      case 'discovery': return send(res, 200, discoveryDocument());
      case 'jwks': return send(res, 200, signer.jwks());
      case 'api': return data(req, url, res, host);
      default: return send(res, 404, NOT_FOUND);
    }
  }

  function classify(host: Host, path: string): SalesforceEndpoint {
    if (path.startsWith('/services/data')) return host === 'login' ? 'unknown' : 'api';
    if (path === '/services/oauth2/userinfo') return 'userinfo';
    if (host !== 'login') return 'unknown';
    switch (path) {
      case '/services/oauth2/authorize': return 'authorize';
      case '/services/oauth2/token': return 'token';
      case '/services/oauth2/revoke': return 'revocation';
      case '/services/oauth2/introspect': return 'introspection';
      case '/.well-known/openid-configuration': return 'discovery';
      case '/id/keys': return 'jwks';
      default: return /^\/id\/[^/]+\/[^/]+$/.test(path) ? 'identity' : 'unknown';
    }
  }

  // ── Authorization endpoint ────────────────────────────────────────────────────────────────────
  function authorize(params: Readonly<Record<string, string>>, res: ServerResponse): void {
    const redirectUri = params.redirect_uri ?? '';
    // Salesforce shows an error page (no redirect) for an unknown client or unregistered callback.
    if (params.client_id !== clientId) return page(res, 400, 'error=invalid_client_id&error_description=client%20identifier%20invalid');
    if (!redirectUris.includes(redirectUri)) return page(res, 400, 'error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration');
    const back = (query: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
      if (params.state !== undefined) target.searchParams.set('state', params.state);
      res.writeHead(302, { location: target.toString() }).end();
    };
    if (params.response_type !== 'code') return back({ error: 'unsupported_response_type', error_description: 'response type not supported' });
    const requested = (params.scope ?? '').split(' ').filter(Boolean);
    const scopes = requested.length > 0 ? requested : [...appScopes].filter((s) => s !== 'offline_access');
    if (scopes.some((s) => !appScopes.has(s))) return back({ error: 'invalid_scope', error_description: 'the requested scope is not allowed' });
    const challenge = params.code_challenge;
    const method = params.code_challenge_method;
    if (challenge !== undefined && method !== undefined && method !== 'S256') return back({ error: 'invalid_request', error_description: 'invalid code_challenge_method' });
    if (denial) {
      const { error, description } = denial;
      denial = undefined;
      return back({ error, error_description: description });
    }
    const consent: SalesforceConsent = {
      clientId, redirectUri, scopes, account,
      ...(challenge !== undefined ? { codeChallenge: challenge } : {}), ...(params.nonce ? { nonce: params.nonce } : {}),
    };
    back({ code: wire.code(grants.issueCode(consent)) });
  }

  // ── Token endpoint ────────────────────────────────────────────────────────────────────────────
  async function token(req: IncomingMessage, form: Readonly<Record<string, string>>, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, { error: 'invalid_request', error_description: 'must use HTTP POST' });
    if (!isForm(req)) return send(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    const client = authenticateClient(req, form);
    if (client !== 'ok') return send(res, 400, client);
    if (form.grant_type === 'authorization_code') {
      const consent = grants.redeemCode(unwire.code(form.code)) as SalesforceConsent | undefined; // single use
      if (!consent || consent.clientId !== clientId) return send(res, 400, { error: 'invalid_grant', error_description: 'invalid authorization code' });
      if (form.redirect_uri !== consent.redirectUri) return send(res, 400, { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' });
      if (consent.codeChallenge !== undefined) {
        if (!form.code_verifier) return send(res, 400, { error: 'invalid_grant', error_description: 'invalid code verifier' });
        if (!verifyS256(form.code_verifier, consent.codeChallenge)) return send(res, 400, { error: 'invalid_request', error_description: 'invalid code verifier' });
      }
      const offline = consent.scopes.includes('refresh_token') || consent.scopes.includes('offline_access');
      return send(res, 200, await tokenResponse(grants.open(consent, true, offline), consent.nonce));
    }
    if (form.grant_type === 'refresh_token') {
      const raw = unwire.refresh(form.refresh_token);
      if (grants.refreshGrant(raw)?.consent.clientId !== clientId) return send(res, 400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
      return send(res, 200, await tokenResponse(grants.refresh(raw, rotate ? 'rotates' : 'undocumented')!, undefined));
    }
    return send(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
  }

  /** The secret in the form body or in HTTP Basic (which wins); a bad client id or secret is 400, as Salesforce answers. */
  function authenticateClient(req: IncomingMessage, form: Readonly<Record<string, string>>): 'ok' | { error: string; error_description: string } {
    let id = form.client_id;
    let secret = form.client_secret;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      [id, secret] = [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
    }
    if (id !== clientId) return { error: 'invalid_client_id', error_description: 'client identifier invalid' };
    if (!safeEqual(secret, clientSecret)) return { error: 'invalid_client', error_description: 'invalid client credentials' };
    return 'ok';
  }

  async function tokenResponse(issued: IssuedTokens, nonce: string | undefined): Promise<Record<string, unknown>> {
    const who = (issued.grant.consent as SalesforceConsent).account;
    const issuedAtMs = now();
    issuedAccess.set(issued.accessToken, { instance: orgInstance, issuedAtMs });
    const id = identityUrl(who);
    const issuedAt = String(issuedAtMs);
    const response: Record<string, unknown> = {
      access_token: wire.access(issued.accessToken, who.orgId),
      ...(issued.refreshToken !== undefined ? { refresh_token: wire.refresh(issued.refreshToken) } : {}),
      signature: sign(id, issuedAt),
      scope: issued.grant.consent.scopes.join(' '),
      instance_url: instanceUrls[orgInstance],
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
    if (issued.grant.consent.scopes.includes('openid')) response.id_token = await idToken(who, issuedAtMs, nonce);
    if (tamper === 'signature') response.signature = sign(id, issuedAt, `${clientSecret}-wrong`);
    else if (tamper === 'id') response.id = `${loginUrl}/id/${who.orgId}/005000000000000AAA`;
    else if (tamper !== undefined) response.instance_url = tamper.instance_url;
    tamper = undefined;
    return response;
  }

  function sign(id: string, issuedAt: string, key = clientSecret): string {
    return createHmac('sha256', key).update(id + issuedAt).digest('base64');
  }

  function idToken(who: SalesforceEmulatorAccount, issuedAtMs: number, nonce: string | undefined): Promise<string> {
    return signer.sign({
      iss: loginUrl, sub: identityUrl(who), aud: clientId, ...(nonce ? { nonce } : {}),
      preferred_username: who.username, name: who.displayName ?? who.username, email: who.email ?? who.username,
      user_id: who.userId, organization_id: who.orgId,
    }, 300, issuedAtMs);
  }

  // ── Revocation and introspection ──────────────────────────────────────────────────────────────
  /** A refresh token takes its grant's access tokens with it; an access token only itself; a dead one is 400 `invalid_token`. */
  function revoke(req: IncomingMessage, url: URL, form: Readonly<Record<string, string>>, res: ServerResponse): void {
    const value = req.method === 'POST' ? form.token : url.searchParams.get('token') ?? undefined;
    if (!value) return send(res, 400, { error: 'unsupported_token_type', error_description: 'unsupported token type' });
    const revoked = grants.revoke(unwire.refresh(value), 'refresh_token') || grants.revoke(unwire.access(value), 'access_token');
    if (revoked) return void res.writeHead(200).end();
    send(res, 400, { error: 'invalid_token', error_description: 'invalid token' });
  }

  function introspect(req: IncomingMessage, form: Readonly<Record<string, string>>, res: ServerResponse): void {
    if (req.method !== 'POST' || !isForm(req)) return send(res, 400, { error: 'invalid_request', error_description: 'must be a form POST' });
    if (authenticateClient(req, form) !== 'ok') return send(res, 401, { error: 'invalid_client', error_description: 'invalid client credentials' });
    const access = live(form.token);
    if (access) {
      const seconds = (ms: number) => Math.floor(ms / 1000);
      return send(res, 200, {
        active: true, scope: access.consent.scopes.join(' '), client_id: clientId, username: access.consent.account.username,
        sub: identityUrl(access.consent.account), token_type: 'access_token',
        exp: grants.accessExpiresAtSeconds(access.raw), iat: seconds(access.issuedAtMs), nbf: seconds(access.issuedAtMs),
      });
    }
    const refresh = grants.refreshGrant(unwire.refresh(form.token))?.consent as SalesforceConsent | undefined;
    if (refresh) {
      return send(res, 200, {
        active: true, scope: refresh.scopes.join(' '), client_id: clientId, username: refresh.account.username,
        sub: identityUrl(refresh.account), token_type: 'refresh_token',
      });
    }
    send(res, 200, { active: false });
  }

  // ── Identity, UserInfo, REST API ──────────────────────────────────────────────────────────────
  /** A live access token: its grant's consent, the instance it works on, when it was issued. */
  function live(token: string | undefined) {
    const raw = unwire.access(token);
    const grant = grants.accessGrant(raw);
    const info = raw === undefined ? undefined : issuedAccess.get(raw);
    return grant && info ? { raw: raw!, consent: grant.consent as SalesforceConsent, ...info } : undefined;
  }

  /** Identity service: Bearer or `oauth_token`; a bad token is 403 with one word of plain text. */
  function identityCaller(req: IncomingMessage, url: URL, res: ServerResponse) {
    const presented = bearer(req) ?? url.searchParams.get('oauth_token') ?? undefined;
    if (presented === undefined) { text(res, 403, 'Missing_OAuth_Token'); return undefined; }
    const caller = live(presented);
    if (!caller) text(res, 403, 'Bad_OAuth_Token');
    return caller;
  }

  function userinfo(req: IncomingMessage, url: URL, res: ServerResponse, host: Host): void {
    const caller = identityCaller(req, url, res);
    if (!caller) return;
    const who = caller.consent.account;
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
    const who = caller.consent.account;
    const [, , orgId, userId] = url.pathname.split('/');
    if (orgId !== who.orgId) return text(res, 403, 'Wrong_Org');
    if (userId !== who.userId) return text(res, 404, 'Bad_Id');
    const instance = instanceUrls[caller.instance];
    send(res, 200, {
      id: identityUrl(who), asserted_user: true, user_id: who.userId, organization_id: who.orgId,
      username: who.username, nick_name: who.username.split('@')[0], display_name: who.displayName ?? who.username,
      email: who.email ?? who.username, active: true, user_type: 'STANDARD',
      urls: { rest: `${instance}/services/data/v{version}/`, sobjects: `${instance}/services/data/v{version}/sobjects/` },
    });
  }

  function data(req: IncomingMessage, url: URL, res: ServerResponse, host: Host): void {
    if (url.pathname === '/services/data' || url.pathname === '/services/data/') {
      const versions = [];
      for (let v = OLDEST_API_VERSION; v <= Number(apiVersion); v++) versions.push({ label: `v${v}.0`, url: `/services/data/v${v}.0`, version: `${v}.0` });
      return send(res, 200, versions);
    }
    const match = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
    const version = match?.[1];
    if (!version || Number(version) < OLDEST_API_VERSION || Number(version) > Number(apiVersion)) return send(res, 404, NOT_FOUND);
    const caller = live(bearer(req));
    if (!caller || caller.instance !== (host === 'instance-1' ? 1 : 0)) {
      return send(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], { 'www-authenticate': 'Token' });
    }
    if (req.method !== 'GET') return send(res, 405, [{ errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${req.method}' not allowed. Allowed are GET` }]);
    const base = `/services/data/v${version}`;
    const rest = match?.[2] ?? '';
    if (rest === '' || rest === '/') {
      return send(res, 200, { identity: identityUrl(caller.consent.account), limits: `${base}/limits`, query: `${base}/query`, sobjects: `${base}/sobjects` });
    }
    if (rest === '/limits' || rest === '/limits/') {
      return send(res, 200, { DailyApiRequests: { Max: 15000, Remaining: Math.max(0, 15000 - log.requestCount('api')) } });
    }
    send(res, 404, NOT_FOUND);
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
      for (const raw of issuedAccess.keys()) if (grants.revoke(raw, 'access_token')) ended++;
      return ended;
    },
    issueAccessToken() {
      const consent: SalesforceConsent = { clientId, scopes: ['api', 'web'], account };
      const { accessToken } = grants.open(consent, true, false);
      issuedAccess.set(accessToken, { instance: orgInstance, issuedAtMs: now() });
      return { accessToken: wire.access(accessToken, account.orgId, true), instanceUrl: instanceUrls[orgInstance], id: identityUrl(account) };
    },
    denyNextAuthorization(error = 'access_denied', description = 'end-user denied authorization') {
      denial = { error, description };
    },
    tamperNextTokenResponse(what) { tamper = what; },
    isAccessTokenActive: (value) => live(value) !== undefined,
    isRefreshTokenActive: (value) => grants.refreshGrant(unwire.refresh(value)) !== undefined,
    requests: (endpoint) => log.requests(endpoint) as SalesforceRecordedRequest[],
    requestCount: (endpoint) => log.requestCount(endpoint),
    clearRequests: () => log.clearRequests(),
    failNext: (endpoint, failure) => log.failNext(endpoint, failure),
    approve,
    async close() { await Promise.all(servers.map((s) => s.close())); },
  };
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function bearer(req: IncomingMessage): string | undefined {
  return /^(?:Bearer|OAuth) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function formDecode(s: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, status, body, { ...JSON_HEADERS, ...headers });
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain;charset=UTF-8' }).end(body);
}

function page(res: ServerResponse, status: number, query: string): void {
  res.writeHead(status, { 'content-type': 'text/html;charset=UTF-8' }).end(`<!DOCTYPE html><html><body><p>OAuth Error</p><p>${query}</p></body></html>`);
}

// Local adapters for two kit steps that startProviderEmulator keeps private (see the migration report).
