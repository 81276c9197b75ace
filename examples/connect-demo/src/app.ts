import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import formbody from '@fastify/formbody';
import { AuthManagerError, ErrorCode, redactToken, z, type AuthManager, type Credentials, type OAuth2Flow, type ProviderHandle, type ProviderRegistration } from '@authmanager/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { describeError, oauthErrorCode, type DemoAction } from './errors.js';
import { FlashStore } from './FlashStore.js';
import { formatCountdown, renderHomePage, renderMessagePage, type ConnectionView, type Flash, type ProviderView } from './html.js';
import type { LogDestination } from './logLines.js';
import { PROBE_ENDPOINTS, probeLabel, type ProbeEndpoint } from './providers.js';

/** Options of {@link createDemoApp}. */
export interface DemoAppOptions<P extends readonly ProviderRegistration[] = readonly ProviderRegistration[]> {
  /** The manager whose providers the page lists and whose store keeps the connections. */
  readonly auth: AuthManager<P>;
  /** Which credential store is in use, as shown on the page, e.g. `"KMS-encrypted Redis (127.0.0.1:6379)"`. */
  readonly storeLabel: string;
  /**
   * The origin browsers use to reach the demo, e.g. `http://127.0.0.1:3000`; redirect URIs are
   * `<publicUrl>/callback/<provider>` unless a provider has its own `redirectUri` configured.
   * @default the address the server listens on (a wildcard address becomes `127.0.0.1`)
   */
  readonly publicUrl?: string;
  /** The endpoint "Call API" requests, by provider id; providers without one get no button. @default PROBE_ENDPOINTS */
  readonly probes?: Readonly<Record<string, ProbeEndpoint>>;
  /** Subject used until the visitor switches. @default 'demo-user' */
  readonly defaultSubject?: string;
  /**
   * Pino log level (`'info'` logs each request by path, never its query string: callbacks carry
   * the authorization code; `'warn'` logs failed actions by error code; a denied consent is
   * logged at `'info'`: it is the user's choice, not a fault).
   * @default 'silent'
   */
  readonly logLevel?: string;
  /** Where log lines go: a pino destination, e.g. `readableLogDestination(process.stdout)`. @default standard output, one JSON object a line */
  readonly logStream?: LogDestination;
  /**
   * Key of the HMAC that binds each form's CSRF token to the visitor's demo session (at least 32
   * characters; `DEMO_SECRET` in `main.ts`). With a fixed key, open pages stay valid across restarts.
   * @default 32 random bytes, new for each app
   * @throws Error from {@link createDemoApp} when shorter than 32 characters
   */
  readonly secret?: string;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

const SUBJECT_COOKIE = 'demo_subject';
/** A random id per browser (host-only, HttpOnly): what the CSRF token is bound to. */
const SESSION_COOKIE = 'demo_session';
const FLASH_COOKIE = 'demo_flash';
/** 256 random bits, base64url. */
const SESSION_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Shortest accepted {@link DemoAppOptions.secret}, characters. */
const MIN_SECRET_CHARS = 32;
/** What a subject may look like: short, printable, no separators a store key could trip on. */
const SUBJECT_PATTERN = /^[A-Za-z0-9._@+-]{1,64}$/;
/** Longest API response body shown, characters. */
const MAX_BODY_CHARS = 20_000;

/**
 * The path a provider redirects back to after consent: `/callback/<provider>`.
 * @param provider - provider id
 */
export function callbackPath(provider: string): string {
  return `/callback/${encodeURIComponent(provider)}`;
}

/**
 * `http://<address>:<port>` of a listening server, with wildcard addresses replaced by `127.0.0.1`.
 * @throws Error when the server is not listening on TCP
 */
export function listeningOrigin(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('The demo is not listening on a TCP port yet; pass publicUrl');
  }
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1'
    : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      if (!cookies.has(name)) cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // a malformed value is treated as absent
    }
  }
  return cookies;
}

function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The bodies the demo's POST forms send, field by field: each field once, as text (a repeated
 * field arrives as an array, a JSON body can carry any type), and no other field.
 */
