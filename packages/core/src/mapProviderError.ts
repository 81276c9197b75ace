import * as oauth from 'openid-client';
import { AuthManagerError } from './AuthManagerError.js';
import { ErrorCode } from './ErrorCode.js';
import { scrubMessage } from './RedactedCause.js';

/** Which operation failed: decides the code of a provider's rejection. */
export type ProviderOperation = 'discovery' | 'exchange' | 'refresh' | 'revoke' | 'introspect' | 'api';

const REJECTION_CODE: Record<ProviderOperation, ErrorCode> = {
  discovery: ErrorCode.PROVIDER_UNAVAILABLE,
  exchange: ErrorCode.TOKEN_EXCHANGE_FAILED,
  refresh: ErrorCode.TOKEN_REFRESH_FAILED,
  revoke: ErrorCode.REVOCATION_FAILED,
  introspect: ErrorCode.PROVIDER_UNAVAILABLE,
  api: ErrorCode.PROVIDER_UNAVAILABLE,
};

/** Network-level failures: connection refused/reset, DNS, TLS, aborted by timeout. */
function isNetworkFailure(err: unknown): boolean {
  // Duck-typed, not `instanceof`: errors from undici or another realm (a test VM) are not this realm's Error.
  for (let e = err as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown } | undefined, depth = 0;
    typeof e === 'object' && e !== null && depth < 6; e = e.cause as typeof e, depth++) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'OAUTH_TIMEOUT') return true;
    if (e.name === 'TypeError' && typeof e.message === 'string' && /fetch failed|network|terminated/i.test(e.message)) return true;
    if (typeof e.code === 'string' && /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|UND_ERR)/.test(e.code)) return true;
  }
  return false;
}

/**
 * Seconds from a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * @returns whole seconds ≥ 0, or `undefined` when absent or unparseable
 */
export function retryAfterSeconds(headers: Headers | undefined, nowMs: number = Date.now()): number | undefined {
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d{1,10}$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** The code and extra fields for an HTTP status outside the OAuth error format. */
function statusCode(status: number, operation: ProviderOperation): ErrorCode {
  if (status === 429) return ErrorCode.RATE_LIMITED;
  if (status >= 500) return ErrorCode.PROVIDER_UNAVAILABLE;
  // A 2xx that failed to parse or validate is a malformed answer, whatever the operation.
  if (status >= 200 && status < 300) return ErrorCode.INVALID_TOKEN_RESPONSE;
  return REJECTION_CODE[operation];
}

function retryAfterOf(status: number, headers: Headers | undefined): { retryAfterSeconds?: number } {
  const seconds = status === 429 || status === 503 ? retryAfterSeconds(headers) : undefined;
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}

/**
 * Maps whatever openid-client, fetch or a quirk hook threw into an {@link AuthManagerError}:
 * - HTTP 429 → `RATE_LIMITED` with `retryAfterSeconds` from `Retry-After`
 * - HTTP 5xx, network failure, timeout → `PROVIDER_UNAVAILABLE`
 * - HTTP 2xx whose body is not JSON, not an object, or fails validation → `INVALID_TOKEN_RESPONSE`
 * - `invalid_grant` on refresh → `REAUTHORIZATION_REQUIRED` (RFC 6749 §5.2)
 * - another OAuth error response → the operation's code (`TOKEN_EXCHANGE_FAILED`, …) with `error`,
 *   `error_description`, `error_uri`
 * - a response that fails validation (ID token, state, issuer) → `INVALID_TOKEN_RESPONSE`
 *
 * Messages never include tokens: they are built from the error code and the provider's `error` fields.
 */
export function mapProviderError(err: unknown, provider: string, operation: ProviderOperation): AuthManagerError {
  // A quirk hook's own typed error arrives wrapped by openid-client: find it in the cause chain.
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (AuthManagerError.is(e)) return e;
  }
  const what = `${provider} ${operation}`;
  if (err instanceof oauth.ResponseBodyError) {
    const oauthFields = {
      error: err.error,
      ...(err.error_description !== undefined ? { error_description: err.error_description } : {}),
      ...(typeof err.cause.error_uri === 'string' ? { error_uri: err.cause.error_uri } : {}),
    };
    const base = { cause: err, provider, status: err.status, oauth: oauthFields, ...retryAfterOf(err.status, err.response?.headers) };
    if (err.status === 429) {
      return new AuthManagerError(ErrorCode.RATE_LIMITED, `${what}: provider answered HTTP 429 (${err.error}); try again later`, base);
    }
    if (err.status >= 500) {
      return new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${what}: provider answered HTTP ${err.status} (${err.error})`, base);
    }
    if (operation === 'refresh' && err.error === 'invalid_grant') {
      return new AuthManagerError(ErrorCode.REAUTHORIZATION_REQUIRED, `${what}: refresh token rejected (invalid_grant); the user must connect again`, base);
    }
    return new AuthManagerError(REJECTION_CODE[operation], `${what} failed: ${err.error}${err.error_description ? ` (${scrubMessage(err.error_description)})` : ''}`, base);
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const params = err.cause[0]?.parameters ?? {};
    const error = params.error ?? 'invalid_client';
    const code = err.status === 429 || err.status >= 500 ? statusCode(err.status, operation) : REJECTION_CODE[operation];
    return new AuthManagerError(code, `${what} failed: HTTP ${err.status} ${error}`, {
      cause: err, provider, status: err.status, ...retryAfterOf(err.status, err.response.headers),
      oauth: { error, ...(params.error_description ? { error_description: params.error_description } : {}) },
    });
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return new AuthManagerError(ErrorCode.AUTHORIZATION_DENIED, `${provider}: authorization failed: ${err.error}`, {
      cause: err, provider, oauth: { error: err.error, ...(err.error_description ? { error_description: err.error_description } : {}) },
    });
  }
  if (isNetworkFailure(err)) {
    return new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${what}: provider unreachable or timed out`, { cause: err, provider });
  }
  const cause = (err as { cause?: { status?: unknown; headers?: unknown } } | undefined)?.cause;
  if (typeof cause === 'object' && cause !== null && typeof cause.status === 'number' && typeof cause.headers === 'object') {
    const code = statusCode(cause.status, operation);
    const detail = code === ErrorCode.INVALID_TOKEN_RESPONSE ? 'a response that is not a JSON object' : 'an unexpected response';
    return new AuthManagerError(code, `${what}: HTTP ${cause.status} with ${detail}`, {
      cause: err, provider, status: cause.status, ...retryAfterOf(cause.status, cause.headers as Headers),
    });
  }
  const oauthCode = (err as { code?: unknown } | undefined)?.code;
  if (typeof oauthCode === 'string' && oauthCode.startsWith('OAUTH_')) {
    return new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${what}: response failed validation (${oauthCode})`, { cause: err, provider });
  }
  return new AuthManagerError(REJECTION_CODE[operation], `${what} failed`, { cause: err, provider });
}
