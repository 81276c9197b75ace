import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  AuthManagerError, ErrorCode, readBoundedBody, type AccountInfo, type AuthManagerBase, type ConnectionInfo, type OAuth2Flow, type ProviderHandle,
  type ProviderRegistration,
} from '@authmanager/core';
import { templateOriginPattern } from '@authmanager/core/provider';
import { parseCookies, serializeCookie } from './cookies.js';
import { CsrfTokens } from './CsrfTokens.js';
import { ConnectRouteError, describeFailure, failureOf, HttpErrorCode, statusForCode, type ConnectFailure } from './HttpErrorCode.js';
import { renderConnectPage, renderMessagePage, type ConnectPageOptions, type PageMessage, type PageProvider } from './connectPage.js';
import { ReturnToPolicy, type AllowedReturnTo, type ReturnToOptions } from './ReturnToPolicy.js';

/** What the routes need of an `AuthManager` (any `AuthManager` is one). */
export type ConnectAuth = Pick<AuthManagerBase<readonly ProviderRegistration[]>, 'provider' | 'providerIds' | 'disconnect' | 'connections'>;

/** Which route a request, a log line or an error belongs to. */
export type ConnectAction = 'connect' | 'callback' | 'disconnect' | 'connections' | 'page';

/** Argument of {@link ConnectHandlerOptions.onConnected}. */
export interface ConnectedEvent {
  readonly provider: string;
  /** The subject given to `authorize` when the flow started (from the pending state, not from `getSubject`). */
  readonly subject: string;
  /** Who the credential belongs to upstream, when the provider says. */
  readonly account?: AccountInfo;
  /** Where the routes will redirect: the allowed `returnTo` of the flow, or the default. */
  readonly returnTo: string;
  readonly request: Request;
}

/** Argument of {@link ConnectHandlerOptions.onError}. */
export interface ConnectErrorEvent extends ConnectFailure {
  readonly action: ConnectAction;
  /** The provider of the route, when the path named a registered one. */
  readonly provider?: string;
  /** What was thrown (an `AuthManagerError`, or anything else for `INTERNAL_ERROR`). Never put it in a URL. */
  readonly error: unknown;
  readonly request: Request;
}

/** One log line of the routes. Never holds a token, a code, a `state`, a query string or a provider's `error_description`. */
export interface ConnectLogEntry {
  /** `info` for what went as intended or was the user's choice (a denied consent, a refused CSRF token), `warn` for failures, `error` for bugs. */
  readonly level: 'info' | 'warn' | 'error';
  /** e.g. `'authorization started'`, `'connected'`, `'disconnected'`, `'consent denied'`, `'request refused'`, `'action failed'`, `'unexpected error'`. */
  readonly msg: string;
  readonly action: ConnectAction;
  readonly provider?: string;
  /** The error code of a failure. */
  readonly code?: string;
  /** The provider's RFC 6749 `error` code, when it sent one (see {@link ConnectFailure.oauthError}). */
  readonly oauthError?: string;
  /** The HTTP status of a provider's failed answer, when known. */
  readonly status?: number;
  /** The class name of an unexpected error (its message may quote a response, so it is left out). */
  readonly errorName?: string;
}

