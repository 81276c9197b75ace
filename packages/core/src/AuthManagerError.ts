import { isRetryable, type ErrorCode } from './ErrorCode.js';
import { redactCause, scrubMessage } from './RedactedCause.js';

const BRAND = Symbol.for('@authmanager/core/AuthManagerError');

/** The RFC 6749 §5.2 error fields a provider sent, kept as it sent them (wire names). */
export interface OAuthErrorFields {
  /** RFC 6749 §5.2 `error`, e.g. `invalid_grant`. */
  readonly error: string;
  /** RFC 6749 §5.2 `error_description`, when sent. */
  readonly error_description?: string;
  /** RFC 6749 §5.2 `error_uri`, when sent. */
  readonly error_uri?: string;
}

/** Options for {@link AuthManagerError}. */
export interface AuthManagerErrorOptions {
  /**
   * The underlying error. Another `AuthManagerError` is kept as it is; any other value is kept as a
   * {@link RedactedCause} (name, code, scrubbed message, HTTP status, stack frames), so no token or
   * secret a foreign error held (openid-client keeps whole token responses) is reachable from here.
   */
  readonly cause?: unknown;
  /** The provider's RFC 6749 error fields, when the error came from a provider. */
  readonly oauth?: OAuthErrorFields;
  /** The provider id involved, if any. */
  readonly provider?: string;
  /** HTTP status of the provider response, if any. */
  readonly status?: number;
  /** Seconds the provider asked us to wait (`Retry-After`, RFC 9110 §10.2.3), for `RATE_LIMITED`. */
  readonly retryAfterSeconds?: number;
}

/**
 * The one error class every authmanager package throws. Tell errors apart by {@link ErrorCode}
 * (`err.code`), never by message. Messages never contain a token, secret or code verifier.
 *
 * `AuthManagerError.is(err)` works across two copies of the package (the brand is a
 * `Symbol.for` key, not `instanceof`).
 *
 * @example
 * ```ts
 * try { await session.accessToken('notion'); }
 * catch (err) {
 *   if (AuthManagerError.is(err, 'REAUTHORIZATION_REQUIRED')) redirectToConnect();
 *   else throw err;
 * }
 * ```
 */
export class AuthManagerError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Provider id involved, if any. */
  declare readonly provider?: string;
  /** HTTP status the provider answered with, if any. */
  declare readonly status?: number;
  /** RFC 6749 §5.2 `error` sent by the provider, if any. */
  declare readonly error?: string;
  /** RFC 6749 §5.2 `error_description` sent by the provider, if any (token-like runs replaced by `[redacted]`). */
  declare readonly error_description?: string;
  /** RFC 6749 §5.2 `error_uri` sent by the provider, if any. */
  declare readonly error_uri?: string;
  /** Seconds to wait before trying again, from the provider's `Retry-After` (RFC 9110 §10.2.3), if it sent one. */
  declare readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, options: AuthManagerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: redactCause(options.cause) });
    this.name = 'AuthManagerError';
    this.code = code;
    if (options.provider !== undefined) this.provider = options.provider;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.oauth) {
      this.error = options.oauth.error;
      // Free text from the provider: scrubbed like a foreign message, in case it echoes what it was sent.
      if (options.oauth.error_description !== undefined) this.error_description = scrubMessage(options.oauth.error_description);
      if (options.oauth.error_uri !== undefined) this.error_uri = options.oauth.error_uri;
    }
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * Whether trying the same operation again later can succeed (network failures, 5xx, 429, store
   * outages, lock timeouts, store conflicts); see the table in {@link ErrorCode}. The user has to act
   * for every other code.
   */
  get retryable(): boolean {
    return isRetryable(this.code);
  }

  /**
   * True when `value` is an `AuthManagerError` (from any copy of this package), optionally with
   * the given code or one of the given codes.
   */
  static is(value: unknown, code?: ErrorCode | readonly ErrorCode[]): value is AuthManagerError {
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
    if (code === undefined) return true;
    const actual = (value as AuthManagerError).code;
    return typeof code === 'string' ? actual === code : code.includes(actual);
  }

  /** A plain object safe to log: code, message, provider, status and the RFC error fields. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name, code: this.code, message: this.message, provider: this.provider, status: this.status,
      error: this.error, error_description: this.error_description, error_uri: this.error_uri,
      retryable: this.retryable, retryAfterSeconds: this.retryAfterSeconds,
    };
  }
}
