import { generateKeyPair, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, {
  type AdapterPayload,
  type Configuration,
  type Interaction,
  type InteractionResults,
  type JWKS,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { renderConsentPage, renderErrorPage, renderLoginPage } from './sandboxPages.js';
import { SandboxStore } from './sandboxStore.js';

/**
 * A named endpoint of the sandbox authorization server, as used by the request counters and by
 * {@link SandboxProvider.failNext}:
 *
 * - `discovery` — `GET /.well-known/openid-configuration`
 * - `jwks` — `GET /jwks`
 * - `authorization` — `/auth` (the authorization request, RFC 6749 §4.1.1)
 * - `authorization_resume` — `/auth/<uid>` (the redirect back from a finished interaction)
 * - `interaction` — `/interaction/<uid>[/login|/confirm|/abort]` (sign-in and consent pages)
 * - `token` — `/token` (RFC 6749 §3.2)
 * - `revocation` — `/token/revocation` (RFC 7009)
 * - `introspection` — `/token/introspection` (RFC 7662)
 * - `userinfo` — `/me` (OpenID Connect UserInfo)
 * - `end_session` — `/session/end`
 * - `api_me` — `GET /api/me`, the sandbox's protected resource
 * - `other` — any other path
 */
export type SandboxEndpoint =
  | 'discovery'
  | 'jwks'
  | 'authorization'
  | 'authorization_resume'
  | 'interaction'
  | 'token'
  | 'revocation'
  | 'introspection'
  | 'userinfo'
  | 'end_session'
  | 'api_me'
  | 'other';

/**
 * A request counter name: an endpoint, or `token:<grant_type>` for token requests of one grant
 * type, e.g. `token:authorization_code`, `token:refresh_token` (`token:unknown` when the body
 * carried no `grant_type`).
 */
export type SandboxCounterName = SandboxEndpoint | `token:${string}`;

/**
 * A fault to inject into the next request(s) to one endpoint, for failures a test can't cause for
 * real. With only `delayMs`, the request is answered normally after the delay; with `status`, the
 * server answers that status instead of processing the request (after `delayMs`, if also given).
 *
 * A delayed request whose client disconnects during the delay (a client-side timeout) is dropped
 * without being processed: it has no effect on the server's state, so a retry is deterministic.
 * It counts under its endpoint, but a dropped token request is not counted under
 * `token:<grant_type>`.
 */
export interface SandboxFault {
  /**
   * HTTP status to answer with instead of processing the request, e.g. `503`.
   * @default undefined (process the request normally)
   */
  readonly status?: number;
  /**
   * Milliseconds to wait before answering (or before processing the request when there is no
   * `status`).
   * @default 0
   */
  readonly delayMs?: number;
  /**
   * How many consecutive requests to the endpoint get this fault.
   * @default 1
   */
  readonly count?: number;
  /**
   * JSON body to send with `status`.
   * @default `{ "error": "server_error", "error_description": "sandbox: injected fault" }` for a
   * status ≥ 500, `{ "error": "invalid_request", ... }` otherwise
   */
  readonly body?: Readonly<Record<string, unknown>>;
  /** Extra response headers to send with `status`, e.g. `{ 'retry-after': '1' }`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link startSandboxProvider}. Every field is optional. */
export interface SandboxProviderOptions {
  /**
   * TCP port to listen on; `0` picks a free port.
   * @default 0
   */
  readonly port?: number;
  /**
   * Loopback address to listen on. The issuer is `http://<host>:<port>`.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /** @default 'sandbox-client' */
  readonly clientId?: string;
  /** @default 'sandbox-secret' */
  readonly clientSecret?: string;
  /**
   * The client's registered redirect URIs (exact match). At least one must be registered — here or
   * with {@link SandboxProvider.addRedirectUri} — before the client is usable: until then the
   * server does not know the client (`invalid_client`).
   * @default []
   */
  readonly redirectUris?: readonly string[];
  /**
   * `true`: a person signs in on an HTML page (any username, no password) and approves or denies
   * on a consent page. `false`: no page is shown; the subject is the authorization request's
   * `login_hint`, or `'sandbox-user'`, and every requested scope is granted.
   * @default true
   */
  readonly interactive?: boolean;
  /**
   * Whether a refresh token is replaced by a new one on each use (the used one then fails with
   * `invalid_grant`, and presenting it again revokes the whole grant). Switchable at runtime with
   * {@link SandboxProvider.setRefreshTokenRotation}.
   * @default true
   */
  readonly refreshTokenRotation?: boolean;
  /**
   * Lifetime of issued access tokens, in seconds (`expires_in`). Changeable at runtime with
   * {@link SandboxProvider.setAccessTokenTtlSeconds}.
   * @default 3600
   */
  readonly accessTokenTtlSeconds?: number;
  /**
   * Lifetime of issued refresh tokens, in seconds.
   * @default 1209600 (14 days)
   */
  readonly refreshTokenTtlSeconds?: number;
}

/** Absolute URLs of the sandbox's endpoints. */
export interface SandboxEndpointUrls {
  /** OpenID Provider metadata: `<issuer>/.well-known/openid-configuration`. */
  readonly discovery: string;
  readonly authorization: string;
  readonly token: string;
  /** RFC 7009 revocation endpoint. */
  readonly revocation: string;
  /** RFC 7662 introspection endpoint. */
  readonly introspection: string;
  readonly userinfo: string;
  readonly jwks: string;
  /** The protected resource `GET /api/me`. */
  readonly apiMe: string;
}

/**
 * A running sandbox authorization server (see {@link startSandboxProvider}) and its test controls.
 * `await using` closes it at the end of the scope.
 */
export interface SandboxProvider extends AsyncDisposable {
  /** Issuer identifier, `http://<host>:<port>` (no trailing slash). */
  readonly issuer: string;
  /** Base URL of the server; the same value as `issuer`. */
  readonly url: string;
  readonly endpoints: SandboxEndpointUrls;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Scopes the server supports: `openid`, `profile`, `email`, `offline_access`, `api:read`. */
  readonly scopes: readonly string[];
  /** Registers one more redirect URI for the client; takes effect on the next request. */
  addRedirectUri(uri: string): void;
  /** Turns refresh token rotation on or off for the next refresh requests. */
  setRefreshTokenRotation(enabled: boolean): void;
  /**
   * Sets the lifetime of access tokens issued from now on.
   * @param seconds a positive integer number of seconds
   * @throws RangeError when `seconds` is not a positive integer
   */
  setAccessTokenTtlSeconds(seconds: number): void;
  /**
   * Requests received since start or the last {@link SandboxProvider.resetCounts}. Every request
   * counts, whatever its method or outcome (including injected faults and rejected requests).
   * @returns the count, `0` for a name never seen
   */
  requestCount(name: SandboxCounterName): number;
  /** A snapshot of every non-zero counter, e.g. `{ discovery: 1, token: 2, 'token:refresh_token': 1 }`. */
  counts(): Readonly<Record<string, number>>;
  /** Sets every counter to zero. */
  resetCounts(): void;
  /**
   * Injects a fault into the next request(s) to `endpoint`. Faults queue: a second call applies
   * after the first one's `count` is used up.
   * @param fault what to do; `{}` answers `503` once
   * @throws RangeError when `status`, `delayMs` or `count` is out of range
   */
  failNext(endpoint: SandboxEndpoint, fault?: SandboxFault): void;
  /** Drops every queued fault. */
  clearFaults(): void;
  /**
   * Revokes every grant of a subject, with the authorization codes, access tokens and refresh
   * tokens issued under them: the next refresh fails with `invalid_grant` and `/api/me` answers
   * `401`. The subject's browser session is kept, so re-authorizing asks for consent, not sign-in.
   * @param subject the `sub` of the end user
   * @returns the number of grants revoked
   */
  revokeGrantsFor(subject: string): Promise<number>;
  /** Stops the server, closes every connection and cancels pending delays. Idempotent. */
  close(): Promise<void>;
}

const SUPPORTED_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access', 'api:read'];

const ROUTES = {
  authorization: '/auth',
  token: '/token',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  userinfo: '/me',
  jwks: '/jwks',
  end_session: '/session/end',
} as const;
const DISCOVERY_PATH = '/.well-known/openid-configuration';
const API_ME_PATH = '/api/me';
const INTERACTION_PREFIX = '/interaction/';

const DEFAULT_SUBJECT = 'sandbox-user';
const FORM_BODY_LIMIT_BYTES = 64 * 1024;

function endpointOf(pathname: string): SandboxEndpoint {
  switch (pathname) {
    case DISCOVERY_PATH: return 'discovery';
    case ROUTES.jwks: return 'jwks';
    case ROUTES.authorization: return 'authorization';
    case ROUTES.token: return 'token';
    case ROUTES.revocation: return 'revocation';
    case ROUTES.introspection: return 'introspection';
    case ROUTES.userinfo: return 'userinfo';
    case ROUTES.end_session: return 'end_session';
    case API_ME_PATH: return 'api_me';
    default:
      if (pathname.startsWith(`${ROUTES.authorization}/`)) return 'authorization_resume';
      if (pathname.startsWith(INTERACTION_PREFIX)) return 'interaction';
      return 'other';
  }
}

let signingKeys: Promise<JWKS> | undefined;

/** One RS256 signing key per process, made on first use (ID tokens only; access tokens are opaque). */
function sandboxSigningKeys(): Promise<JWKS> {
  signingKeys ??= new Promise<JWKS>((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, _publicKey, privateKey) => {
      if (err) {
        signingKeys = undefined;
        reject(err);
        return;
      }
      const jwk = privateKey.export({ format: 'jwk' });
      resolve({ keys: [{ ...jwk, kid: 'sandbox-rs256', alg: 'RS256', use: 'sig' }] } as JWKS);
    });
  });
  return signingKeys;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > FORM_BODY_LIMIT_BYTES) throw new RangeError('request body too large');
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  send(res, status, 'text/html; charset=utf-8', html);
}

