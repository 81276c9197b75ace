import type { ErrorCode } from './ErrorCode.js';

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
  /** The underlying error (kept on `cause`; never printed with secrets). */
  readonly cause?: unknown;
  /** The provider's RFC 6749 error fields, when the error came from a provider. */
  readonly oauth?: OAuthErrorFields;
  /** The provider id involved, if any. */
  readonly provider?: string;
  /** HTTP status of the provider response, if any. */
  readonly status?: number;
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
  /** RFC 6749 §5.2 `error_description` sent by the provider, if any. */
  declare readonly error_description?: string;
  /** RFC 6749 §5.2 `error_uri` sent by the provider, if any. */
  declare readonly error_uri?: string;

  constructor(code: ErrorCode, message: string, options: AuthManagerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthManagerError';
    this.code = code;
    if (options.provider !== undefined) this.provider = options.provider;
    if (options.status !== undefined) this.status = options.status;
    if (options.oauth) {
      this.error = options.oauth.error;
      if (options.oauth.error_description !== undefined) this.error_description = options.oauth.error_description;
      if (options.oauth.error_uri !== undefined) this.error_uri = options.oauth.error_uri;
    }
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * True when `value` is an `AuthManagerError` (from any copy of this package), optionally with
   * the given code.
   */
  static is(value: unknown, code?: ErrorCode): value is AuthManagerError {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true &&
      (code === undefined || (value as AuthManagerError).code === code)
    );
  }

  /** A plain object safe to log: code, message, provider, status and the RFC error fields. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name, code: this.code, message: this.message, provider: this.provider, status: this.status,
      error: this.error, error_description: this.error_description, error_uri: this.error_uri,
    };
  }
}
