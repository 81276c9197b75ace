import { AuthManagerError, ErrorCode } from '@authmanager/core';

/**
 * Codes of the errors the connect routes answer with besides the core's {@link ErrorCode}s: stable
 * strings, safe to put in a redirect URL (`?error=CSRF_REJECTED`) and to match on.
 *
 * | code | HTTP status (JSON) | when |
 * | --- | --- | --- |
 * | `NOT_SIGNED_IN` | 401 | `getSubject` returned no subject |
 * | `CSRF_REJECTED` | 403 | a POST without the CSRF token of the subject, with an expired one, or from another origin |
 * | `INVALID_RETURN_TO` | 400 | `returnTo` is not on the allow-list (an absolute URL elsewhere, `//host`, `/\host`, `javascript:`…) |
 * | `BAD_REQUEST` | 400 | a malformed path, form or JSON body |
 * | `NOT_FOUND` | 404 | no route at this path |
 * | `METHOD_NOT_ALLOWED` | 405 | the route exists for another method (`Allow` says which) |
 * | `INTERNAL_ERROR` | 500 | anything that is not an `AuthManagerError` (a bug, a throwing hook); logged by name only |
 */
export const HttpErrorCode = {
  NOT_SIGNED_IN: 'NOT_SIGNED_IN',
  CSRF_REJECTED: 'CSRF_REJECTED',
  INVALID_RETURN_TO: 'INVALID_RETURN_TO',
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

/** One of {@link HttpErrorCode}. */
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** Every code a connect route can answer with: the core's and the routes' own. */
export type ConnectErrorCode = ErrorCode | HttpErrorCode;

const STATUS: Readonly<Record<string, number>> = {
  NOT_SIGNED_IN: 401, CSRF_REJECTED: 403, INVALID_RETURN_TO: 400, BAD_REQUEST: 400, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, INTERNAL_ERROR: 500,
  [ErrorCode.PROVIDER_NOT_REGISTERED]: 404,
  [ErrorCode.UNSUPPORTED_FLOW]: 400,
  [ErrorCode.INVALID_STATE]: 400,
  [ErrorCode.AUTHORIZATION_DENIED]: 403,
  [ErrorCode.CREDENTIALS_NOT_FOUND]: 404,
  [ErrorCode.ACCOUNT_MISMATCH]: 409,
  [ErrorCode.TOKEN_EXCHANGE_FAILED]: 502,
  [ErrorCode.INVALID_TOKEN_RESPONSE]: 502,
  [ErrorCode.REVOCATION_FAILED]: 502,
  [ErrorCode.PROVIDER_UNAVAILABLE]: 503,
  [ErrorCode.RATE_LIMITED]: 503,
  [ErrorCode.STORE_UNAVAILABLE]: 503,
  [ErrorCode.STORE_CONFLICT]: 503,
  [ErrorCode.LOCK_TIMEOUT]: 503,
};

/**
 * The HTTP status a JSON error answer has for a code.
 * @param code - a {@link ConnectErrorCode}
 * @returns 400–503; 500 for a code not listed (e.g. `CONFIGURATION`)
 */
export function statusForCode(code: string): number {
  return STATUS[code] ?? 500;
}

/**
 * What a connect route tells about a failure: its code, whether trying again can help, and the
 * provider's RFC 6749 `error` code when it sent one that looks like a code (never its free-text
 * `error_description`: anyone can put text in a callback URL).
 */
export interface ConnectFailure {
  readonly code: ConnectErrorCode;
  readonly retryable: boolean;
  /** RFC 6749 §4.1.2.1 / §5.2 `error`, e.g. `access_denied`: one word of `A-Za-z0-9_.:-`, at most 64 characters. */
  readonly oauthError?: string;
}

/**
 * The provider's RFC 6749 `error` code of an error, when it is one word of letters, digits and
 * `_ . : -` (at most 64 characters), so that it is safe to show, log and put in a URL.
 * @param err - anything thrown
 * @returns e.g. `'access_denied'`, or undefined
 */
export function oauthErrorOf(err: unknown): string | undefined {
  if (!AuthManagerError.is(err)) return undefined;
  return err.error !== undefined && /^[A-Za-z0-9_.:-]{1,64}$/.test(err.error) ? err.error : undefined;
}

/**
 * Reduces anything thrown to a {@link ConnectFailure}: an `AuthManagerError` keeps its code,
 * retryability and RFC `error`; anything else is `INTERNAL_ERROR`.
 * @param err - anything thrown
 */
export function failureOf(err: unknown): ConnectFailure {
  if (AuthManagerError.is(err)) {
    const oauthError = oauthErrorOf(err);
    return { code: err.code, retryable: err.retryable, ...(oauthError ? { oauthError } : {}) };
  }
  if (err instanceof ConnectRouteError) return { code: err.code, retryable: false };
  return { code: HttpErrorCode.INTERNAL_ERROR, retryable: false };
}

/**
 * A refusal of the routes themselves (not signed in, CSRF, returnTo, malformed request), thrown
 * inside the handler and answered like an `AuthManagerError`.
 */
export class ConnectRouteError extends Error {
  /** One of {@link HttpErrorCode}. */
  readonly code: HttpErrorCode;
  /** @param code - the code; @param message - a sentence without secrets */
  constructor(code: HttpErrorCode, message: string) {
    super(message);
    this.name = 'ConnectRouteError';
    this.code = code;
  }
}

/**
 * One readable sentence for a failure, chosen by its code (never built from an error message),
 * for the connect page and JSON answers.
 *
 * @param failure - what {@link failureOf} returned (or a code alone)
 * @param providerName - the provider's display name, e.g. `'GitHub'`
 * @returns e.g. `'You declined access at Sandbox (access_denied). Nothing was connected.'`
 * @example
 * ```ts
 * describeFailure({ code: 'INVALID_STATE', retryable: false }, 'GitHub');
 * // 'This sign-in response from GitHub has expired or was already used, so it was ignored. Start again with Connect.'
 * ```
 */
export function describeFailure(failure: Pick<ConnectFailure, 'code'> & { readonly oauthError?: string }, providerName = 'the provider'): string {
  const rfc = failure.oauthError;
  const said = rfc ? ` (${rfc})` : '';
  switch (failure.code) {
    case HttpErrorCode.NOT_SIGNED_IN: return 'You are not signed in. Sign in, then try again.';
    case HttpErrorCode.CSRF_REJECTED: return 'This form is out of date or did not come from this site. Reload the page and try again.';
    case HttpErrorCode.INVALID_RETURN_TO: return 'The address to return to afterwards is not allowed, so nothing was done.';
    case HttpErrorCode.BAD_REQUEST: return 'The request could not be read. Go back and use the buttons on the page.';
    case HttpErrorCode.NOT_FOUND: return 'There is no such page.';
    case HttpErrorCode.METHOD_NOT_ALLOWED: return 'This action only runs from the buttons on the page.';
    case HttpErrorCode.INTERNAL_ERROR: return 'Something went wrong. The server log has the details.';
    case ErrorCode.INVALID_STATE:
      return `This sign-in response from ${providerName} has expired or was already used, so it was ignored. Start again with Connect.`;
    case ErrorCode.AUTHORIZATION_DENIED:
      return rfc === undefined || rfc === 'access_denied'
        ? `You declined access at ${providerName}${said}. Nothing was connected.`
        : `${providerName} did not authorize the connection${said}. Nothing was connected.`;
    case ErrorCode.TOKEN_EXCHANGE_FAILED:
      return `${providerName} refused to issue a token for this sign-in${said}. Nothing was connected; start again with Connect.`;
    case ErrorCode.INVALID_TOKEN_RESPONSE:
      return `${providerName} sent a token response that failed validation, so it was not used. Try again.`;
    case ErrorCode.REAUTHORIZATION_REQUIRED:
      return `${providerName} no longer accepts this connection (it was revoked or has expired). Connect again to continue.`;
    case ErrorCode.TOKEN_REFRESH_FAILED:
      return `${providerName} refused to refresh the access token${said}. Try again, or reconnect.`;
    case ErrorCode.PROVIDER_UNAVAILABLE:
      return `${providerName} could not be reached or had a server error. Try again in a moment.`;
    case ErrorCode.RATE_LIMITED:
      return `${providerName} is limiting requests right now. Try again in a moment.`;
    case ErrorCode.CREDENTIALS_NOT_FOUND:
      return `No ${providerName} account is connected.`;
    case ErrorCode.REVOCATION_FAILED:
      return `${providerName} refused to revoke the token${said}.`;
    case ErrorCode.ACCOUNT_MISMATCH:
      return `You are already connected to a different ${providerName} account. Disconnect it first.`;
    case ErrorCode.CONFIGURATION:
      return `${providerName} is not set up on this server: an app credential (client ID, secret or redirect URI) is missing or invalid.`;
    case ErrorCode.UNSUPPORTED_FLOW:
      return `${providerName} cannot be connected this way.`;
    case ErrorCode.PROVIDER_NOT_REGISTERED:
      return 'There is no such provider on this server.';
    case ErrorCode.STORE_UNAVAILABLE:
    case ErrorCode.STORE_CONFLICT:
    case ErrorCode.LOCK_TIMEOUT:
      return 'The credential store is unavailable or busy. Try again.';
    case ErrorCode.INVALID_STORED_CREDENTIALS:
    case ErrorCode.DECRYPTION_FAILED:
      return `The stored ${providerName} credential could not be read. Disconnect and connect again.`;
    case ErrorCode.KEY_MANAGEMENT_FAILED:
      return 'The key-management service failed, so the credential could not be encrypted or decrypted. Try again.';
    default:
      return `${providerName}: the request failed (${failure.code}).`;
  }
}
