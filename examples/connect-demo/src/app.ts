import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import formbody from '@fastify/formbody';
import { z, type AuthManager, type ProviderRegistration } from '@authmanager/core';
import { createConnectHandler, escapeHtml, renderMessagePage, type ConnectHandler, type ConnectLogEntry } from '@authmanager/http';
import { connectPlugin } from '@authmanager/http/fastify';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { LogDestination } from './logLines.js';

/** Options of {@link createDemoApp}. */
export interface DemoAppOptions<P extends readonly ProviderRegistration[] = readonly ProviderRegistration[]> {
  /** The manager whose providers the page lists and whose store keeps the connections. */
  readonly auth: AuthManager<P>;
  /** Which credential store is in use, as shown on the page, e.g. `"KMS-encrypted Redis (127.0.0.1:6379)"`. */
  readonly storeLabel: string;
  /**
   * The origin browsers use to reach the demo, e.g. `http://127.0.0.1:3000`; redirect URIs are
   * `<publicUrl>/connect/<provider>/callback` unless a provider has its own `redirectUri` configured.
   * @default the origin of each request (its Host header)
   */
  readonly publicUrl?: string;
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
   * Key of the HMAC behind the CSRF tokens of the demo's forms (at least 32 characters;
   * `DEMO_SECRET` in `main.ts`). With a fixed key, open pages stay valid across restarts.
   * @default 32 random bytes, new for each app
   * @throws Error from {@link createDemoApp} when shorter than 32 characters
   */
  readonly secret?: string;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Where the connect routes and page live. */
export const BASE_PATH = '/connect';
const SUBJECT_COOKIE = 'demo_subject';
/** Shortest accepted {@link DemoAppOptions.secret}, characters. */
const MIN_SECRET_CHARS = 32;
/** What a subject may look like: short, printable, no separators a store key could trip on. */
const SUBJECT_PATTERN = /^[A-Za-z0-9._@+-]{1,64}$/;
/** The subject switcher's form: each field once, as text, nothing else. */
const SUBJECT_FORM = z.strictObject({ csrf: z.string().max(128), subject: z.string().max(256) });

/**
 * The path a provider redirects back to after consent: `/connect/<provider>/callback`.
 * @param provider - provider id
 */
export function callbackPath(provider: string): string {
  return `${BASE_PATH}/${encodeURIComponent(provider)}/callback`;
}

/**
 * `http://<address>:<port>` of a listening server, with wildcard addresses replaced by `127.0.0.1`.
 * @throws Error when the server is not listening on TCP
 */
