import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { compactVerify, decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { approve } from '../emulator/approve.js';
import { GrantStore, type Consent, type Grant, type IssuedTokens } from '../emulator/GrantStore.js';
import { IdTokenSigner } from '../emulator/idTokens.js';
import { sendJson, startLoopbackServer } from '../emulator/loopbackServer.js';
import { verifyS256 } from '../emulator/pkce.js';
import { BodyTooLargeError, readBody, type RequestBody } from '../emulator/readBody.js';
import { RequestLog, type EmulatorEndpoint, type EmulatorRequest, type InjectedFailure } from '../emulator/RequestLog.js';
import { safeEqual } from '../emulator/safeEqual.js';
import { flatHeaders, sendFailure } from '../emulator/httpAnswers.js';

/** The endpoints {@link startGoogleEmulator} answers, as its request log names them (`api`: Gmail `users.getProfile`). */
export type GoogleEmulatorEndpoint = Extract<EmulatorEndpoint, 'discovery' | 'jwks' | 'authorize' | 'token' | 'revocation' | 'userinfo' | 'api' | 'unknown'>;

/** One request as the emulator received it (the kit's {@link EmulatorRequest}, and which listener it reached). */
export interface GoogleEmulatorRequest extends EmulatorRequest {
  readonly endpoint: GoogleEmulatorEndpoint;
  /** `'oauth'` (accounts/oauth2/www.googleapis.com stand-in) or `'api'` (gmail/sheets/docs stand-in). */
  readonly listener: 'oauth' | 'api';
}

/** A Google account the emulator can sign in. */
export interface GoogleEmulatorUser {
  /** Stable account id (the ID token `sub`): Google uses a decimal string of up to 255 chars. */
  readonly sub: string;
  readonly email: string;
  readonly name: string;
  /** @default true */
  readonly emailVerified?: boolean;
  /** Google Workspace domain (`hd` claim), when the account belongs to one. */
  readonly hd?: string;
}

/** Options of {@link startGoogleEmulator}. */
export interface GoogleEmulatorOptions {
  /** The OAuth client the emulator knows. @default 'emulator-client.apps.googleusercontent.com' */
  readonly clientId?: string;
  /** Its secret. @default 'GOCSPX-emulator-secret' */
  readonly clientSecret?: string;
  /** Registered redirect URIs (exact match, as Google requires). @default ['http://127.0.0.1:3000/oauth/google/callback'] */
  readonly redirectUris?: readonly string[];
  /** Accounts; the first one is signed in unless `login_hint` or {@link GoogleEmulator.signInAs} picks another. */
  readonly users?: readonly GoogleEmulatorUser[];
  /** `expires_in` of issued access tokens, seconds. @default 3599 */
  readonly accessTokenLifetimeSeconds?: number;
  /** Refresh tokens kept per client per account; past it the oldest stops working, silently (Google: 100). @default 100 */
  readonly refreshTokenLimit?: number;
}

/** Ways {@link GoogleEmulator.tamperNextIdToken} can spoil the next ID token. */
export type GoogleIdTokenTamper = 'signature' | 'audience' | 'nonce' | 'issuer' | 'expired';

/** A service account key file (the JSON Google Cloud Console downloads), for the emulator's service account. */
export interface GoogleEmulatorServiceAccountKey {
  readonly type: 'service_account';
  readonly project_id: string;
  readonly private_key_id: string;
  /** PKCS#8 PEM, RSA 2048. */
  readonly private_key: string;
  readonly client_email: string;
  readonly client_id: string;
  readonly auth_uri: string;
  /** The emulator's token endpoint (the JWT `aud`). */
  readonly token_uri: string;
}

/**
 * App-credential overrides that point `@authmanager/provider-google` at the emulator: spread them into
 * the `google({...})` factory. Field names match the provider's app credentials.
 */
export interface GoogleEmulatorAppCredentials {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly revocationUrl: string;
  readonly apiBaseUrl: string;
  readonly gmailBaseUrl: string;
  readonly calendarBaseUrl: string;
  readonly driveBaseUrl: string;
  readonly sheetsBaseUrl: string;
  readonly docsBaseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

/**
 * A running Google OAuth 2.0 / OpenID Connect emulator (see {@link startGoogleEmulator}): the kit's
 * controls (`requests`, `requestCount`, `clearRequests`, `failNext`, `approve`, `close`) and Google's own.
 *
 * @example
 * ```ts
 * const google = await startGoogleEmulator();
 * const callbackUrl = await google.approve(authorizationUrl); // redirect_uri?code=…&state=…
 * google.requestCount('token');
 * await google.close();
 * ```
 */
export interface GoogleEmulator {
  /** Issuer, `http://127.0.0.1:<port>` (stands in for `https://accounts.google.com`). */
  readonly issuer: string;
  /** Origin of the OAuth listener (accounts.google.com, oauth2.googleapis.com, www.googleapis.com). */
  readonly origin: string;
  /** Origin of the second listener (gmail.googleapis.com, sheets.googleapis.com, docs.googleapis.com). */
  readonly apiOrigin: string;
  /** Absolute endpoint URLs. */
  readonly endpoints: {
    readonly discovery: string;
    readonly authorization: string;
    readonly token: string;
    readonly revocation: string;
    readonly jwks: string;
    /** OpenID Connect UserInfo (`/v1/userinfo`, as `openidconnect.googleapis.com`). */
    readonly userinfo: string;
    /** `www.googleapis.com/oauth2/v3/userinfo` equivalent. */
    readonly userinfoV3: string;
    /** Gmail `users.getProfile` on the API listener. */
    readonly gmailProfile: string;
  };
  readonly clientId: string;
  readonly clientSecret: string;
  /** The first registered redirect URI. */
  readonly redirectUri: string;
  readonly redirectUris: readonly string[];
  readonly users: readonly GoogleEmulatorUser[];
  /** Overrides for the provider factory (endpoints, API bases, client). */
  readonly appCredentials: GoogleEmulatorAppCredentials;
  /** The emulator's service account key file (domain-wide delegation off until enabled). */
  readonly serviceAccountKey: GoogleEmulatorServiceAccountKey;
  /** The signed-in browser account (email or sub); `login_hint` still wins. @throws Error for an unknown account */
  signInAs(account: string): void;
  /** The next authorization redirects back with `error` (Google: `access_denied` when the user clicks Cancel). */
  denyNextAuthorization(error?: string): void;
  /** Spoils the next ID token the token endpoint issues (code or refresh grant). */
  tamperNextIdToken(how: GoogleIdTokenTamper): void;
  /** Every access token issued so far stops working (API calls get 401), as after their hour. */
  expireAccessTokens(): void;
  /** Every refresh token issued so far stops working (`invalid_grant`): 6 months unused, password change… */
  invalidateRefreshTokens(): void;
  /** Non-Google switch: refresh responses carry a new refresh token and the old one dies. @default off */
  setRefreshTokenRotation(on: boolean): void;
  /** Whether refresh responses carry a new `id_token` when the grant has `openid`. @default on */
  setIdTokenOnRefresh(on: boolean): void;
  /** `expires_in` of tokens issued from now on, seconds. */
  setAccessTokenLifetime(seconds: number): void;
  /** Whether the service account may impersonate users (`sub` in the assertion). @default off */
  setDomainWideDelegation(on: boolean): void;
  /** Mints a valid access token outside any flow (as `gcloud auth print-access-token` would). */
  issueAccessToken(options: { readonly account?: string; readonly scopes: readonly string[] }): string;
  /** Whether an access or refresh token is currently accepted. */
  isTokenActive(token: string): boolean;
  /** Scopes the account has granted the client so far (the consent record). */
  grantedScopes(account: string): readonly string[];
  /** The requests received (by one endpoint, when given), oldest first; failed ones included. */
  requests(endpoint?: GoogleEmulatorEndpoint): GoogleEmulatorRequest[];
  requestCount(endpoint?: GoogleEmulatorEndpoint): number;
  /** Empties the request log (tokens, settings and queued failures stay). */
  clearRequests(): void;
  /** The next request to `endpoint` gets this answer instead (queued in order). */
  failNext(endpoint: GoogleEmulatorEndpoint, failure: InjectedFailure): void;
  /** Plays the browser and consent screen: returns the callback URL the authorization endpoint redirects to. */
  approve(authorizationUrl: URL | string): Promise<string>;
  /** Closes both listeners and their connections. */
  close(): Promise<void>;
}

type Principal =
  | { readonly kind: 'user'; readonly sub: string }
  | { readonly kind: 'service_account'; readonly email: string; readonly delegatedSub?: string };

/** The kit's consent, and what Google keeps with it. */
interface GoogleConsent extends Consent {
  readonly principal: Principal;
  readonly redirectUri?: string;
  readonly codeChallengeMethod?: 'S256' | 'plain';
  /** `access_type=offline` and the consent screen was shown: the code exchange gets a refresh token. */
  readonly refreshable?: boolean;
}

class OAuthFault extends Error {
  constructor(readonly status: number, readonly error: string, readonly description: string) { super(description); }
}

class ApiFault extends Error {
  constructor(readonly status: number, readonly statusText: string, message: string, readonly reason?: string) { super(message); }

  /** Google API error body (`google.rpc.Status` in JSON). */
  toJSON(): Record<string, unknown> {
    const details = this.reason ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: this.reason, domain: 'googleapis.com' }] } : {};
    return { error: { code: this.status, message: this.message, status: this.statusText, ...details } };
  }
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SCOPE_PREFIX = 'https://www.googleapis.com/auth/';
const USERINFO_EMAIL = `${SCOPE_PREFIX}userinfo.email`;
const USERINFO_PROFILE = `${SCOPE_PREFIX}userinfo.profile`;
const GMAIL_SCOPES = new Set(['https://mail.google.com/', `${SCOPE_PREFIX}gmail.readonly`, `${SCOPE_PREFIX}gmail.modify`, `${SCOPE_PREFIX}gmail.metadata`]);
const MAX_ASSERTION_LIFETIME_S = 3600;
const CLOCK_SKEW_S = 60;
/** Google's token shapes around the kit's opaque values: `4/0A…` codes, `ya29.…` access and `1//…` refresh tokens. */
const WIRE = { code: '4/0A', access: 'ya29.a0', refresh: '1//0g' } as const;
const unwire = (kind: keyof typeof WIRE, value: string | undefined) => (value?.startsWith(WIRE[kind]) ? value.slice(WIRE[kind].length) : undefined);