/**
 * Headers sent with every response of the sandbox (its own pages, oidc-provider's error pages and
 * JSON alike): a strict Content-Security-Policy that allows no script, no framing (`frame-ancestors
 * 'none'`, and `X-Frame-Options: DENY` for browsers without CSP 2) and forms posting only to the
 * sandbox itself and the registered redirect URIs (Chromium applies `form-action` to the redirects
 * that follow a form submission, and Approve ends in a redirect to the client). oidc-provider adds
 * the hash of its one inline script (the `form_post` response mode) to `script-src` itself.
 */
function pageSecurityHeaders(redirectUris: ReadonlySet<string>): Record<string, string> {
  const formTargets = new Set<string>();
  for (const uri of redirectUris) formTargets.add(new URL(uri).origin);
  return {
    'content-security-policy': [
      "default-src 'none'",
      "style-src 'unsafe-inline'",
      "script-src 'none'",
      `form-action 'self'${[...formTargets].map((origin) => ` ${origin}`).join('')}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** The requested scopes that the sandbox supports, in request order. */
function requestedScopes(details: Interaction): string[] {
  const { scope } = details.params;
  if (typeof scope !== 'string') return [];
  return [...new Set(scope.split(' '))].filter((s) => SUPPORTED_SCOPES.includes(s));
}

function stringParam(details: Interaction, name: string): string | undefined {
  const value = details.params[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Starts a real OAuth 2.0 / OpenID Connect authorization server (oidc-provider 9) over plain
 * HTTP on loopback, with one confidential client, for tests, benchmarks and the connect demo.
 *
 * What it serves:
 * - authorization code grant with PKCE (`S256`, required) and refresh tokens; client
 *   authentication `client_secret_basic` or `client_secret_post` (RFC 6749 §2.3.1);
 * - a refresh token when `offline_access` is requested with `prompt=consent` and granted, as a
 *   standard OpenID Connect server does (Core §11): without `consent` in `prompt` the scope is
 *   dropped and no refresh token is issued. The {@link sandbox} provider definition sends it;
 * - on every response, a strict Content-Security-Policy (no script, `frame-ancestors 'none'`) and
 *   `X-Frame-Options: DENY`;
 * - opaque access tokens, revocation (RFC 7009), introspection (RFC 7662), UserInfo, discovery;
 * - `GET /api/me`, a protected resource: with a valid `Authorization: Bearer <access token>`
 *   (known, not expired, not revoked) it answers `200 { sub, scope, client_id }`; otherwise `401`
 *   with `WWW-Authenticate: Bearer realm="sandbox", error="invalid_token"` (no `error` when the
 *   request carries no token, RFC 6750 §3.1); an app-level token of the client credentials grant
 *   (RFC 6749 §4.4, enabled for the sandbox client) gets `200 { scope, client_id }`;
 * - sign-in and consent pages (see {@link SandboxProviderOptions.interactive}); "Deny" redirects
 *   back with `error=access_denied`.
 *
 * State lives in memory per instance; cookie keys are random per start. Close it (or
 * `await using`) so no handle stays open.
 *
 * @param options see {@link SandboxProviderOptions}
 * @returns the running server and its controls, once it listens
 * @throws RangeError when `accessTokenTtlSeconds` or `refreshTokenTtlSeconds` is not a positive
 *   integer; the listen error (e.g. `EADDRINUSE`) when the port is taken
 * @see https://github.com/panva/node-oidc-provider/tree/main/docs
 * @example
 * ```ts
 * const sandbox = await startSandboxProvider({
 *   redirectUris: ['http://127.0.0.1:3000/callback'],
 *   interactive: false,
 * });
 * try {
 *   const metadata = await fetch(sandbox.endpoints.discovery).then((r) => r.json());
 *   console.log(metadata.token_endpoint, sandbox.requestCount('discovery')); // …/token 1
 * } finally {
 *   await sandbox.close();
 * }
 * ```
 */
export async function startSandboxProvider(options: SandboxProviderOptions = {}): Promise<SandboxProvider> {
  const host = options.host ?? '127.0.0.1';
  const clientId = options.clientId ?? 'sandbox-client';
  const clientSecret = options.clientSecret ?? 'sandbox-secret';
  const interactive = options.interactive ?? true;
  const refreshTokenTtlSeconds = options.refreshTokenTtlSeconds ?? 14 * 24 * 60 * 60;
  let rotation = options.refreshTokenRotation ?? true;
  let accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 3600;
  assertPositiveInteger('accessTokenTtlSeconds', accessTokenTtlSeconds);
  assertPositiveInteger('refreshTokenTtlSeconds', refreshTokenTtlSeconds);

  const redirectUris = new Set(options.redirectUris ?? []);
  const counters = new Map<string, number>();
  const faults = new Map<SandboxEndpoint, { fault: SandboxFault; remaining: number }[]>();
  const pendingDelays = new Set<() => void>();
  let closed = false;
  let closing: Promise<void> | undefined;

  const count = (name: string): void => {
    counters.set(name, (counters.get(name) ?? 0) + 1);
  };
  const countGrantType = (grantType: unknown): void => {
    count(`token:${typeof grantType === 'string' && grantType.length > 0 ? grantType : 'unknown'}`);
  };

  const takeFault = (endpoint: SandboxEndpoint): SandboxFault | undefined => {
    const queue = faults.get(endpoint);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  };

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      pendingDelays.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    pendingDelays.add(wake);
  });

  const store = new SandboxStore((id): AdapterPayload | undefined => {
    if (id !== clientId || redirectUris.size === 0) return undefined;
    return {
      client_id: clientId,
      client_secret: clientSecret,
      client_name: 'Sandbox client',
      redirect_uris: [...redirectUris],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'client_credentials'],
      // client_secret_post is accepted too: oidc-provider takes either for a client_secret_* client.
      token_endpoint_auth_method: 'client_secret_basic',
    };
  });

  const jwks = await sandboxSigningKeys();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const configuration: Configuration = {
    adapter: store.adapterFactory,
    jwks,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: { ...ROUTES },
    scopes: [...SUPPORTED_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    pkce: { required: () => true },
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      // RFC 8628: `/device/auth` issues codes, `/device` is where a person enters or confirms one
      // (oidc-provider's own pages), then the usual sign-in and consent interaction runs.
      deviceFlow: { enabled: true },
      // RFC 6749 §4.4: app-level tokens for the client credentials grant.
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        name: sub,
        preferred_username: sub,
        email: sub.includes('@') ? sub : `${sub}@sandbox.test`,
        email_verified: true,
      }),
    }),
    interactions: {
      url: async (_ctx, interaction) => `${INTERACTION_PREFIX}${interaction.uid}`,
    },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: () => rotation,
    ttl: {
      AccessToken: () => accessTokenTtlSeconds,
      ClientCredentials: () => accessTokenTtlSeconds,
      DeviceCode: 600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTokenTtlSeconds,
      Interaction: 3600,
      Session: 14 * 24 * 60 * 60,
      Grant: refreshTokenTtlSeconds,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(String(out.error), String(out.error_description ?? ''));
    },
  };

  let provider: Provider;
  try {
    provider = new Provider(issuer, configuration);
  } catch (err) {
    server.close();
    throw err;
  }
  provider.use(async (ctx, next) => {
    await next();
    // Counts token requests by grant_type once oidc-provider has parsed the body.
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    if (oidc?.route === 'token') countGrantType(oidc.params?.['grant_type']);
  });
  const providerCallback = provider.callback();

  const saveGrant = async (details: Interaction, accountId: string): Promise<string> => {
    const grantClientId = String(details.params['client_id']);
    let grant = details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
    if (grant === undefined || grant.accountId !== accountId || grant.clientId !== grantClientId) {
      grant = new provider.Grant({ accountId, clientId: grantClientId });
    }
    const scopes = requestedScopes(details);
    if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
    const missingClaims = details.prompt.details['missingOIDCClaims'];
    if (Array.isArray(missingClaims) && missingClaims.length > 0) {
      grant.addOIDCClaims(missingClaims.map(String));
    }
    return grant.save();
  };

  const finishHeadless = async (req: IncomingMessage, res: ServerResponse, details: Interaction): Promise<void> => {
    const accountId = details.prompt.name === 'login' || details.session === undefined
      ? stringParam(details, 'login_hint') ?? details.session?.accountId ?? DEFAULT_SUBJECT
      : details.session.accountId;
    const result: InteractionResults = {};
    if (details.prompt.name === 'login' || details.session === undefined) result.login = { accountId };
    result.consent = { grantId: await saveGrant(details, accountId) };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  };

  const handleInteraction = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    const match = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(pathname);
    if (match === null) {
      sendHtml(res, 404, renderErrorPage('Not found', 'There is no such page.'));
      return;
    }
    const [, uid, action] = match;
    let details: Interaction | undefined;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      details = undefined; // no interaction cookie, or the interaction expired
    }
    if (details === undefined || details.uid !== uid) {
      sendHtml(res, 400, renderErrorPage(
        'Sign-in expired',
        'This sign-in request has expired or the browser did not send its cookies. Start again from the application.',
      ));
      return;
    }
    if (!interactive) {
      await finishHeadless(req, res, details);
      return;
    }

    const pageClientId = String(details.params['client_id']);
    const actionPath = `${INTERACTION_PREFIX}${details.uid}`;
    const loginHint = stringParam(details, 'login_hint');
    if (action === undefined) {
      if (details.prompt.name === 'login' || details.session === undefined) {
        sendHtml(res, 200, renderLoginPage({ actionPath, clientId: pageClientId, loginHint }));
      } else {
        sendHtml(res, 200, renderConsentPage({
          actionPath,
          clientId: pageClientId,
          subject: details.session.accountId,
          scopes: requestedScopes(details),
        }));
      }
      return;
    }

    if (req.method !== 'POST') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed', { allow: 'POST' });
      return;
    }
    const form = await readForm(req);
    if (action === 'abort') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
      return;
    }
    if (action === 'login') {
      const login = (form.get('login') ?? '').trim();
      if (login.length === 0 || login.length > 200) {
        sendHtml(res, 400, renderLoginPage({
          actionPath, clientId: pageClientId, loginHint, error: 'Enter a username (up to 200 characters).',
        }));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    // action === 'confirm'
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || accountId === undefined) {
      sendHtml(res, 400, renderErrorPage('Sign in first', 'This request has no signed-in user to approve for.'));
      return;
    }
    const grantId = await saveGrant(details, accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };

  const handleApiMe = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed', { allow: 'GET' });
      return;
    }
    const unauthorized = (description?: string): void => {
      const challenge = description === undefined
        ? 'Bearer realm="sandbox"'
        : `Bearer realm="sandbox", error="invalid_token", error_description="${description}"`;
      sendJson(res, 401, description === undefined
        ? { error: 'unauthorized' }
        : { error: 'invalid_token', error_description: description }, { 'www-authenticate': challenge });
    };
    const header = req.headers.authorization;
    if (header === undefined) {
      unauthorized();
      return;
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const token = match?.[1];
    if (token === undefined) {
      unauthorized('malformed Authorization header');
      return;
    }
    const accessToken = await provider.AccessToken.find(token);
    if (accessToken === undefined) {
      // An app-level token of the client credentials grant (RFC 6749 §4.4): no subject.
      const appToken = await provider.ClientCredentials.find(token);
      if (appToken !== undefined && !appToken.isExpired) {
        sendJson(res, 200, { scope: appToken.scope ?? '', client_id: appToken.clientId });
        return;
      }
    }
    if (accessToken === undefined || accessToken.isExpired) {
      unauthorized('access token is unknown, expired or revoked');
      return;
    }
    const grant = accessToken.grantId === undefined ? undefined : await provider.Grant.find(accessToken.grantId);
    if (grant === undefined || grant.isExpired) {
      unauthorized('access token is unknown, expired or revoked');
      return;
    }
    sendJson(res, 200, {
      sub: accessToken.accountId,
      scope: accessToken.scope ?? '',
      client_id: accessToken.clientId,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let clientGone = false;
    res.once('close', () => {
      clientGone = !res.writableEnded;
    });
    for (const [name, value] of Object.entries(pageSecurityHeaders(redirectUris))) res.setHeader(name, value);
    const { pathname } = new URL(req.url ?? '/', issuer);
    const endpoint = endpointOf(pathname);
    count(endpoint);

    const fault = takeFault(endpoint);
    if (fault !== undefined) {
      if (fault.delayMs !== undefined && fault.delayMs > 0) await sleep(fault.delayMs);
      if (closed || clientGone) {
        res.destroy();
        return;
      }
      if (fault.status !== undefined) {
        if (endpoint === 'token') countGrantType((await readForm(req).catch(() => undefined))?.get('grant_type'));
        else req.resume();
        const status = fault.status;
        const body = fault.body ?? {
          error: status >= 500 ? 'server_error' : 'invalid_request',
          error_description: 'sandbox: injected fault',
        };
        sendJson(res, status, body, fault.headers);
        return;
      }
    }

    if (endpoint === 'api_me') await handleApiMe(req, res);
    else if (endpoint === 'interaction') await handleInteraction(req, res, pathname);
    else await providerCallback(req, res);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, 500, {
        error: 'server_error',
        error_description: err instanceof Error ? err.message : 'unexpected error',
      });
    });
  });

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      closed = true;
      for (const wake of [...pendingDelays]) wake();
      faults.clear();
      server.close((err) => {
        store.clear();
        if (err) reject(err);
        else resolve();
      });
      server.closeAllConnections();
    });
    return closing;
  };

  const url = issuer;
  return {
    issuer,
    url,
    endpoints: {
      discovery: `${url}${DISCOVERY_PATH}`,
      authorization: `${url}${ROUTES.authorization}`,
      token: `${url}${ROUTES.token}`,
      revocation: `${url}${ROUTES.revocation}`,
      introspection: `${url}${ROUTES.introspection}`,
      userinfo: `${url}${ROUTES.userinfo}`,
      jwks: `${url}${ROUTES.jwks}`,
      apiMe: `${url}${API_ME_PATH}`,
    },
    clientId,
    clientSecret,
    scopes: SUPPORTED_SCOPES,
    addRedirectUri(uri: string): void {
      new URL(uri); // throws TypeError on a malformed URI
      redirectUris.add(uri);
    },
    setRefreshTokenRotation(enabled: boolean): void {
      rotation = enabled;
    },
    setAccessTokenTtlSeconds(seconds: number): void {
      assertPositiveInteger('seconds', seconds);
      accessTokenTtlSeconds = seconds;
    },
    requestCount: (name) => counters.get(name) ?? 0,
    counts: () => Object.fromEntries(counters),
    resetCounts(): void {
      counters.clear();
    },
    failNext(endpoint: SandboxEndpoint, fault: SandboxFault = {}): void {
      const status = fault.status ?? (fault.delayMs === undefined ? 503 : undefined);
      if (status !== undefined && (!Number.isInteger(status) || status < 100 || status > 599)) {
        throw new RangeError(`status must be an HTTP status code, got ${String(status)}`);
      }
      if (fault.delayMs !== undefined && (!Number.isFinite(fault.delayMs) || fault.delayMs < 0)) {
        throw new RangeError(`delayMs must be a non-negative number, got ${String(fault.delayMs)}`);
      }
      const remaining = fault.count ?? 1;
      assertPositiveInteger('count', remaining);
      const queue = faults.get(endpoint) ?? [];
      queue.push({ fault: { ...fault, status }, remaining });
      faults.set(endpoint, queue);
    },
    clearFaults(): void {
      faults.clear();
    },
    async revokeGrantsFor(subject: string): Promise<number> {
      return store.revokeGrantsOf(subject);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