export function listeningOrigin(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The demo is not listening on a TCP port yet; pass publicUrl');
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1'
    : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function subjectCookie(header: string | null | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== SUBJECT_COOKIE) continue;
    try {
      const value = decodeURIComponent(rest.join('='));
      return SUBJECT_PATTERN.test(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A small page of the demo's own (a refused or malformed form, an unknown path), with a strict CSP. */
function sendPage(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  const page = renderMessagePage({ title, message, backHref: BASE_PATH });
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
    .header('content-security-policy', `default-src 'none'; style-src 'nonce-${page.styleNonce}'; base-uri 'none'; frame-ancestors 'none'`)
    .send(page.html);
}


/**
 * Builds the connect demo: a Fastify app (not listening) serving `@authmanager/http`'s connect
 * routes and page through its Fastify plugin at `/connect`, plus what is the demo's own: `/`
 * (redirects to the page), the store label and a subject switcher (`POST /subject`, CSRF-checked
 * like the routes' own forms). The subject is a cookie: the demo has no sign-in of its own.
 *
 * @throws Error when `secret` is shorter than 32 characters
 * @example
 * ```ts
 * const app = createDemoApp({ auth, storeLabel: 'Memory' });
 * await app.listen({ port: 3000, host: '127.0.0.1' });
 * ```
 */
export function createDemoApp<P extends readonly ProviderRegistration[]>(options: DemoAppOptions<P>): FastifyInstance {
  if (options.secret !== undefined && options.secret.length < MIN_SECRET_CHARS) {
    throw new Error(`The CSRF secret (DEMO_SECRET) must be at least ${MIN_SECRET_CHARS} characters`);
  }
  const defaultSubject = options.defaultSubject ?? 'demo-user';
  const secureCookies = options.publicUrl?.startsWith('https:') ?? false;
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
      void sendPage(reply, 400, 'Request not understood', 'The request is malformed (for example broken URL encoding). Go back to the demo page and use its buttons.');
    },
  });

  const log = ({ level, msg, oauthError, ...fields }: ConnectLogEntry): void => {
    app.log[level]({ ...fields, ...(oauthError ? { error: oauthError } : {}) }, msg);
  };
  const connect: ConnectHandler = createConnectHandler({
    auth: options.auth,
    secret: options.secret ?? randomBytes(32).toString('base64url'),
    basePath: BASE_PATH,
    returnTo: { default: BASE_PATH },
    getSubject: (request) => subjectCookie(request.headers.get('cookie')) ?? defaultSubject,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.now ? { now: options.now } : {}),
    log,
    page: {
      title: 'authmanager · connect demo',
      header: ({ subject, csrfToken }) => `<span class="note" id="store">Store: ${escapeHtml(options.storeLabel)}</span>`
        + `<form method="post" action="/subject"><input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">`
        + `<label for="subject">Subject</label><input type="text" id="subject" name="subject" value="${escapeHtml(subject)}" required maxlength="64">`
        + '<button type="submit" id="switch-subject">Switch</button></form>',
    },
  });
  void app.register(connectPlugin, { handler: connect });
  void app.register(formbody);

  app.get('/', (_request, reply) => reply.redirect(BASE_PATH, 303));

  /**
   * The subject switcher. The body must be the form (else 400 saying what is wrong), sent from the
   * demo's own origin with the CSRF token of the current subject (else 403): a page on another
   * port of the same host shares the cookies, not the origin.
   */
  app.post('/subject', async (request, reply) => {
    const parsed = SUBJECT_FORM.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path[0] !== undefined ? String(issue.path[0]).slice(0, 40) : undefined;
      const problem = issue?.code === 'unrecognized_keys' ? `The form has a field the demo does not know: ${issue.keys.slice(0, 3).map((k) => `"${k.slice(0, 40)}"`).join(', ')}.`
        : field === undefined ? 'The request body is not a form.' : `The field "${field}" is missing or not a single text value.`;
      request.log.info({ problem: issue?.code }, 'malformed form');
      return sendPage(reply, 400, 'The form could not be read', `${problem} Go back to the demo page and use its buttons.`);
    }
    const current = subjectCookie(request.headers.cookie) ?? defaultSubject;
    const web = new Request(`http://${request.host}${request.url}`, { method: 'POST', headers: request.headers as Record<string, string> });
    if (!connect.isSameOrigin(web) || !connect.verifyCsrfToken(parsed.data.csrf, current)) {
      request.log.info('form refused: other origin or CSRF token not of this subject');
      return sendPage(reply, 403, 'Form expired', 'This form is out of date or did not come from the demo page. Go back, reload the page and try again.');
    }
    const subject = parsed.data.subject.trim();
    if (!SUBJECT_PATTERN.test(subject)) return sendPage(reply, 400, 'Not a subject', 'A subject is 1 to 64 letters, digits or . _ @ + - characters.');
    return reply
      .header('set-cookie', `${SUBJECT_COOKIE}=${encodeURIComponent(subject)}; Path=/; HttpOnly; SameSite=Lax${secureCookies ? '; Secure' : ''}; Max-Age=31536000`)
      .redirect(BASE_PATH, 303);
  });

  app.setErrorHandler((err: { statusCode?: number; code?: string; name?: string }, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) {
      request.log.info({ code: err.code, status }, 'request not understood');
      return sendPage(reply, status, status === 415 ? 'Not a form' : 'Request not understood', 'The request is malformed or of a kind the demo does not read. Go back to the demo page and use its buttons.');
    }
    request.log.error({ errorName: err.name, code: err.code }, 'unexpected error');
    return sendPage(reply, 500, 'Something went wrong', 'The demo could not handle this request. The server log has the details.');
  });
  app.setNotFoundHandler((_request, reply) => sendPage(reply, 404, 'Not found', 'There is no such page.'));
  return app;
}