const ACTION_FORM = z.strictObject({ csrf: z.string().max(128) });
const SUBJECT_FORM = z.strictObject({ csrf: z.string().max(128), subject: z.string().max(256) });
type ActionForm = z.infer<typeof ACTION_FORM>;
type SubjectForm = z.infer<typeof SUBJECT_FORM>;
/** The form each POST route reads; the others read {@link ACTION_FORM}. */
const FORMS: Readonly<Record<string, z.ZodType<ActionForm>>> = { '/subject': SUBJECT_FORM };

/** One sentence on what is wrong with a form, from the first zod issue (field names shortened). */
function formProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'The form could not be read.';
  if (issue.code === 'unrecognized_keys') {
    return `The form has a field the demo does not know: ${issue.keys.slice(0, 3).map((k) => `"${k.slice(0, 40)}"`).join(', ')}.`;
  }
  if (issue.path.length === 0) return 'The request body is not a form.';
  const field = String(issue.path[0]).slice(0, 40);
  if (issue.code === 'too_big') return `The field "${field}" is too long.`;
  return `The field "${field}" is missing or not a single text value.`;
}

/** The stack frames of an error without its message line (a foreign message may quote a response). */
function stackFrames(err: unknown): string[] {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  return stack.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 12).map((line) => line.trim());
}

/** Page title and sentence for a request Fastify itself refused (body parsing, size, URL). */
function clientErrorText(status: number): [string, string] {
  if (status === 413) return ['Form too large', 'The form is larger than the demo accepts. Go back to the demo page and use its buttons.'];
  if (status === 415) return ['Not a form', 'The demo reads URL-encoded forms (and JSON) only. Go back to the demo page and use its buttons.'];
  return ['Request not understood', 'The request is malformed (for example broken JSON or URL encoding). Go back to the demo page and use its buttons.'];
}

/** The OAuth flow of a provider handle typed for any provider (the handle's type knows it only per definition). */
function flowOf(handle: ProviderHandle): OAuth2Flow<object> {
  return (handle as unknown as { readonly oauth2: OAuth2Flow<object> }).oauth2;
}

/** `"set NOTION_CLIENT_ID and NOTION_CLIENT_SECRET to enable"`, or undefined when the provider can connect. */
function setupHint(handle: ProviderHandle): string | undefined {
  if (handle.definition.oauth2 === undefined) return 'has no OAuth flow to connect with';
  const missing = handle.missingForOAuth();
  if (missing.length === 0) return undefined;
  return `set ${missing.map((m) => m.env[0] ?? m.field).join(' and ')} to enable`;
}

/**
 * `path` on the origin of the provider's API base URL for this credential (Salesforce: the org's
 * instance). `session.fetch` accepts it: the base URL's origin is always allowed.
 * @throws AuthManagerError `UNSUPPORTED_FLOW` when the provider has no API binding
 */
function originUrl(handle: ProviderHandle, credentials: Credentials<object>, path: string): string {
  const api = handle.definition.api;
  if (api === undefined) throw new AuthManagerError(ErrorCode.UNSUPPORTED_FLOW, `Provider "${handle.id}" has no API binding`, { provider: handle.id });
  const base: string = typeof api.baseUrl === 'function' ? api.baseUrl({ app: handle.app(), credentials }) : api.baseUrl;
  return new URL(path, base).href;
}

/** Pretty-prints a JSON body; other bodies are shown as text. Long bodies are cut. */
function formatBody(text: string): string {
  let out = text;
  try {
    out = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON
  }
  return out.length > MAX_BODY_CHARS ? `${out.slice(0, MAX_BODY_CHARS)}\n… (${out.length - MAX_BODY_CHARS} more characters)` : out;
}