const DEFAULT_USERS: readonly GoogleEmulatorUser[] = [
  { sub: '109876543210987654321', email: 'alice@example.com', name: 'Alice Example' },
  { sub: '108765432109876543210', email: 'bob@example.com', name: 'Bob Example' },
];

/**
 * Starts a Google OAuth 2.0 / OpenID Connect emulator on 127.0.0.1 (two listeners: the OAuth one for
 * `accounts.google.com` + `oauth2.googleapis.com` + `www.googleapis.com`, the API one for
 * `gmail.googleapis.com` & co.) on the emulator kit (loopback servers, body reader, grant store,
 * request log, ID-token signer, PKCE), reproducing what Google does on the wire:
 *
 * - discovery at `/.well-known/openid-configuration`, JWKS at `/oauth2/v3/certs`, ID tokens RS256 with
 *   `iss`, `aud`/`azp` (client id), `sub`, `email`, `at_hash`, `nonce`;
 * - `GET /o/oauth2/v2/auth` auto-approves for the signed-in account (or `login_hint`) and answers 302 to
 *   `redirect_uri` with `code`, `state`, `scope`, `authuser`, `prompt` and `iss`; an unknown client or an
 *   unregistered redirect URI gets an error page (no redirect); `prompt=none` without prior consent
 *   redirects with `consent_required`; `include_granted_scopes=true` adds earlier grants; the returned
 *   `scope` spells `email`/`profile` as their `userinfo.*` URLs;
 * - `POST /token` (form body only; `client_secret_post` or Basic): `authorization_code` (single use,
 *   10 minutes, `redirect_uri` must match, PKCE `S256`/`plain` checked), `refresh_token` (no new refresh
 *   token; a new `id_token` when the grant has `openid`) and RFC 7523 `jwt-bearer` for the service account
 *   (RS256 signature, `iss`, `aud` = token endpoint, `exp` − `iat` ≤ 1 h, `scope`, `sub` only with
 *   domain-wide delegation). A refresh token is issued only with `access_type=offline` **and** a consent
 *   screen shown (first consent for those scopes, or `prompt=consent`); past `refreshTokenLimit` per
 *   client per account the oldest dies silently;
 * - `POST /revoke` with `token=` (form or query): 200; an unknown, expired or already revoked token is
 *   400 `invalid_token`; revoking either token of a grant kills the whole grant and the consent record;
 * - `GET /v1/userinfo` and `/oauth2/v3/userinfo` (bearer checked) and, on the API listener,
 *   `GET /gmail/v1/users/me/profile` (bearer and a Gmail scope checked; 403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`).
 *
 * @see https://developers.google.com/identity/protocols/oauth2/web-server
 * @see https://developers.google.com/identity/openid-connect/openid-connect
 * @see https://developers.google.com/identity/protocols/oauth2/service-account
 * @param options - client, redirect URIs, accounts, token lifetime
 * @returns the running emulator with its controls
 */
