/**
 * Foreign errors (openid-client, undici, a store driver, `JSON.parse`) often carry what they were
 * given: openid-client keeps a rejected token response — access, refresh and ID token — as
 * `cause.body`; undici's header error quotes `Bearer <token>`; `JSON.parse` quotes the input. So no
 * foreign error is kept as a `cause` of an {@link AuthManagerError}: it becomes a
 * {@link RedactedCause}, a copy holding only what cannot be secret.
 */

const MAX_DEPTH = 6;

/**
 * Quoted words kept in a copied message: wire field names and JSON types that openid-client and
 * Node put in quotes (`"response" body "access_token" property must be a string`). Any other quoted
 * text is replaced, because it may be a quoted value.
 */
const SAFE_QUOTED = new Set([
  'response', 'body', 'access_token', 'refresh_token', 'id_token', 'token_type', 'expires_in', 'scope',
  'issuer', 'iss', 'state', 'code', 'error', 'error_description', 'error_uri', 'nonce', 'aud', 'azp', 'exp',
  'iat', 'sub', 'alg', 'kid', 'typ', 'jwks_uri', 'content-type', 'www-authenticate', 'authorization_endpoint',
  'token_endpoint', 'server', 'client', 'client_id', 'expectedState', 'expectedNonce', 'maxAge', 'claims',
  'currentUrl', 'url', 'input', 'init', 'options', 'parameters', 'active', 'token', 'token_type_hint',
]);

/**
 * Replaces anything in an error message that may be a secret: quoted text that is not a known field
 * name, what follows an HTTP auth scheme (`Bearer …`, `Basic …`), and long runs of token-like
 * characters (≥ 20, as random tokens, JWTs and keys are).
 */
export function scrubMessage(message: string): string {
  return message
    .replace(/(["'`])([^"'`\n]{0,2000}?)\1/g, (m, q: string, inner: string) => (SAFE_QUOTED.has(inner) ? m : `${q}[redacted]${q}`))
    .replace(/\b(bearer|basic|dpop|token|mac)\s+[^\s"',;]+/gi, '$1 [redacted]')
    .replace(/[A-Za-z0-9._~+/=-]{20,}/g, (run) => (/^[a-z]+(?:[._-][a-z]+)*$/i.test(run) ? run : '[redacted]'));
}

/**
 * A secret-free copy of a foreign error, kept as the `cause` of an {@link AuthManagerError}: its
 * `name`, `code` (when a short constant such as `ECONNREFUSED` or `OAUTH_PARSE_ERROR`), a scrubbed
 * `message`, the HTTP `status` when it had one, the stack frames (not the stack's message line), and
 * its own cause copied the same way (up to 6 deep). Never any other field: not a response body,
 * request, header or config.
 */
export class RedactedCause extends Error {
  /** The original error's `code`, when it was a short constant. */
  declare readonly code?: string;
  /** The HTTP status the original error carried, if any. */
  declare readonly status?: number;

  constructor(original: unknown, depth = 0) {
    const o = (typeof original === 'object' && original !== null ? original : {}) as {
      name?: unknown; message?: unknown; code?: unknown; status?: unknown; stack?: unknown; cause?: unknown;
      response?: { status?: unknown };
    };
    const message = typeof original === 'object' && original !== null
      ? (typeof o.message === 'string' ? scrubMessage(o.message) : '')
      : `a thrown ${typeof original}`;
    const next = depth + 1 < MAX_DEPTH && o.cause !== undefined && o.cause !== null ? { cause: redactCause(o.cause, depth + 1) } : undefined;
    super(message, next);
    this.name = typeof o.name === 'string' && /^[\w$.-]{1,64}$/.test(o.name) ? o.name : 'Error';
    if (typeof o.code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(o.code)) this.code = o.code;
    const status = typeof o.status === 'number' ? o.status : o.response?.status;
    if (typeof status === 'number' && Number.isInteger(status)) this.status = status;
    const frames = typeof o.stack === 'string' ? o.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
    this.stack = [`${this.name}: ${message}`, ...frames].join('\n');
  }
}

/**
 * The `cause` an {@link AuthManagerError} may keep: another `AuthManagerError` as it is (its own
 * cause was redacted when it was made), anything else as a {@link RedactedCause}.
 */
export function redactCause(cause: unknown, depth = 0): unknown {
  if (isAuthManagerError(cause) || cause instanceof RedactedCause) return cause;
  return new RedactedCause(cause, depth);
}

const BRAND = Symbol.for('@authmanager/core/AuthManagerError');

function isAuthManagerError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