/**
 * Builds the connect demo: a Fastify app (not listening) that connects the current subject's
 * accounts at every provider of `auth`, shows them (tokens redacted), calls each provider's API,
 * refreshes and disconnects.
 *
 * Routes: `GET /` (the page), `POST /subject`, `POST /connect/:provider` (303 to the authorization
 * URL), `GET /callback/:provider`, `POST /call/:provider`, `POST /refresh/:provider`,
 * `POST /disconnect/:provider`. Every POST is validated field by field (400 and a page saying what
 * is wrong), must come from the demo's own origin, and must carry the CSRF token of the visitor's
 * session: an HMAC of the session cookie under `secret` (403 otherwise). Every action ends with a
 * redirect home and a one-shot message.
 *
 * @throws Error when `secret` is shorter than 32 characters
 *
 * @example
 * ```ts
 * const app = createDemoApp({ auth, storeLabel: 'Memory' });
 * await app.listen({ port: 3000, host: '127.0.0.1' });
 * ```
 */
export function createDemoApp<P extends readonly ProviderRegistration[]>(options: DemoAppOptions<P>): FastifyInstance {
  const { auth, storeLabel } = options;
  const probes = options.probes ?? PROBE_ENDPOINTS;
  const defaultSubject = options.defaultSubject ?? 'demo-user';
  const now = options.now ?? Date.now;
  const flashes = new FlashStore({ now });
  const secureCookies = options.publicUrl?.startsWith('https:') ?? false;
  if (options.secret !== undefined && options.secret.length < MIN_SECRET_CHARS) {
    throw new Error(`The CSRF secret (DEMO_SECRET) must be at least ${MIN_SECRET_CHARS} characters`);
  }
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  /** The CSRF token of a session: HMAC-SHA256 under the server's secret, so only this server can make one. */
  const csrfTokenFor = (session: string): string => createHmac('sha256', secret).update(`connect-demo csrf:${session}`).digest('base64url');

  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'silent',
      ...(options.logStream ? { stream: options.logStream } : {}),
      serializers: { req: (req) => ({ method: req.method, url: (req.url ?? '').split('?')[0] }) },
    },
    bodyLimit: 16 * 1024,
    // A URL Fastify cannot route (bad percent-encoding) gets the demo's page, not Fastify's JSON.
    frameworkErrors: (err, request, reply) => {
      request.log.info({ code: err.code }, 'request not understood');
      void sendHtml(reply, 400, renderMessagePage(...clientErrorText(400)));
    },
  });
  void app.register(formbody);

  const origin = (): string => options.publicUrl?.replace(/\/+$/, '') ?? listeningOrigin(app.server);

  const cookie = (name: string, value: string, maxAgeSeconds?: number): string =>
    `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax${secureCookies ? '; Secure' : ''}${maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`}`;

  const sessionOf = (request: FastifyRequest): string | undefined => {
    const value = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    return value !== undefined && SESSION_PATTERN.test(value) ? value : undefined;
  };

  /**
   * Whether a POST comes from a page of the demo's own origin. A page on another port of the same
   * host is another origin, though it shares the cookies. Browsers send `Sec-Fetch-Site` with
   * every request, and that decides; older ones send `Origin`, which must then be the demo's. The
   * pages' `Referrer-Policy: no-referrer` makes a browser send `Origin: null` with their own forms,
   * and a client that sends neither header (curl, the tests' fetch) is left to the CSRF token.
   */
  const fromOwnOrigin = (request: FastifyRequest): boolean => {
    const site = request.headers['sec-fetch-site'];
    if (typeof site === 'string') return site === 'same-origin' || site === 'none';
    const sent = request.headers.origin;
    if (sent === undefined || sent === 'null') return true;
    const own = [`${request.protocol}://${request.headers.host ?? ''}`];
    if (options.publicUrl !== undefined) {
      try { own.push(new URL(options.publicUrl).origin); } catch { /* not a URL: only the Host header counts */ }
    }
    return own.includes(sent);
  };

  const subjectOf = (request: FastifyRequest): string => {
    const value = parseCookies(request.headers.cookie).get(SUBJECT_COOKIE);
    return value !== undefined && SUBJECT_PATTERN.test(value) ? value : defaultSubject;
  };

  const sendHtml = (reply: FastifyReply, status: number, html: string, scriptNonce?: string): FastifyReply => reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptNonce ? `'nonce-${scriptNonce}'` : "'none'"}; base-uri 'none'; frame-ancestors 'none'`)
    .send(html);

  /** Post/redirect/get: keeps the message and sends the browser home. */
  const redirectHome = (reply: FastifyReply, flash: Flash): FastifyReply => reply
    .header('set-cookie', cookie(FLASH_COOKIE, flashes.put(flash)))
    .header('cache-control', 'no-store')
    .redirect('/', 303);

  /** The registered provider named in the path, or a 404 page (then `undefined`). */
  const providerOf = (request: FastifyRequest<{ Params: { provider: string } }>, reply: FastifyReply): ProviderHandle | undefined => {
    const id = request.params.provider;
    if (auth.providerIds.includes(id)) return auth.provider(id);
    void sendHtml(reply, 404, renderMessagePage('Unknown provider', `There is no provider "${id}" in this demo.`));
    return undefined;
  };

  /**
   * Every POST: the body must be the route's form (else 400 and what is wrong), sent from the
   * demo's origin, with the CSRF token of the visitor's session cookie (else 403). A token is an
   * HMAC only this server can make, so a cookie and field pair planted by another app on the
   * same host (cookies ignore ports) does not pass.
   */
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.is404) return;
    const form = FORMS[request.routeOptions.url ?? ''] ?? ACTION_FORM;
    const parsed = form.safeParse(request.body ?? {});
    if (!parsed.success) {
      request.log.info({ problem: parsed.error.issues[0]?.code }, 'malformed form');
      return sendHtml(reply, 400, renderMessagePage('The form could not be read', `${formProblem(parsed.error)} Go back to the demo page and use its buttons.`));
    }
    request.body = parsed.data;
    const session = sessionOf(request);
    if (!fromOwnOrigin(request) || session === undefined || !sameSecret(parsed.data.csrf, csrfTokenFor(session))) {
      request.log.info('form refused: other origin or CSRF token not of this session');
      return sendHtml(reply, 403, renderMessagePage('Form expired', 'This form is out of date or did not come from the demo page. Go back, reload the page and try again.'));
    }
  });

  /**
   * Logs a failed action by what it is (error code, the provider's RFC 6749 error code, HTTP
   * status), never by message: a provider's free-text `error_description` is in there. A denied
   * consent is the user's choice and is logged at info.
   */
  const failure = (request: FastifyRequest, reply: FastifyReply, err: unknown, handle: ProviderHandle, action: DemoAction): FastifyReply => {
    if (AuthManagerError.is(err)) {
      const error = oauthErrorCode(err);
      const fields = { action, provider: handle.id, code: err.code, ...(error ? { error } : {}), ...(err.status !== undefined ? { status: err.status } : {}) };
      if (err.code === ErrorCode.AUTHORIZATION_DENIED && error === 'access_denied') request.log.info(fields, 'consent denied');
      else request.log.warn(fields, 'action failed');
    } else {
      request.log.error({ action, provider: handle.id, errorName: err instanceof Error ? err.name : typeof err, stack: stackFrames(err) }, 'unexpected error');
    }
    return redirectHome(reply, { level: 'error', message: describeError(err, handle.displayName, action) });
  };

  app.setErrorHandler((err: { statusCode?: number; code?: string; name?: string }, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) {
      request.log.info({ code: err.code, status }, 'request not understood');
      return sendHtml(reply, status, renderMessagePage(...clientErrorText(status)));
    }
    request.log.error({ errorName: err.name, code: err.code, stack: stackFrames(err) }, 'unexpected error');
    return sendHtml(reply, 500, renderMessagePage('Something went wrong', 'The demo could not handle this request. The server log has the details.'));
  });

  const connectionOf = async (handle: ProviderHandle, subject: string): Promise<ProviderView['connection']> => {
    let credentials: Credentials<object> | undefined;
    try {
      credentials = await auth.loadCredentials(handle.id, subject);
    } catch (err) {
      return { error: describeError(err, handle.displayName, 'show') };
    }
    if (credentials === undefined) return undefined;
    let accountLabel: string | undefined;
    try {
      const account = handle.definition.account?.(credentials, handle.app());
      accountLabel = account?.label ?? account?.id;
    } catch {
      accountLabel = undefined; // app credentials changed since connecting: show the rest anyway
    }
    const view: ConnectionView = {
      ...(accountLabel !== undefined ? { accountLabel } : {}),
      redactedAccessToken: redactToken(credentials.accessToken) ?? '',
      hasRefreshToken: credentials.refreshToken !== undefined,
      ...(credentials.expiresAt !== undefined ? { expiresAt: credentials.expiresAt } : {}),
      obtainedAt: credentials.obtainedAt,
      scopes: credentials.scopes ?? [],
    };
    return view;
  };

  app.get('/', async (request, reply) => {
    const cookies = parseCookies(request.headers.cookie);
    const setCookies: string[] = [];
    let session = sessionOf(request);
    if (session === undefined) {
      session = randomBytes(32).toString('base64url');
      setCookies.push(cookie(SESSION_COOKIE, session));
    }
    const csrfToken = csrfTokenFor(session);
    const flashId = cookies.get(FLASH_COOKIE);
    if (flashId !== undefined) setCookies.push(cookie(FLASH_COOKIE, '', 0));
    const flash = flashes.take(flashId);
    const subject = subjectOf(request);
    const providers = await Promise.all(auth.providerIds.map(async (id): Promise<ProviderView> => {
      const handle = auth.provider(id);
      const hint = setupHint(handle);
      const connection = await connectionOf(handle, subject);
      const probe = probes[id];
      return {
        id,
        displayName: handle.displayName,
        ...(hint !== undefined ? { setupHint: hint } : {}),
        ...(connection !== undefined ? { connection } : {}),
        ...(probe !== undefined ? { probePath: probeLabel(probe) } : {}),
        revocable: handle.definition.oauth2?.revocation !== undefined,
      };
    }));
    if (setCookies.length > 0) reply.header('set-cookie', setCookies);
    const scriptNonce = randomBytes(16).toString('base64url');
    return sendHtml(reply, 200, renderHomePage({
      subject, storeLabel, csrfToken, scriptNonce, providers, nowMs: now(), ...(flash ? { flash } : {}),
    }), scriptNonce);
  });

  app.post<{ Body: SubjectForm }>('/subject', async (request, reply) => {
    const subject = request.body.subject.trim();
    if (!SUBJECT_PATTERN.test(subject)) {
      return redirectHome(reply, { level: 'error', message: 'A subject is 1 to 64 letters, digits or . _ @ + - characters.' });
    }
    reply.header('set-cookie', cookie(SUBJECT_COOKIE, subject, 60 * 60 * 24 * 365));
    return redirectHome(reply, { level: 'success', message: `Switched to subject ${subject}.` });
  });

  app.post<{ Params: { provider: string }; Body: ActionForm }>('/connect/:provider', async (request, reply) => {
    const handle = providerOf(request, reply);
    if (!handle) return reply;
    const hint = setupHint(handle);
    if (hint !== undefined) return redirectHome(reply, { level: 'error', message: `${handle.displayName} is not configured: ${hint}.` });
    try {
      const configured = handle.app().redirectUri;
      const redirectUri = typeof configured === 'string' && configured !== '' ? configured : `${origin()}${callbackPath(handle.id)}`;
      const { url } = await flowOf(handle).authorize({ subject: subjectOf(request), redirectUri });
      return reply.header('cache-control', 'no-store').redirect(url.href, 303);
    } catch (err) {
      return failure(request, reply, err, handle, 'connect');
    }
  });

  app.get<{ Params: { provider: string } }>('/callback/:provider', async (request, reply) => {
    const handle = providerOf(request, reply);
    if (!handle) return reply;
    try {
      const { subject, credentials } = await flowOf(handle).complete({ callbackUrl: new URL(request.url, origin()) });
      let label: string | undefined;
      try {
        const account = handle.definition.account?.(credentials, handle.app());
        label = account?.label ?? account?.id;
      } catch {
        label = undefined;
      }
      return redirectHome(reply, {
        level: 'success',
        message: `Connected ${handle.displayName}${label ? ` as ${label}` : ''} for subject ${subject}.`,
      });
    } catch (err) {
      return failure(request, reply, err, handle, 'callback');
    }
  });

  app.post<{ Params: { provider: string }; Body: ActionForm }>('/call/:provider', async (request, reply) => {
    const handle = providerOf(request, reply);
    if (!handle) return reply;
    const probe = probes[handle.id];
    if (probe === undefined) return redirectHome(reply, { level: 'error', message: `The demo knows no API endpoint to call for ${handle.displayName}.` });
    try {
      const { status, text } = await auth.withSession(subjectOf(request), async (session) => {
        const target = typeof probe === 'string' ? probe : originUrl(handle, await session.credentials(handle.id), probe.originPath);
        const response = await session.fetch(handle.id, target, { headers: { accept: 'application/json' } });
        return { status: response.status, text: await response.text() };
      });
      const ok = status >= 200 && status < 300;
      return redirectHome(reply, {
        level: ok ? 'success' : 'error',
        message: ok ? `${handle.displayName} answered the API call.` : `${handle.displayName} answered the API call with HTTP ${status}.`,
        apiResponse: { provider: handle.displayName, request: `GET ${probeLabel(probe)}`, status, body: formatBody(text) },
      });
    } catch (err) {
      return failure(request, reply, err, handle, 'call');
    }
  });

  app.post<{ Params: { provider: string }; Body: ActionForm }>('/refresh/:provider', async (request, reply) => {
    const handle = providerOf(request, reply);
    if (!handle) return reply;
    try {
      const fresh = await auth.withSession(subjectOf(request), (session) => session.refresh(handle.id));
      const expiry = fresh.expiresAtMs !== undefined ? `; the new access token expires ${formatCountdown(fresh.expiresAtMs, now())}` : '';
      return redirectHome(reply, { level: 'success', message: `Refreshed the ${handle.displayName} access token${expiry}.` });
    } catch (err) {
      return failure(request, reply, err, handle, 'refresh');
    }
  });

  app.post<{ Params: { provider: string }; Body: ActionForm }>('/disconnect/:provider', async (request, reply) => {
    const handle = providerOf(request, reply);
    if (!handle) return reply;
    const subject = subjectOf(request);
    try {
      const revocable = handle.definition.oauth2?.revocation !== undefined;
      // revoke() deletes the stored credential once the provider has revoked it.
      const existed = revocable ? await flowOf(handle).revoke({ subject }) : await auth.deleteCredentials(handle.id, subject);
      if (!existed) return redirectHome(reply, { level: 'error', message: `No ${handle.displayName} account was connected for subject ${subject}.` });
      return redirectHome(reply, {
        level: 'success',
        message: revocable
          ? `Disconnected ${handle.displayName}: the grant was revoked at ${handle.displayName} and the stored credential deleted.`
          : `Disconnected ${handle.displayName}: the stored credential was deleted (${handle.displayName} has no token revocation; remove the app in its settings to revoke it there).`,
      });
    } catch (err) {
      return failure(request, reply, err, handle, 'disconnect');
    }
  });

  // The actions change state, so they are POST only; a bookmarked or typed URL gets an explanation.
  for (const path of ['/subject', '/connect/:provider', '/call/:provider', '/refresh/:provider', '/disconnect/:provider']) {
    app.get(path, (_request, reply) => sendHtml(reply.header('allow', 'POST'), 405,
      renderMessagePage('Use the buttons', 'This action changes state, so it only runs from the buttons on the demo page.')));
  }

  app.setNotFoundHandler((_request, reply) => sendHtml(reply, 404, renderMessagePage('Not found', 'There is no such page.')));

  return app;
}