/** Options of {@link createConnectHandler}. */
export interface ConnectHandlerOptions {
  /** The manager whose providers can be connected and whose store keeps the connections. */
  readonly auth: ConnectAuth;
  /**
   * Who is signed in: your own authentication decides (a session cookie, a JWT). Return
   * `undefined` when nobody is: the routes then answer `NOT_SIGNED_IN`. Not called by the
   * callback route, which takes the subject from the flow's pending state.
   */
  readonly getSubject: (request: Request) => string | undefined | null | Promise<string | undefined | null>;
  /**
   * HMAC key(s) of the CSRF tokens and of the returnTo cookie, each at least 32 characters (e.g.
   * `openssl rand -base64 32`). The first signs; all verify, for rotation. The same on every instance.
   */
  readonly secret: string | readonly string[];
  /** Where the routes live, without a trailing slash. @default '/connect' */
  readonly basePath?: string;
  /**
   * The origin browsers use, e.g. `https://app.example.com`: redirect URIs are
   * `<publicUrl><basePath>/<provider>/callback` (unless the provider's app credentials set
   * `redirectUri`), and POSTs must come from it. Set it behind a proxy.
   * @default the origin of each request's URL (the Host header, as the adapters build it)
   */
  readonly publicUrl?: string;
  /** Where the routes may redirect afterwards (see {@link ReturnToOptions}). @default only paths of the app's own origin; '/' when none is given */
  readonly returnTo?: ReturnToOptions;
  /** Scopes to request per provider id. @default each provider's default scopes */
  readonly scopes?: Readonly<Record<string, readonly string[]>>;
  /**
   * Called once a credential is stored. Return a `Response` to answer with it instead of the
   * redirect; throwing answers `INTERNAL_ERROR` (the credential stays stored).
   */
  readonly onConnected?: (event: ConnectedEvent) => void | Response | Promise<void | Response>;
  /** Called for every failure before it is answered. Return a `Response` to answer with it instead. */
  readonly onError?: (event: ConnectErrorEvent) => void | Response | Promise<void | Response>;
  /** Receives one entry per outcome (see {@link ConnectLogEntry}). @default no logging */
  readonly log?: (entry: ConnectLogEntry) => void;
  /** Serve the connect page at `<basePath>/` (`true`, or its options). @default false */
  readonly page?: boolean | ConnectPageOptions;
  /** How long a CSRF token is accepted, milliseconds. @default 86400000 (24 hours) */
  readonly csrfTokenTtlMs?: number;
  /** Largest POST body read, bytes. @default 16384 */
  readonly maxBodyBytes?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * The connect routes as one Web-standard function, plus what an app needs around them.
 * Call it with any `Request`; it answers every path (404 `NOT_FOUND` outside `basePath`), and
 * {@link ConnectHandler.matches} tells adapters which paths are its own.
 */
export interface ConnectHandler {
  (request: Request): Promise<Response>;
  /** The routes' base path, e.g. `/connect`. */
  readonly basePath: string;
  /** Whether a URL path (without the query) is under {@link ConnectHandler.basePath}. */
  matches(pathname: string): boolean;
  /** A CSRF token for `subject`, for forms and `fetch` calls of your own that POST to the routes (field `csrf` or header `x-csrf-token`). */
  csrfToken(subject: string): string;
  /** Whether `token` is a valid CSRF token of `subject` (for POST routes of your own). */
  verifyCsrfToken(token: unknown, subject: string): boolean;
  /** Whether a request comes from a page of the app's own origin (`Sec-Fetch-Site`, else `Origin`); for POST routes of your own. */
  isSameOrigin(request: Request): boolean;
  /**
   * The redirect URI to register at a provider: its configured `redirectUri`, else
   * `<origin><basePath>/<provider>/callback`.
   * @param origin - @default `publicUrl`
   * @throws AuthManagerError `PROVIDER_NOT_REGISTERED`; `CONFIGURATION` when neither `origin` nor `publicUrl` is known
   */
  redirectUri(provider: string, origin?: string): string;
}

/** `<basePath>/<provider>/callback`. */
function callbackPathOf(basePath: string, provider: string): string {
  return `${basePath}/${encodeURIComponent(provider)}/callback`;
}

/** The OAuth flow of a provider handle typed for any provider. */
function flowOf(handle: ProviderHandle): OAuth2Flow<object> {
  return (handle as unknown as { readonly oauth2: OAuth2Flow<object> }).oauth2;
}

/** The name of the cookie that carries a flow's returnTo: one per pending state, so two tabs do not overwrite each other. */
function returnCookieName(state: string): string {
  return `authmanager_return_${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** Whether the client asked for JSON (`Accept: application/json` without `text/html`). */
function wantsJson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function redirect(location: string, cookies: readonly string[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/** Reads a body of at most `limit` bytes. @throws ConnectRouteError `BAD_REQUEST` when longer */
async function readBody(request: Request, limit: number): Promise<string> {
  const tooLarge = () => new ConnectRouteError(HttpErrorCode.BAD_REQUEST, 'The request body is too large');
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw tooLarge();
  if (request.body === null) return '';
  return (await readBoundedBody(request.body, limit, tooLarge)).toString('utf8');
}

/** The fields a POST may carry, each at most once and as text. */
const POST_FIELDS = new Set(['csrf', 'returnTo']);

/**
 * The form of a POST: URL-encoded or JSON, fields `csrf` and `returnTo` only, each once, as text.
 * @throws ConnectRouteError `BAD_REQUEST` otherwise
 */
async function readForm(request: Request, limit: number): Promise<Map<string, string>> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const text = await readBody(request, limit);
  const fields = new Map<string, string>();
  const bad = (message: string): never => { throw new ConnectRouteError(HttpErrorCode.BAD_REQUEST, message); };
  if (text.trim() === '') return fields;
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(text)) {
      if (!POST_FIELDS.has(name)) bad('The form has a field the routes do not know');
      if (fields.has(name)) bad('A form field is repeated');
      fields.set(name, value);
    }
    return fields;
  }
  if (type === 'application/json') {
    let body: unknown;
    try { body = JSON.parse(text); } catch { return bad('The JSON body is malformed'); }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('The JSON body is not an object');
    for (const [name, value] of Object.entries(body)) {
      if (!POST_FIELDS.has(name)) bad('The JSON body has a field the routes do not know');
      if (typeof value !== 'string') bad('A JSON field is not a string');
      fields.set(name, value as string);
    }
    return fields;
  }
  return bad('The body is neither a URL-encoded form nor JSON');
}

/**
 * Builds the connect routes: one `Request → Promise<Response>` function serving, under `basePath`
 * (default `/connect`):
 *
 * - `GET /:provider/connect[?returnTo=…]`: starts the authorization code flow with PKCE for the
 *   signed-in subject and redirects (303) to the provider; JSON clients get `{ authorizationUrl, expiresAt }`.
 * - `GET /:provider/callback`: completes it (state checked once, code exchanged, credential stored),
 *   calls `onConnected`, and redirects to the flow's returnTo with `?connected=<provider>`.
 * - `POST /:provider/disconnect` (form or JSON `{ csrf, returnTo? }`, or header `x-csrf-token`):
 *   revokes where the provider can, deletes the credential, redirects with `?disconnected=<provider>`;
 *   JSON clients get `{ existed, revoked, revocationErrorCode? }`.
 * - `GET /connections`: JSON `{ subject, csrfToken, providers, connections }` for the signed-in subject.
 * - `GET /` (with `page`): the connect page.
 *
 * Failures redirect to the returnTo (or the default) with `?error=<code>&provider=<id>` (and
 * `oauth_error=<RFC 6749 error>` when the provider sent one), or answer JSON
 * `{ error: { code, message, retryable, provider?, oauthError? } }` with the status of
 * {@link statusForCode} when the client sends `Accept: application/json`. A refused CSRF token or
 * origin always answers 403. Nothing secret goes into a URL, a log entry or an answer: no token,
 * no authorization code, no `state`, no `error_description`.
 *
 * @throws AuthManagerError `CONFIGURATION` when `secret` is shorter than 32 characters; TypeError
 *   when `basePath` or `returnTo` is malformed
 * @example
 * ```ts
 * import { createConnectHandler } from '@authmanager/http';
 *
 * const connect = createConnectHandler({
 *   auth,
 *   secret: process.env.CONNECT_SECRET!,
 *   getSubject: async (request) => (await sessions.fromRequest(request))?.userId,
 *   returnTo: { allowed: ['/settings'], default: '/settings/integrations' },
 *   page: true,
 * });
 * const response = await connect(new Request('https://app.example.com/connect/github/connect'));
 * ```
 */
export function createConnectHandler(options: ConnectHandlerOptions): ConnectHandler {
  const { auth } = options;
  const basePath = options.basePath ?? '/connect';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) throw new TypeError(`basePath "${basePath}" must be a path like "/connect", without a trailing slash`);
  const now = options.now ?? Date.now;
  const csrf = new CsrfTokens({ secret: options.secret, now, ...(options.csrfTokenTtlMs !== undefined ? { ttlMs: options.csrfTokenTtlMs } : {}) });
  const secrets = typeof options.secret === 'string' ? [options.secret] : [...options.secret];
  const pageOptions: ConnectPageOptions | undefined = options.page === true ? {} : options.page === false ? undefined : options.page;
  // The page answers at `<basePath>` and `<basePath>/` alike: Next.js, for one, redirects the latter to the former.
  const pagePath = basePath;
  const returnToOptions = options.returnTo ?? {};
  const returnTo = pageOptions ? new ReturnToPolicy(returnToOptions).withPaths([pagePath], returnToOptions) : new ReturnToPolicy(returnToOptions);
  const publicOrigin = options.publicUrl !== undefined ? new URL(options.publicUrl).origin : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? 16_384;
  const log = options.log ?? (() => undefined);

  const originOf = (request: Request): string => publicOrigin ?? new URL(request.url).origin;
  const secureCookies = (request: Request): boolean => originOf(request).startsWith('https:');

  const mac = (secret: string, data: string): string => createHmac('sha256', secret).update(`authmanager-http return v1\0${data}`).digest('base64url');
  const verifyMac = (data: string, given: string): boolean => {
    const g = Buffer.from(given);
    return secrets.some((s) => {
      const e = Buffer.from(mac(s, data));
      return e.length === g.length && timingSafeEqual(e, g);
    });
  };

  const handleOf = (id: string): ProviderHandle => {
    if (!auth.providerIds.includes(id)) {
      throw new AuthManagerError(ErrorCode.PROVIDER_NOT_REGISTERED, 'No such provider', {});
    }
    return auth.provider(id);
  };

  const subjectOf = async (request: Request): Promise<string> => {
    const subject = await options.getSubject(request);
    if (typeof subject !== 'string' || subject === '') throw new ConnectRouteError(HttpErrorCode.NOT_SIGNED_IN, 'Not signed in');
    return subject;
  };

  const isSameOrigin = (request: Request): boolean => {
    const site = request.headers.get('sec-fetch-site');
    if (site !== null) return site === 'same-origin' || site === 'none';
    const sent = request.headers.get('origin');
    if (sent === null || sent === 'null') return true;
    return sent === new URL(request.url).origin || (publicOrigin !== undefined && sent === publicOrigin);
  };

  const checkReturnTo = (value: string | null | undefined): AllowedReturnTo => {
    if (value === null || value === undefined || value === '') return returnTo.default;
    const allowed = returnTo.check(value);
    if (!allowed) throw new ConnectRouteError(HttpErrorCode.INVALID_RETURN_TO, 'returnTo is not allowed');
    return allowed;
  };

  const withParams = (target: AllowedReturnTo, params: Record<string, string | undefined>): string => {
    const url = new URL(target.url.href);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return target.location.startsWith('/') ? `${url.pathname}${url.search}${url.hash}` : url.href;
  };

  const redirectUriFor = (handle: ProviderHandle, origin: string): string => {
    let configured: unknown;
    try { configured = (handle.app() as { redirectUri?: unknown }).redirectUri; } catch { configured = undefined; }
    return typeof configured === 'string' && configured !== '' ? configured : `${origin}${callbackPathOf(basePath, handle.id)}`;
  };

  /** Logs a failure by what it is, never by message; calls onError; answers JSON or a redirect. */
  const fail = async (request: Request, err: unknown, action: ConnectAction, provider: string | undefined, target: AllowedReturnTo | undefined, cookies: readonly string[] = []): Promise<Response> => {
    const failure = failureOf(err);
    const fields = { action, ...(provider ? { provider } : {}), code: failure.code, ...(failure.oauthError ? { oauthError: failure.oauthError } : {}) };
    if (failure.code === HttpErrorCode.INTERNAL_ERROR) {
      log({ level: 'error', msg: 'unexpected error', ...fields, errorName: err instanceof Error ? err.name : typeof err });
    } else if (err instanceof ConnectRouteError) {
      log({ level: 'info', msg: 'request refused', ...fields });
    } else if (failure.code === ErrorCode.AUTHORIZATION_DENIED && (failure.oauthError ?? 'access_denied') === 'access_denied') {
      log({ level: 'info', msg: 'consent denied', ...fields });
    } else {
      const status = AuthManagerError.is(err) ? err.status : undefined;
      log({ level: 'warn', msg: 'action failed', ...fields, ...(status !== undefined ? { status } : {}) });
    }
    if (options.onError) {
      const custom = await options.onError({ ...failure, action, ...(provider ? { provider } : {}), error: err, request });
      if (custom instanceof Response) return custom;
    }
    const providerName = provider !== undefined && auth.providerIds.includes(provider) ? auth.provider(provider).displayName : undefined;
    const refusedForm = failure.code === HttpErrorCode.CSRF_REJECTED;
    if (wantsJson(request) || action === 'connections' || refusedForm || target === undefined) {
      const status = statusForCode(failure.code);
      const headers: Record<string, string> = {};
      if (AuthManagerError.is(err) && err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
      if (err instanceof MethodNotAllowed) headers.allow = err.allow;
      if (!wantsJson(request) && action !== 'connections') {
        const page = renderMessagePage({ title: refusedForm ? 'Form expired' : 'Request refused', message: describeFailure(failure, providerName), backHref: returnTo.default.location });
        return htmlResponse(status, page.html, page.styleNonce, headers);
      }
      return json(status, {
        error: { code: failure.code, message: describeFailure(failure, providerName), retryable: failure.retryable, ...(provider ? { provider } : {}), ...(failure.oauthError ? { oauthError: failure.oauthError } : {}) },
      }, headers);
    }
    return redirect(withParams(target, { error: failure.code, provider, oauth_error: failure.oauthError }), cookies);
  };

  const start = async (request: Request, id: string): Promise<Response> => {
    const url = new URL(request.url);
    let target: AllowedReturnTo = returnTo.default;
    try {
      target = checkReturnTo(url.searchParams.get('returnTo'));
      const handle = handleOf(id);
      const subject = await subjectOf(request);
      if (handle.definition.oauth2 === undefined) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, 'No OAuth flow', { provider: id });
      const missing = handle.missingForOAuth();
      if (missing.length > 0) throw new AuthManagerError(ErrorCode.CONFIGURATION, 'Missing app credentials', { provider: id });
      const scopes = options.scopes?.[id];
      // Per-tenant values (`connection.shop=acme`) go to core, which checks them against the
      // provider's declared patterns and hosts.
      const connectionConfig: Record<string, string> = {};
      for (const [key, value] of url.searchParams) if (key.startsWith('connection.')) connectionConfig[key.slice('connection.'.length)] = value.trim();
      const { url: authorizationUrl, state, expiresAt } = await flowOf(handle).authorize({
        subject, redirectUri: redirectUriFor(handle, originOf(request)), ...(scopes ? { scopes } : {}),
        ...(Object.keys(connectionConfig).length > 0 ? { connectionConfig } : {}),
      });
      const maxAgeSeconds = Math.max(1, Math.ceil((expiresAt.getTime() - now()) / 1000));
      const name = returnCookieName(state);
      const cookie = serializeCookie(name, `${target.location}|${mac(secrets[0]!, `${name}\0${target.location}`)}`, {
        path: basePath, secure: secureCookies(request), maxAgeSeconds,
      });
      log({ level: 'info', msg: 'authorization started', action: 'connect', provider: id });
      if (wantsJson(request)) {
        return new Response(JSON.stringify({ authorizationUrl: authorizationUrl.href, expiresAt: expiresAt.toISOString() }), {
          status: 200, headers: { ...JSON_HEADERS, 'set-cookie': cookie },
        });
      }
      return redirect(authorizationUrl.href, [cookie]);
    } catch (err) {
      return fail(request, err, 'connect', auth.providerIds.includes(id) ? id : undefined, target);
    }
  };

  const complete = async (request: Request, id: string): Promise<Response> => {
    const url = new URL(request.url);
    const state = url.searchParams.get('state');
    let target = returnTo.default;
    const cookies: string[] = [];
    if (state !== null) {
      const name = returnCookieName(state);
      const value = parseCookies(request.headers.get('cookie')).get(name);
      if (value !== undefined) {
        cookies.push(serializeCookie(name, '', { path: basePath, secure: secureCookies(request), maxAgeSeconds: 0 }));
        const bar = value.lastIndexOf('|');
        const location = value.slice(0, bar);
        // Checked again: the allow-list may have changed since the flow started.
        const allowed = bar > 0 && verifyMac(`${name}\0${location}`, value.slice(bar + 1)) ? returnTo.check(location) : undefined;
        if (allowed) target = allowed;
      }
    }
    try {
      const handle = handleOf(id);
      // oauth2.complete (not completeAuthorization) refuses a state issued for another provider
      // before anything is exchanged or stored.
      const { subject, credentials } = await flowOf(handle).complete({ callbackUrl: url });
      let account: AccountInfo | undefined;
      try { account = handle.definition.account?.(credentials, handle.app()); } catch { account = undefined; }
      log({ level: 'info', msg: 'connected', action: 'callback', provider: id });
      if (options.onConnected) {
        const custom = await options.onConnected({ provider: id, subject, ...(account ? { account } : {}), returnTo: target.location, request });
        if (custom instanceof Response) {
          const headers = new Headers(custom.headers);
          for (const c of cookies) headers.append('set-cookie', c);
          return new Response(custom.body, { status: custom.status, statusText: custom.statusText, headers });
        }
      }
      if (wantsJson(request)) return json(200, { provider: id, subject, ...(account ? { account } : {}) });
      return redirect(withParams(target, { connected: id }), cookies);
    } catch (err) {
      return fail(request, err, 'callback', auth.providerIds.includes(id) ? id : undefined, target, cookies);
    }
  };

  const disconnect = async (request: Request, id: string): Promise<Response> => {
    let target = returnTo.default;
    try {
      if (!isSameOrigin(request)) throw new ConnectRouteError(HttpErrorCode.CSRF_REJECTED, 'Cross-origin POST');
      const form = await readForm(request, maxBodyBytes);
      const subject = await subjectOf(request);
      if (!csrf.verify(form.get('csrf') ?? request.headers.get('x-csrf-token'), subject)) {
        throw new ConnectRouteError(HttpErrorCode.CSRF_REJECTED, 'CSRF token refused');
      }
      target = checkReturnTo(form.get('returnTo'));
      handleOf(id);
      const result = await auth.disconnect(id, subject);
      log({ level: result.revocationErrorCode ? 'warn' : 'info', msg: 'disconnected', action: 'disconnect', provider: id, ...(result.revocationErrorCode ? { code: result.revocationErrorCode } : {}) });
      if (wantsJson(request)) return json(200, result);
      if (!result.existed) return redirect(withParams(target, { error: ErrorCode.CREDENTIALS_NOT_FOUND, provider: id }));
      return redirect(withParams(target, { disconnected: id, revocation_error: result.revocationErrorCode }));
    } catch (err) {
      return fail(request, err, 'disconnect', auth.providerIds.includes(id) ? id : undefined, target);
    }
  };

  const providerViews = (connections: readonly ConnectionInfo[], origin: string): PageProvider[] => auth.providerIds.map((id) => {
    const handle = auth.provider(id);
    const oauth = handle.definition.oauth2;
    const missing = oauth === undefined ? [] : handle.missingForOAuth();
    const connection = connections.find((c) => c.provider === id);
    const variables = Object.entries(oauth?.connectionConfig ?? {});
    return {
      id,
      displayName: handle.displayName,
      connectable: oauth !== undefined && missing.length === 0,
      missingEnv: missing.map((m) => m.env[0] ?? m.field),
      revocable: oauth?.revocation !== undefined,
      ...(connection ? { connection } : {}),
      ...(oauth !== undefined ? { redirectUri: redirectUriFor(handle, origin) } : {}),
      ...(variables.length > 0 ? { connectionVariables: variables.map(([name, v]) => ({ name, description: v.description, ...(v.example ? { example: v.example } : {}) })) } : {}),
    };
  });

  /**
   * Where the page's per-tenant Connect forms may lead: browsers apply `form-action` to the
   * redirect to the provider too, so each templated authorization endpoint's host pattern is allowed.
   */
  const tenantFormTargets = (): string[] => auth.providerIds.flatMap((id) => {
    const handle = auth.provider(id);
    if (!handle.definition.oauth2?.connectionConfig) return [];
    let template: unknown;
    try { template = (handle.app() as { authorizationUrl?: unknown }).authorizationUrl; } catch { template = undefined; }
    const pattern = typeof template === 'string' ? templateOriginPattern(template) : undefined;
    return pattern && /^https?:\/\/[\w.*:[\]-]+$/.test(pattern) ? [pattern] : [];
  });

  const connectionsJson = async (request: Request): Promise<Response> => {
    try {
      const subject = await subjectOf(request);
      const connections = await auth.connections(subject);
      const providers = providerViews(connections, originOf(request));
      return json(200, {
        subject,
        csrfToken: csrf.issue(subject),
        providers: providers.map((p) => ({ id: p.id, displayName: p.displayName, connectable: p.connectable, missingEnv: p.missingEnv, revocable: p.revocable, ...(p.redirectUri ? { redirectUri: p.redirectUri } : {}), ...(p.connectionVariables ? { connectionVariables: p.connectionVariables } : {}) })),
        connections: connections.map((c) => ({
          provider: c.provider,
          displayName: auth.provider(c.provider).displayName,
          status: c.status,
          ...(c.account ? { account: c.account } : {}),
          scopes: c.scopes ?? [],
          ...(c.expiresAt ? { expiresAt: c.expiresAt.toISOString() } : {}),
          ...(c.refreshTokenExpiresAt ? { refreshTokenExpiresAt: c.refreshTokenExpiresAt.toISOString() } : {}),
          ...(c.connectedAt ? { connectedAt: c.connectedAt.toISOString() } : {}),
          ...(c.lastRefreshedAt ? { lastRefreshedAt: c.lastRefreshedAt.toISOString() } : {}),
          ...(c.lastErrorCode ? { lastErrorCode: c.lastErrorCode } : {}),
        })),
      });
    } catch (err) {
      return fail(request, err, 'connections', undefined, undefined);
    }
  };

  /** The page's one-line message, from the query the routes redirected with (codes and provider ids only). */
  const messageOf = (url: URL, connections: readonly ConnectionInfo[]): PageMessage | undefined => {
    const provider = url.searchParams.get('provider') ?? url.searchParams.get('connected') ?? url.searchParams.get('disconnected') ?? undefined;
    const known = provider !== undefined && auth.providerIds.includes(provider) ? auth.provider(provider) : undefined;
    const name = known?.displayName;
    const error = url.searchParams.get('error');
    if (error !== null && /^[A-Z_]{1,64}$/.test(error)) {
      const rfc = url.searchParams.get('oauth_error');
      return { level: 'error', text: describeFailure({ code: error as ConnectFailure['code'], ...(rfc && /^[A-Za-z0-9_.:-]{1,64}$/.test(rfc) ? { oauthError: rfc } : {}) }, name) };
    }
    if (known && url.searchParams.get('connected') === known.id) {
      const account = connections.find((c) => c.provider === known.id)?.account;
      const label = account?.label ?? account?.id;
      return { level: 'success', text: `Connected ${known.displayName}${label ? ` as ${label}` : ''}.` };
    }
    if (known && url.searchParams.get('disconnected') === known.id) {
      const failed = url.searchParams.get('revocation_error');
      return {
        level: 'success',
        text: known.definition.oauth2?.revocation === undefined
          ? `Disconnected ${known.displayName}: the stored credential was deleted (${known.displayName} has no token revocation; remove the app in its settings to revoke it there).`
          : failed !== null
            ? `Disconnected ${known.displayName}: the stored credential was deleted, but ${known.displayName} did not confirm the revocation.`
            : `Disconnected ${known.displayName}: the grant was revoked at ${known.displayName} and the stored credential deleted.`,
      };
    }
    return undefined;
  };

  const page = async (request: Request, opts: ConnectPageOptions): Promise<Response> => {
    let subject: string;
    try {
      subject = await subjectOf(request);
    } catch (err) {
      if (wantsJson(request)) return fail(request, err, 'page', undefined, undefined);
      const failure = failureOf(err);
      if (failure.code === HttpErrorCode.INTERNAL_ERROR) log({ level: 'error', msg: 'unexpected error', action: 'page', code: failure.code, errorName: err instanceof Error ? err.name : typeof err });
      const view = renderMessagePage({ title: opts.title ?? 'Connected accounts', message: describeFailure(failure), backHref: '/' });
      return htmlResponse(statusForCode(failure.code), view.html, view.styleNonce);
    }
    let connections: ConnectionInfo[] = [];
    let loadError: string | undefined;
    try {
      connections = await auth.connections(subject);
    } catch (err) {
      const failure = failureOf(err);
      log({ level: failure.code === HttpErrorCode.INTERNAL_ERROR ? 'error' : 'warn', msg: 'action failed', action: 'page', code: failure.code });
      loadError = describeFailure(failure);
    }
    const message = messageOf(new URL(request.url), connections);
    const csrfToken = csrf.issue(subject);
    const view = renderConnectPage({
      options: opts, basePath, subject, csrfToken, nowMs: now(),
      providers: providerViews(connections, originOf(request)),
      ...(message ? { message } : loadError ? { message: { level: 'error', text: loadError } } : {}),
    });
    return htmlResponse(200, view.html, view.styleNonce, {}, view.scriptNonce, tenantFormTargets());
  };

  const handler = async (request: Request): Promise<Response> => {
    let url: URL;
    try { url = new URL(request.url); } catch { return json(400, { error: { code: HttpErrorCode.BAD_REQUEST, message: describeFailure({ code: HttpErrorCode.BAD_REQUEST }), retryable: false } }); }
    const path = url.pathname;
    if (path !== basePath && !path.startsWith(`${basePath}/`)) {
      return fail(request, new ConnectRouteError(HttpErrorCode.NOT_FOUND, 'Not found'), 'page', undefined, undefined);
    }
    const rest = path.slice(basePath.length);
    const method = request.method.toUpperCase();
    if (rest === '' || rest === '/') {
      if (!pageOptions) return fail(request, new ConnectRouteError(HttpErrorCode.NOT_FOUND, 'Not found'), 'page', undefined, undefined);
      if (method !== 'GET' && method !== 'HEAD') return fail(request, new MethodNotAllowed('GET, HEAD'), 'page', undefined, undefined);
      return page(request, pageOptions);
    }
    if (rest === '/connections') {
      if (method !== 'GET' && method !== 'HEAD') return fail(request, new MethodNotAllowed('GET, HEAD'), 'connections', undefined, undefined);
      return connectionsJson(request);
    }
    const match = /^\/([^/]+)\/(connect|callback|disconnect)$/.exec(rest);
    if (!match) return fail(request, new ConnectRouteError(HttpErrorCode.NOT_FOUND, 'Not found'), 'page', undefined, undefined);
    let id: string;
    try { id = decodeURIComponent(match[1]!); } catch { return fail(request, new ConnectRouteError(HttpErrorCode.BAD_REQUEST, 'Malformed path'), 'page', undefined, undefined); }
    const route = match[2] as 'connect' | 'callback' | 'disconnect';
    const action: ConnectAction = route;
    const known = auth.providerIds.includes(id) ? id : undefined;
    if (route === 'disconnect') {
      if (method !== 'POST') return fail(request, new MethodNotAllowed('POST'), action, known, undefined);
      return disconnect(request, id);
    }
    if (method !== 'GET' && method !== 'HEAD') return fail(request, new MethodNotAllowed('GET, HEAD'), action, known, undefined);
    return route === 'connect' ? start(request, id) : complete(request, id);
  };

  return Object.assign(handler, {
    basePath,
    matches: (pathname: string) => pathname === basePath || pathname.startsWith(`${basePath}/`),
    csrfToken: (subject: string) => csrf.issue(subject),
    verifyCsrfToken: (token: unknown, subject: string) => csrf.verify(token, subject),
    isSameOrigin,
    redirectUri: (provider: string, origin?: string) => {
      const handle = handleOf(provider);
      const base = origin ?? publicOrigin;
      if (base === undefined) {
        let configured: unknown;
        try { configured = (handle.app() as { redirectUri?: unknown }).redirectUri; } catch { configured = undefined; }
        if (typeof configured === 'string' && configured !== '') return configured;
        throw new AuthManagerError(ErrorCode.CONFIGURATION, 'redirectUri(provider) needs an origin: pass one or set publicUrl', { provider });
      }
      return redirectUriFor(handle, new URL(base).origin);
    },
  });
}

/** 405, with the methods the route takes. */
class MethodNotAllowed extends ConnectRouteError {
  readonly allow: string;
  constructor(allow: string) {
    super(HttpErrorCode.METHOD_NOT_ALLOWED, 'Method not allowed');
    this.allow = allow;
  }
}

/**
 * An HTML answer with the page headers: a strict CSP (styles and the one script by nonce), no
 * caching, no referrer, no framing; forms may go to this origin and to `formTargets`.
 */
function htmlResponse(status: number, html: string, styleNonce: string, headers: Record<string, string> = {}, scriptNonce?: string, formTargets: readonly string[] = []): Response {
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${styleNonce}'; script-src ${scriptNonce ? `'nonce-${scriptNonce}'` : "'none'"}; img-src 'none'; form-action ${['\'self\'', ...formTargets].join(' ')}; base-uri 'none'; frame-ancestors 'none'`,
      ...headers,
    },
  });
}