export async function startGoogleEmulator(options: GoogleEmulatorOptions = {}): Promise<GoogleEmulator> {
  const clientId = options.clientId ?? 'emulator-client.apps.googleusercontent.com';
  const clientSecret = options.clientSecret ?? 'GOCSPX-emulator-secret';
  const redirectUris = [...(options.redirectUris ?? ['http://127.0.0.1:3000/oauth/google/callback'])];
  const users = [...(options.users ?? DEFAULT_USERS)];
  if (users.length === 0) throw new Error('startGoogleEmulator: at least one user is needed');
  const refreshTokenLimit = options.refreshTokenLimit ?? 100;
  let accessTokenLifetimeS = options.accessTokenLifetimeSeconds ?? 3599;

  const signer = await IdTokenSigner.create();
  const kid = signer.jwks().keys[0]!.kid!;
  const rogueKey = (await generateKeyPair('RS256')).privateKey;
  const saKeys = await generateKeyPair('RS256', { extractable: true });

  const grants = new GrantStore({ get accessTokenSeconds() { return accessTokenLifetimeS; }, codeSeconds: 600 }, Date.now);
  const log = new RequestLog();
  /** The consent record: scopes each account granted the client (`include_granted_scopes`, `prompt=none`). */
  const consents = new Map<string, Set<string>>();
  /** Grants with a refresh token, oldest first: the per-client-per-account cap and `invalidateRefreshTokens`. */
  const refreshable: Grant[] = [];
  const accessTokens = new Set<string>();
  let signedIn = users[0]!;
  let denyNext: string | undefined;
  let tamperNext: GoogleIdTokenTamper | undefined;
  let rotation = false;
  let idTokenOnRefresh = true;
  let domainWideDelegation = false;

  const oauthServer = await startLoopbackServer((req, res) => handle('oauth', req, res));
  const apiServer = await startLoopbackServer((req, res) => handle('api', req, res));
  const { origin } = oauthServer;
  const apiOrigin = apiServer.origin;
  const issuer = origin;
  const endpoints = {
    discovery: `${origin}/.well-known/openid-configuration`,
    authorization: `${origin}/o/oauth2/v2/auth`,
    token: `${origin}/token`,
    revocation: `${origin}/revoke`,
    jwks: `${origin}/oauth2/v3/certs`,
    userinfo: `${origin}/v1/userinfo`,
    userinfoV3: `${origin}/oauth2/v3/userinfo`,
    gmailProfile: `${apiOrigin}/gmail/v1/users/me/profile`,
  };
  const serviceAccountKey: GoogleEmulatorServiceAccountKey = {
    type: 'service_account',
    project_id: 'authmanager-emulator',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: await exportPKCS8(saKeys.privateKey),
    client_email: 'emulator-sa@authmanager-emulator.iam.gserviceaccount.com',
    client_id: '100000000000000000001',
    auth_uri: endpoints.authorization,
    token_uri: endpoints.token,
  };

  function findUser(account: string): GoogleEmulatorUser | undefined {
    const a = account.toLowerCase();
    return users.find((u) => u.sub === account || u.email.toLowerCase() === a);
  }

  function mustFindUser(account: string): GoogleEmulatorUser {
    const user = findUser(account);
    if (!user) throw new Error(`Google emulator: no account ${account}`);
    return user;
  }

  const consentKey = (sub: string) => `${clientId}\u0000${sub}`;

  /** The wire values of tokens the grant store just issued; a new refresh token counts against the cap. */
  function onWire(issued: IssuedTokens): { access: string; refresh?: string } {
    accessTokens.add(issued.accessToken);
    const access = WIRE.access + issued.accessToken;
    if (issued.refreshToken === undefined) return { access };
    if (!refreshable.includes(issued.grant)) refreshable.push(issued.grant);
    // Per client per account cap: the oldest live refresh token stops working, without notice.
    const sub = userOf(issued.grant.consent as GoogleConsent).sub;
    const live = refreshable.filter((g) => g.active && g.refreshToken !== undefined && userOf(g.consent as GoogleConsent).sub === sub);
    for (const g of live.slice(0, Math.max(0, live.length - refreshTokenLimit))) delete g.refreshToken;
    return { access, refresh: WIRE.refresh + issued.refreshToken };
  }

  /** The account a user grant belongs to. */
  function userOf({ principal }: GoogleConsent): GoogleEmulatorUser {
    return mustFindUser(principal.kind === 'user' ? principal.sub : principal.delegatedSub ?? '');
  }

  function accessGrant(token: string | undefined): GoogleConsent | undefined {
    return grants.accessGrant(unwire('access', token))?.consent as GoogleConsent | undefined;
  }

  async function idToken(user: GoogleEmulatorUser, scopes: readonly string[], accessToken: string, nonce?: string): Promise<string> {
    const how = tamperNext;
    tamperNext = undefined;
    const digest = createHash('sha256').update(accessToken).digest();
    const claims: JWTPayload & Record<string, unknown> = {
      iss: how === 'issuer' ? 'https://accounts.example.invalid' : issuer,
      azp: clientId,
      aud: how === 'audience' ? 'someone-else.apps.googleusercontent.com' : clientId,
      sub: user.sub,
      at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
      ...(user.hd ? { hd: user.hd } : {}),
      ...(scopes.includes(USERINFO_EMAIL) ? { email: user.email, email_verified: user.emailVerified ?? true } : {}),
      ...(scopes.includes(USERINFO_PROFILE) ? { name: user.name } : {}),
      ...(nonce !== undefined || how === 'nonce' ? { nonce: how === 'nonce' ? 'not-the-nonce-you-sent' : nonce } : {}),
    };
    const nowMs = how === 'expired' ? Date.now() - 7_200_000 : Date.now();
    if (how !== 'signature') return signer.sign(claims, 3600, nowMs);
    // The JWKS's `kid`, another key: the signature cannot verify.
    const iat = Math.floor(nowMs / 1000);
    return new SignJWT({ ...claims, iat, exp: iat + 3600 }).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(rogueKey);
  }

  function normalizeScopes(raw: string): string[] {
    const out: string[] = [];
    for (const s of raw.split(' ').filter(Boolean)) {
      const v = s === 'email' ? USERINFO_EMAIL : s === 'profile' ? USERINFO_PROFILE : s;
      if (!out.includes(v)) out.push(v);
    }
    return out;
  }

  const knownScope = (s: string) => s === 'openid' || s.startsWith(SCOPE_PREFIX) || s === 'https://mail.google.com/';

  // ---- authorization endpoint ----------------------------------------------------------------

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const client = q.get('client_id');
    if (client !== clientId) return errorPage(res, 401, 'invalid_client', client ? 'The OAuth client was not found.' : 'Missing required parameter: client_id');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !redirectUris.includes(redirectUri)) {
      return errorPage(res, 400, 'redirect_uri_mismatch', "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy.");
    }
    const state = q.get('state');
    const back = (params: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.href, 'cache-control': 'no-store' }).end();
    };
    if (q.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
    const scopeParam = q.get('scope');
    if (!scopeParam) return errorPage(res, 400, 'invalid_request', 'Missing required parameter: scope');
    const requested = normalizeScopes(scopeParam);
    const unknown = requested.find((s) => !knownScope(s));
    if (unknown) return errorPage(res, 400, 'invalid_scope', `Some requested scopes were invalid. {invalid=[${unknown}]}`);
    const accessType = q.get('access_type') ?? 'online';
    if (accessType !== 'online' && accessType !== 'offline') return errorPage(res, 400, 'invalid_request', `Invalid access_type: ${accessType}`);
    const prompt = (q.get('prompt') ?? '').split(' ').filter(Boolean);
    if (prompt.some((p) => !['none', 'consent', 'select_account'].includes(p)) || (prompt.includes('none') && prompt.length > 1)) {
      return errorPage(res, 400, 'invalid_request', `Invalid parameter value for prompt: ${q.get('prompt')}`);
    }
    const challenge = q.get('code_challenge') ?? undefined;
    const challengeMethod = challenge ? (q.get('code_challenge_method') ?? 'plain') : undefined;
    if (challengeMethod && challengeMethod !== 'S256' && challengeMethod !== 'plain') {
      return errorPage(res, 400, 'invalid_request', `Invalid code_challenge_method: ${challengeMethod}`);
    }
    if (denyNext) {
      const error = denyNext;
      denyNext = undefined;
      return back({ error });
    }
    const hint = q.get('login_hint');
    const user = (hint ? findUser(hint) : undefined) ?? signedIn;
    const granted = consents.get(consentKey(user.sub)) ?? new Set<string>();
    const needsConsent = requested.some((s) => !granted.has(s));
    if (prompt.includes('none') && needsConsent) return back({ error: 'consent_required', iss: issuer });
    const consentShown = prompt.includes('consent') || needsConsent;
    for (const s of requested) granted.add(s);
    consents.set(consentKey(user.sub), granted);
    const scopes = q.get('include_granted_scopes') === 'true' ? [...granted] : requested;
    const nonce = q.get('nonce');
    const consent: GoogleConsent = {
      clientId, scopes, redirectUri, principal: { kind: 'user', sub: user.sub }, refreshable: accessType === 'offline' && consentShown,
      ...(nonce !== null ? { nonce } : {}),
      ...(challenge ? { codeChallenge: challenge, codeChallengeMethod: challengeMethod as 'S256' | 'plain' } : {}),
    };
    const code = WIRE.code + grants.issueCode(consent);
    back({ code, scope: scopes.join(' '), authuser: '0', prompt: consentShown ? 'consent' : 'none', iss: issuer });
  }

  // ---- token endpoint -------------------------------------------------------------------------

  /** Google takes `client_secret_post` or Basic (RFC 6749 §2.3.1: form-encoded before base64), not both with different values. */
  function authenticateClient(req: IncomingMessage, form: Readonly<Record<string, string>>): string {
    let id = form.client_id;
    let secret = form.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthFault(401, 'invalid_client', 'Unauthorized');
      const [basicId, basicSecret] = [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
      if ((id !== undefined && id !== basicId) || (secret !== undefined && secret !== basicSecret)) {
        throw new OAuthFault(400, 'invalid_request', 'client authentication given twice with different values');
      }
      [id, secret] = [basicId, basicSecret];
    }
    if (!id) throw new OAuthFault(400, 'invalid_request', 'Could not determine client ID from request.');
    if (id !== clientId) throw new OAuthFault(401, 'invalid_client', 'The OAuth client was not found.');
    if (!secret) throw new OAuthFault(400, 'invalid_request', 'client_secret is missing.');
    if (!safeEqual(secret, clientSecret)) throw new OAuthFault(401, 'invalid_client', 'Unauthorized');
    return id;
  }

  async function tokenEndpoint(req: IncomingMessage, form: Readonly<Record<string, string>>): Promise<Record<string, unknown>> {
    if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      throw new OAuthFault(400, 'invalid_request', 'Invalid request: the body must be application/x-www-form-urlencoded');
    }
    const grantType = form.grant_type;
    if (!grantType) throw new OAuthFault(400, 'unsupported_grant_type', 'Invalid grant_type: ');
    if (grantType === JWT_BEARER) return jwtBearerGrant(form);
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw new OAuthFault(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
    }
    const client = authenticateClient(req, form);
    return grantType === 'authorization_code' ? codeGrant(client, form) : refreshGrant(client, form);
  }

  async function codeGrant(client: string, form: Readonly<Record<string, string>>): Promise<Record<string, unknown>> {
    if (!form.code) throw new OAuthFault(400, 'invalid_request', 'Missing required parameter: code');
    const raw = unwire('code', form.code);
    if (raw === undefined) throw new OAuthFault(400, 'invalid_grant', 'Malformed auth code.');
    const consent = grants.redeemCode(raw) as GoogleConsent | undefined; // single use, from here on
    if (!consent || consent.clientId !== client) throw new OAuthFault(400, 'invalid_grant', 'Bad Request');
    if (form.redirect_uri !== consent.redirectUri) throw new OAuthFault(400, 'redirect_uri_mismatch', 'Bad Request');
    if (consent.codeChallenge) {
      const verifier = form.code_verifier;
      if (!verifier) throw new OAuthFault(400, 'invalid_grant', 'Missing code verifier.');
      const ok = consent.codeChallengeMethod === 'S256' ? verifyS256(verifier, consent.codeChallenge) : safeEqual(verifier, consent.codeChallenge);
      if (!ok) throw new OAuthFault(400, 'invalid_grant', 'Invalid code verifier.');
    }
    const user = userOf(consent);
    const { access, refresh } = onWire(grants.open(consent, true, consent.refreshable === true));
    return {
      access_token: access,
      expires_in: accessTokenLifetimeS,
      ...(refresh ? { refresh_token: refresh } : {}),
      scope: consent.scopes.join(' '),
      token_type: 'Bearer',
      ...(consent.scopes.includes('openid') ? { id_token: await idToken(user, consent.scopes, access, consent.nonce) } : {}),
    };
  }

  async function refreshGrant(client: string, form: Readonly<Record<string, string>>): Promise<Record<string, unknown>> {
    if (!form.refresh_token) throw new OAuthFault(400, 'invalid_request', 'Missing required parameter: refresh_token');
    const raw = unwire('refresh', form.refresh_token);
    const grant = grants.refreshGrant(raw);
    if (!grant || grant.consent.clientId !== client) throw new OAuthFault(400, 'invalid_grant', 'Token has been expired or revoked.');
    const { access, refresh } = onWire(grants.refresh(raw, rotation ? 'rotates' : 'undocumented')!);
    const consent = grant.consent as GoogleConsent;
    const user = userOf(consent);
    return {
      access_token: access,
      expires_in: accessTokenLifetimeS,
      scope: consent.scopes.join(' '),
      token_type: 'Bearer',
      ...(refresh ? { refresh_token: refresh } : {}),
      ...(idTokenOnRefresh && consent.scopes.includes('openid') ? { id_token: await idToken(user, consent.scopes, access) } : {}),
    };
  }

  async function jwtBearerGrant(form: Readonly<Record<string, string>>): Promise<Record<string, unknown>> {
    const assertion = form.assertion;
    if (!assertion) throw new OAuthFault(400, 'invalid_request', 'Missing required parameter: assertion');
    let claims: JWTPayload;
    try {
      if (decodeProtectedHeader(assertion).alg !== 'RS256') throw new Error('alg');
      claims = decodeJwt(assertion);
    } catch {
      throw new OAuthFault(400, 'invalid_grant', 'Invalid JWT: malformed assertion.');
    }
    if (claims.iss !== serviceAccountKey.client_email) throw new OAuthFault(400, 'invalid_grant', 'Invalid grant: account not found');
    try {
      await compactVerify(assertion, saKeys.publicKey, { algorithms: ['RS256'] });
    } catch {
      throw new OAuthFault(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= now || iat > now + CLOCK_SKEW_S || exp - iat > MAX_ASSERTION_LIFETIME_S) {
      throw new OAuthFault(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(endpoints.token)) throw new OAuthFault(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    const scope = (claims as { scope?: unknown }).scope;
    if (typeof scope !== 'string' || scope.trim() === '') throw new OAuthFault(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const scopes = normalizeScopes(scope);
    if (scopes.some((s) => !knownScope(s))) throw new OAuthFault(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    let delegatedSub: string | undefined;
    if (claims.sub !== undefined && claims.sub !== serviceAccountKey.client_email) {
      const user = domainWideDelegation ? findUser(claims.sub) : undefined;
      if (!user) {
        throw new OAuthFault(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
      }
      delegatedSub = user.sub;
    }
    const principal: Principal = { kind: 'service_account', email: serviceAccountKey.client_email, ...(delegatedSub ? { delegatedSub } : {}) };
    const consent: GoogleConsent = { clientId: serviceAccountKey.client_id, scopes, principal };
    const { access } = onWire(grants.open(consent, false, false));
    return { access_token: access, expires_in: accessTokenLifetimeS, token_type: 'Bearer' };
  }

  // ---- revocation -----------------------------------------------------------------------------

  /** Either token of a grant ends the whole grant and the consent record; a dead one is 400 `invalid_token`. */
  function revoke(url: URL, form: Readonly<Record<string, string>>): void {
    const value = form.token ?? url.searchParams.get('token') ?? undefined;
    if (!value) throw new OAuthFault(400, 'invalid_request', 'Missing required parameter: token');
    const access = unwire('access', value);
    const grant = access !== undefined ? grants.accessGrant(access) : grants.refreshGrant(unwire('refresh', value));
    if (!grant) throw new OAuthFault(400, 'invalid_token', 'Token expired or revoked');
    grants.revoke(access ?? unwire('refresh', value), access !== undefined ? 'access_token' : 'refresh_token', true);
    const { principal } = grant.consent as GoogleConsent;
    if (principal.kind === 'user') consents.delete(consentKey(principal.sub));
  }

  // ---- APIs -----------------------------------------------------------------------------------

  function bearer(req: IncomingMessage): GoogleConsent {
    const consent = accessGrant(/^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1]);
    if (!consent) {
      throw new ApiFault(401, 'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    const project = req.headers['x-goog-user-project'];
    if (typeof project === 'string' && project.trim() === '') throw new ApiFault(400, 'INVALID_ARGUMENT', 'x-goog-user-project must not be empty');
    return consent;
  }

  function principalUser({ principal: p }: GoogleConsent): { sub: string; email: string; name?: string; emailVerified: boolean } {
    if (p.kind === 'user' || p.delegatedSub) {
      const user = mustFindUser(p.kind === 'user' ? p.sub : p.delegatedSub!);
      return { sub: user.sub, email: user.email, name: user.name, emailVerified: user.emailVerified ?? true };
    }
    return { sub: serviceAccountKey.client_id, email: p.email, emailVerified: true };
  }

  function userinfo(req: IncomingMessage): Record<string, unknown> {
    const consent = bearer(req);
    const { scopes } = consent;
    if (!scopes.some((s) => s === 'openid' || s === USERINFO_EMAIL || s === USERINFO_PROFILE)) {
      throw new ApiFault(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    }
    const who = principalUser(consent);
    return {
      sub: who.sub,
      ...(scopes.includes(USERINFO_PROFILE) && who.name ? { name: who.name } : {}),
      ...(scopes.includes(USERINFO_EMAIL) ? { email: who.email, email_verified: who.emailVerified } : {}),
    };
  }

  function gmailProfile(req: IncomingMessage): Record<string, unknown> {
    const consent = bearer(req);
    if (!consent.scopes.some((s) => GMAIL_SCOPES.has(s))) {
      throw new ApiFault(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    }
    return { emailAddress: principalUser(consent).email, messagesTotal: 42, threadsTotal: 17, historyId: '1234567' };
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  function route(listener: 'oauth' | 'api', path: string): GoogleEmulatorEndpoint {
    if (listener === 'api') return path === '/gmail/v1/users/me/profile' ? 'api' : 'unknown';
    switch (path) {
      case '/.well-known/openid-configuration': return 'discovery';
      case '/oauth2/v3/certs': return 'jwks';
      case '/o/oauth2/v2/auth': return 'authorize';
      case '/token': return 'token';
      case '/revoke': return 'revocation';
      case '/v1/userinfo': case '/oauth2/v3/userinfo': return 'userinfo';
      default: return 'unknown';
    }
  }

  async function handle(listener: 'oauth' | 'api', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', listener === 'oauth' ? origin : apiOrigin);
    const method = req.method ?? 'GET';
    const endpoint = route(listener, url.pathname);
    let body: RequestBody;
    try { body = await readBody(req); } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'invalid_request', error_description: err.message });
      throw err;
    }
    const { raw, format, params: fields } = body;
    const params = method === 'GET' ? Object.fromEntries(url.searchParams) : format === 'form' ? fields : {};
    const request: GoogleEmulatorRequest = { endpoint, listener, method, path: req.url ?? '/', headers: flatHeaders(req), body: raw, params };
    log.record(request);
    const failure = log.takeFailure(endpoint);
    if (failure) return sendFailure(res, failure);
    try {
      const only = (m: string) => { if (method !== m) throw new OAuthFault(405, 'invalid_request', `Method ${method} not allowed`); };
      switch (endpoint) {
        case 'discovery': only('GET'); return sendJson(res, 200, discoveryDocument());
        case 'jwks': only('GET'); return sendJson(res, 200, signer.jwks(), { 'cache-control': 'public, max-age=3600' });
        case 'authorize': only('GET'); return authorize(url, res);
        case 'token': only('POST'); return sendJson(res, 200, await tokenEndpoint(req, params), { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' });
        case 'revocation': only('POST'); revoke(url, params); return sendJson(res, 200, {});
        case 'userinfo': return sendJson(res, 200, userinfo(req));
        case 'api': only('GET'); return sendJson(res, 200, gmailProfile(req));
        default: return sendJson(res, 404, { error: { code: 404, message: `Not Found: ${url.pathname}`, status: 'NOT_FOUND' } });
      }
    } catch (err) {
      if (err instanceof OAuthFault) return sendJson(res, err.status, { error: err.error, error_description: err.description });
      if (err instanceof ApiFault) {
        const extra: Record<string, string> = err.status === 401 ? { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' } : {};
        return sendJson(res, err.status, err.toJSON(), extra);
      }
      throw err;
    }
  }

  function discoveryDocument(): Record<string, unknown> {
    return {
      issuer,
      authorization_endpoint: endpoints.authorization,
      token_endpoint: endpoints.token,
      userinfo_endpoint: endpoints.userinfo,
      revocation_endpoint: endpoints.revocation,
      jwks_uri: endpoints.jwks,
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', JWT_BEARER],
    };
  }

  const appCredentials: GoogleEmulatorAppCredentials = {
    issuer,
    jwksUrl: endpoints.jwks,
    revocationUrl: endpoints.revocation,
    apiBaseUrl: origin,
    gmailBaseUrl: apiOrigin,
    calendarBaseUrl: `${origin}/calendar/v3`,
    driveBaseUrl: `${origin}/drive/v3`,
    sheetsBaseUrl: `${apiOrigin}/v4`,
    docsBaseUrl: `${apiOrigin}/v1`,
    clientId,
    clientSecret,
    redirectUri: redirectUris[0]!,
  };

  return {
    issuer, origin, apiOrigin, endpoints, clientId, clientSecret, redirectUri: redirectUris[0]!, redirectUris, users,
    appCredentials, serviceAccountKey,
    signInAs(account) { signedIn = mustFindUser(account); },
    denyNextAuthorization(error = 'access_denied') { denyNext = error; },
    tamperNextIdToken(how) { tamperNext = how; },
    expireAccessTokens() {
      for (const t of accessTokens) grants.revoke(t, 'access_token');
      accessTokens.clear();
    },
    invalidateRefreshTokens() { for (const g of refreshable) delete g.refreshToken; },
    setRefreshTokenRotation(on) { rotation = on; },
    setIdTokenOnRefresh(on) { idTokenOnRefresh = on; },
    setAccessTokenLifetime(seconds) { accessTokenLifetimeS = seconds; },
    setDomainWideDelegation(on) { domainWideDelegation = on; },
    issueAccessToken({ account, scopes }) {
      const user = account ? mustFindUser(account) : signedIn;
      const consent: GoogleConsent = { clientId, scopes: normalizeScopes(scopes.join(' ')), principal: { kind: 'user', sub: user.sub } };
      return onWire(grants.open(consent, true, false)).access;
    },
    isTokenActive(value) {
      const access = unwire('access', value);
      return access !== undefined ? grants.accessGrant(access) !== undefined : grants.refreshGrant(unwire('refresh', value)) !== undefined;
    },
    grantedScopes(account) { return [...(consents.get(consentKey(mustFindUser(account).sub)) ?? [])]; },
    requests: (endpoint) => log.requests(endpoint) as GoogleEmulatorRequest[],
    requestCount: (endpoint) => log.requestCount(endpoint),
    clearRequests: () => log.clearRequests(),
    failNext: (endpoint, failure) => log.failNext(endpoint, failure),
    approve,
    async close() { await Promise.all([oauthServer.close(), apiServer.close()]); },
  };
}

function errorPage(res: ServerResponse, status: number, error: string, message: string): void {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
    .end(`<!doctype html><title>Error ${status}: ${error}</title><h1>Error ${status}: ${error}</h1><p>${escaped}</p>`);
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function formDecode(s: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; }
}

// Local adapters for two kit steps that startProviderEmulator keeps private (see the migration report).
